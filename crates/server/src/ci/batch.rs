//! Batch (inventory trigger) jobs: `POST /inventorytriggerjob`, `GET /inventorytriggerjob`,
//! `GET /inventorytriggerjob/<JobId>` and `PUT /inventorytriggerjob/<JobId>?cancel`
//! (spec §10). The scan itself runs in the engine (`bucketflow_engine::batch`).

use std::sync::Arc;

use bucketflow_engine::time::format_ci_time;
use bucketflow_engine::workflow::{Workflow, check_name};
use bucketflow_store::{BatchFilter, BatchJobRecord, BatchProgress, now_ms};
use bucketflow_xml::{Element, Limits};
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;

use super::execution::{
    parse_ci_time, parse_order, parse_size, parse_time_param, parse_token, task_result,
};
use super::request::read_xml_body;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

/// Job-type results listed in a job's detail; the rest are in `GET /workflowexecution?jobId=`.
const MAX_LISTED_RESULTS: usize = 100;

pub async fn dispatch(
    app: &Arc<App>,
    ctx: &Ctx,
    id: Option<&str>,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    match (&ctx.method, id) {
        (&Method::POST, None) => create(app, ctx, body).await,
        (&Method::GET, None) => list(app, ctx).await,
        (&Method::GET, Some(id)) => get(app, ctx, id).await,
        (&Method::PUT, Some(id)) if ctx.has_param("cancel") => cancel(app, ctx, id).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}

fn invalid(element: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::CiInvalidArgument(format!("{element}: {reason}"))
}

/// What a create request asks for, validated.
struct JobRequest {
    name: String,
    job_type: String,
    input_kind: String,
    input_value: String,
    workflow_ids: Vec<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    /// `Input` and `Operation` as sent, echoed in answers.
    document: Element,
}

fn parse_request(bytes: &[u8]) -> ApiResult<JobRequest> {
    let root = bucketflow_xml::parse(bytes, &Limits::default()).map_err(|e| match e {
        bucketflow_xml::XmlError::Empty => ApiError::MissingContent,
        other => ApiError::InvalidContent(format!("The request body is not valid XML: {other}")),
    })?;
    if root.name != "Request" {
        return Err(ApiError::InvalidContent(
            "The root element must be Request.".into(),
        ));
    }
    let name = root
        .text_of("Name")
        .ok_or_else(|| invalid("Name", "is required"))?
        .to_string();
    check_name(&name).map_err(|e| ApiError::CiInvalidArgument(e.to_string()))?;
    let job_type = match root.text_of("Type").unwrap_or("Workflow") {
        t @ ("Workflow" | "Job") => t.to_string(),
        other => return Err(invalid("Type", format!("`{other}` is not Workflow or Job"))),
    };
    let input = root
        .get("Input")
        .ok_or_else(|| invalid("Input", "is required"))?;
    let (input_kind, input_value) = parse_input(input)?;
    let operation = root
        .get("Operation")
        .ok_or_else(|| invalid("Operation", "is required"))?;
    let workflow_ids = parse_operation(&job_type, operation)?;
    let (from_ms, to_ms) = parse_interval(operation.get("TimeInterval"))?;
    let document = Element::new("Job")
        .child(input.clone())
        .child(operation.clone());
    Ok(JobRequest {
        name,
        job_type,
        input_kind,
        input_value,
        workflow_ids,
        from_ms,
        to_ms,
        document,
    })
}

/// Exactly one of `Prefix`, `Object` or `UrlFile` (a `Manifest` is not supported).
fn parse_input(input: &Element) -> ApiResult<(String, String)> {
    if input.text_of("Manifest").is_some() {
        return Err(invalid(
            "Input.Manifest",
            "COS inventory manifests are not supported; use Prefix, Object or UrlFile",
        ));
    }
    let given: Vec<(&str, &str)> = ["Prefix", "Object", "UrlFile"]
        .iter()
        .filter_map(|kind| Some((*kind, input.text_of(kind)?)))
        .collect();
    match given.as_slice() {
        [(kind, value)] => {
            // A leading `/` is ignored, as in a workflow's ObjectPrefix: `/` is the whole
            // bucket.
            Ok((kind.to_string(), value.trim_start_matches('/').to_string()))
        }
        [] => Err(invalid("Input", "needs one of Prefix, Object or UrlFile")),
        _ => Err(invalid(
            "Input",
            "takes only one of Prefix, Object or UrlFile",
        )),
    }
}

/// `WorkflowIds` for Workflow jobs; `Tag` ImageInspect and valid options for Job jobs.
fn parse_operation(job_type: &str, operation: &Element) -> ApiResult<Vec<String>> {
    if job_type == "Workflow" {
        let ids: Vec<String> = operation
            .text_of("WorkflowIds")
            .unwrap_or_default()
            .split(',')
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            return Err(invalid(
                "Operation.WorkflowIds",
                "is required for a Workflow job",
            ));
        }
        return Ok(ids);
    }
    match operation.text_of("Tag") {
        Some("ImageInspect") => {}
        Some(other) => {
            return Err(invalid(
                "Operation.Tag",
                format!("`{other}` cannot run on this server; supported: ImageInspect"),
            ));
        }
        None => return Err(invalid("Operation.Tag", "is required for a Job job")),
    }
    bucketflow_engine::batch::image_inspect_job_workflow(operation.get("JobParam"))
        .map_err(|e| ApiError::CiInvalidArgument(format!("Operation.JobParam: {e}")))?;
    Ok(Vec::new())
}

fn parse_interval(interval: Option<&Element>) -> ApiResult<(Option<i64>, Option<i64>)> {
    let Some(interval) = interval else {
        return Ok((None, None));
    };
    let time = |name: &str| {
        interval
            .text_of(name)
            .map(|text| {
                parse_ci_time(text).ok_or_else(|| {
                    invalid(
                        &format!("Operation.TimeInterval.{name}"),
                        format!("`{text}` is not a time like 2023-12-13T20:35:40+0800"),
                    )
                })
            })
            .transpose()
    };
    let (from, to) = (time("Start")?, time("End")?.map(|ms| ms + 999));
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(invalid("Operation.TimeInterval", "Start is after End"));
    }
    Ok((from, to))
}

async fn create(app: &Arc<App>, ctx: &Ctx, body: Incoming) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_string();
    let request = parse_request(&read_xml_body(body).await?)?;
    let created_ms = now_ms();
    let job = BatchJobRecord {
        job_id: bucketflow_engine::plan::new_id('b'),
        bucket: bucket.clone(),
        name: request.name.clone(),
        job_type: request.job_type.clone(),
        state: "Submitted".into(),
        created_ms,
        started_ms: None,
        finished_ms: None,
        document: request.document.to_compact(),
        workflow_ids: request.workflow_ids.join(","),
        input_kind: request.input_kind.clone(),
        input_value: request.input_value.clone(),
        from_ms: request.from_ms,
        // The window ends when the job is created (spec §10: "default 0 … now"); later
        // uploads are the upload triggers' business.
        to_ms: Some(request.to_ms.unwrap_or(created_ms)),
        cursor: None,
        scan_done: false,
        selected: 0,
        skipped: 0,
        code: String::new(),
        message: String::new(),
    };
    let stored = job.clone();
    app.blocking(move |store| {
        store.write(|tx| {
            // Everything the job refers to must exist now; later changes fail the job.
            if tx.bucket(&bucket)?.is_none() {
                return Err(ApiError::NoSuchBucket);
            }
            for id in request.workflow_ids.iter() {
                let document = tx.workflow_document(&bucket, id)?;
                if document
                    .and_then(|d| Workflow::from_stored(&d).ok())
                    .is_none()
                {
                    return Err(invalid(
                        "Operation.WorkflowIds",
                        format!("workflow {id} does not exist"),
                    ));
                }
            }
            if request.input_kind != "Prefix" && tx.object(&bucket, &request.input_value)?.is_none()
            {
                return Err(ApiError::ResourceNotFound(format!(
                    "Input.{}: the object {} does not exist.",
                    request.input_kind, request.input_value
                )));
            }
            tx.insert_batch_job(&stored)?;
            Ok(())
        })
    })
    .await?;
    app.engine.wake_batch();
    tracing::info!(
        job_id = job.job_id,
        bucket = job.bucket,
        "batch job created"
    );
    let detail = render_job(&job, &BatchProgress::default(), None);
    Ok(Reply::xml(&response(ctx).child(detail)))
}

fn response(ctx: &Ctx) -> Element {
    Element::new("Response").child(Element::with_text("RequestId", ctx.request_id.as_str()))
}

/// A job's `JobsDetail`, with its progress and, for Job-type jobs, the first results.
fn render_job(job: &BatchJobRecord, progress: &BatchProgress, results: Option<Element>) -> Element {
    let time = |ms: Option<i64>| ms.map_or_else(|| "-".to_string(), |ms| format_ci_time(ms / 1000));
    let document = bucketflow_xml::parse(job.document.as_bytes(), &Limits::default()).ok();
    let mut detail = Element::new("JobsDetail")
        .child(Element::with_text(
            "Code",
            if job.code.is_empty() {
                "Success"
            } else {
                &job.code
            },
        ))
        .child(Element::with_text("Message", job.message.as_str()))
        .child(Element::with_text("Type", job.job_type.as_str()))
        .child(Element::with_text("Name", job.name.as_str()))
        .child(Element::with_text("JobId", job.job_id.as_str()))
        .child(Element::with_text("State", job.state.as_str()))
        .child(Element::with_text(
            "CreationTime",
            time(Some(job.created_ms)),
        ))
        .child(Element::with_text("StartTime", time(job.started_ms)))
        .child(Element::with_text("EndTime", time(job.finished_ms)));
    for part in ["Input", "Operation"] {
        if let Some(element) = document.as_ref().and_then(|d| d.get(part)) {
            let mut element = element.clone();
            if part == "Operation"
                && let Some(results) = &results
            {
                element.push(results.clone());
            }
            detail.push(element);
        }
    }
    detail.push(
        Element::new("Progress")
            .child(Element::with_text(
                "SelectedCount",
                job.selected.to_string(),
            ))
            .child(Element::with_text("SkippedCount", job.skipped.to_string()))
            .child(Element::with_text(
                "RunningCount",
                progress.running.to_string(),
            ))
            .child(Element::with_text(
                "SuccessCount",
                progress.success.to_string(),
            ))
            .child(Element::with_text(
                "FailedCount",
                progress.failed.to_string(),
            ))
            .child(Element::with_text(
                "CancelCount",
                progress.canceled.to_string(),
            ))
            .child(Element::with_text(
                "ScanFinished",
                job.scan_done.to_string(),
            )),
    );
    detail
}

async fn get(app: &Arc<App>, ctx: &Ctx, job_id: &str) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_string();
    let id = job_id.to_string();
    let found = app
        .blocking(move |store| {
            store.read(|r| {
                let Some(job) = r.batch_job(&id)?.filter(|j| j.bucket == bucket) else {
                    return Ok::<_, ApiError>(None);
                };
                let progress = r.batch_progress(&id)?;
                let results = if job.job_type == "Job" {
                    Some(job_results(r, &id)?)
                } else {
                    None
                };
                Ok(Some((job, progress, results)))
            })
        })
        .await?;
    let mut answer = response(ctx);
    match found {
        Some((job, progress, results)) => answer.push(render_job(&job, &progress, results)),
        None => answer.push(Element::with_text("NonExistJobIds", job_id)),
    }
    Ok(Reply::xml(&answer))
}

/// `Results` of a Job-type job: one `Result` per object, with its ImageInspect outcome.
fn job_results(
    reader: &bucketflow_store::Reader<'_>,
    job_id: &str,
) -> bucketflow_store::Result<Element> {
    let mut results = Element::new("Results");
    for run_id in reader.batch_executions(job_id, MAX_LISTED_RESULTS)? {
        let Some(execution) = reader.execution(&run_id)? else {
            continue;
        };
        let tasks = reader.tasks(&run_id)?;
        let mut result = Element::new("Result")
            .child(Element::with_text("Object", execution.object_key.as_str()))
            .child(Element::with_text("RunId", execution.run_id.as_str()))
            .child(Element::with_text("State", execution.state.as_str()));
        if let Some(task) = tasks.first() {
            result.push(Element::with_text("Code", task.code.as_str()));
            result.push(Element::with_text("Message", task.message.as_str()));
            if let Some(inspect) = task_result(task) {
                result.push(inspect);
            }
        }
        results.push(result);
    }
    Ok(results)
}

async fn list(app: &Arc<App>, ctx: &Ctx) -> ApiResult<Response<Body>> {
    let states = match ctx.param_set("states") {
        None | Some("All") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "All")
            .map(|s| match s {
                "Submitted" | "Running" | "Success" | "Failed" | "Pause" | "Cancel" => {
                    Ok(s.to_string())
                }
                other => Err(invalid("states", format!("`{other}` is not a job state"))),
            })
            .collect::<ApiResult<_>>()?,
    };
    let job_type = match ctx.param_set("type").unwrap_or("Workflow") {
        t @ ("Workflow" | "Job") => t.to_string(),
        other => return Err(invalid("type", format!("`{other}` is not Workflow or Job"))),
    };
    let mut filter = BatchFilter {
        bucket: ctx.bucket()?.to_string(),
        job_type: Some(job_type),
        states,
        job_id: ctx.param_set("jobId").map(str::to_string),
        name: ctx.param_set("name").map(str::to_string),
        workflow_id: ctx.param_set("workflowId").map(str::to_string),
        created_from_ms: parse_time_param(ctx, "startCreationTime")?,
        created_to_ms: parse_time_param(ctx, "endCreationTime")?.map(|ms| ms + 999),
        ascending: parse_order(ctx.param_set("orderByTime"))?,
        after: parse_token(ctx.param_set("nextToken"))?,
        limit: parse_size(ctx.param_set("size"))?,
    };
    let limit = filter.limit;
    filter.limit += 1;
    let mut jobs = app
        .blocking(move |store| {
            store.read(|r| {
                let jobs = r.list_batch_jobs(&filter)?;
                jobs.into_iter()
                    .map(|job| Ok::<_, ApiError>((r.batch_progress(&job.job_id)?, job)))
                    .collect::<ApiResult<Vec<_>>>()
            })
        })
        .await?;
    let more = jobs.len() > limit;
    jobs.truncate(limit);
    let mut answer = response(ctx);
    for (progress, job) in &jobs {
        answer.push(render_job(job, progress, None));
    }
    let token = match jobs.last() {
        Some((_, last)) if more => format!("{}_{}", last.created_ms, last.job_id),
        _ => String::new(),
    };
    answer.push(Element::with_text("NextToken", token));
    Ok(Reply::xml(&answer))
}

async fn cancel(app: &Arc<App>, ctx: &Ctx, job_id: &str) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_string();
    let id = job_id.to_string();
    app.blocking(move |store| {
        store.write(|tx| {
            tx.batch_job(&id)?
                .filter(|j| j.bucket == bucket)
                .ok_or_else(|| invalid("JobId", format!("batch job {id} does not exist")))?;
            // Cancelling a job that already ended changes nothing and is not an error: the
            // SDK's own test cancels right after creating, when a small job may be done.
            tx.cancel_batch_job(&id, now_ms())?;
            Ok(())
        })
    })
    .await?;
    app.engine.wake_batch();
    Ok(Reply::empty(StatusCode::OK))
}
