//! Executions: `POST /triggerworkflow`, `GET /workflowexecution` and
//! `GET /workflowexecution/<RunId>` (spec §4.5, §4.7, §4.8, §6, §9).

use std::sync::Arc;

use bucketflow_engine::plan::vendor_task_state;
use bucketflow_engine::time::format_ci_time;
use bucketflow_engine::workflow::{Workflow, render_topology};
use bucketflow_store::{ExecutionFilter, ExecutionRecord, TaskRecord};
use bucketflow_xml::{Element, Limits};
use http::Response;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

fn response(ctx: &Ctx) -> Element {
    Element::new("Response").child(Element::with_text("RequestId", ctx.request_id.as_str()))
}

fn ci_time(ms: i64) -> String {
    format_ci_time(ms.div_euclid(1000))
}

/// `POST /triggerworkflow?workflowId=&object=`: one execution now, whatever the workflow's
/// state and input filter; it is readable as soon as the answer arrives.
pub async fn trigger(app: &Arc<App>, ctx: &Ctx) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_string();
    let workflow_id = ctx
        .param_set("workflowId")
        .ok_or_else(|| ApiError::CiInvalidArgument("workflowId is required.".into()))?
        .to_string();
    let key = ctx
        .param_set("object")
        .ok_or_else(|| ApiError::CiInvalidArgument("object is required.".into()))?
        .trim_start_matches('/')
        .to_string();
    let run_id = app
        .blocking(move |store| {
            store.write(|tx| {
                let document = tx
                    .workflow_document(&bucket, &workflow_id)?
                    .ok_or_else(|| {
                        ApiError::CiInvalidArgument(format!(
                            "workflow {workflow_id} does not exist."
                        ))
                    })?;
                let workflow = Workflow::from_stored(&document)
                    .map_err(|e| ApiError::Internal(format!("stored workflow: {e}")))?;
                let object = tx.object(&bucket, &key)?.ok_or_else(|| {
                    ApiError::ResourceNotFound(format!("The object {key} does not exist."))
                })?;
                let run_id = bucketflow_engine::trigger::start_one(
                    tx,
                    &workflow_id,
                    &workflow,
                    &object,
                    "",
                )?;
                Ok(run_id)
            })
        })
        .await?;
    app.engine.wake();
    Ok(Reply::xml(
        &response(ctx).child(Element::with_text("InstanceId", run_id)),
    ))
}

pub async fn get(app: &Arc<App>, ctx: &Ctx, run_id: &str) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_string();
    let id = run_id.to_string();
    let found = app
        .blocking(move |store| {
            store.read(|r| {
                let Some(execution) = r.execution(&id)?.filter(|e| e.bucket == bucket) else {
                    return Ok::<_, ApiError>(None);
                };
                let tasks = r.tasks(&id)?;
                Ok(Some((execution, tasks)))
            })
        })
        .await?;
    let (execution, tasks) = found.ok_or_else(|| {
        ApiError::CiInvalidArgument(format!("workflow execution {run_id} does not exist."))
    })?;
    Ok(Reply::xml(
        &response(ctx).child(render_execution(&execution, &tasks)),
    ))
}

/// The full `WorkflowExecution` document of spec §6.
pub fn render_execution(execution: &ExecutionRecord, tasks: &[TaskRecord]) -> Element {
    let mut element = Element::new("WorkflowExecution")
        .child(Element::with_text("RunId", execution.run_id.as_str()))
        .child(Element::with_text(
            "WorkflowId",
            execution.workflow_id.as_str(),
        ))
        .child(Element::with_text(
            "WorkflowName",
            execution.workflow_name.as_str(),
        ))
        .child(Element::with_text("Name", execution.workflow_name.as_str()))
        .child(Element::with_text("State", execution.state.as_str()))
        .child(Element::with_text(
            "CreateTime",
            ci_time(execution.created_ms),
        ))
        .child(Element::with_text("Object", execution.object_key.as_str()))
        .child(Element::with_text("BucketId", execution.bucket.as_str()));
    for (key, value) in &execution.cos_headers {
        element.push(
            Element::new("CosHeaders")
                .child(Element::with_text("Key", key.as_str()))
                .child(Element::with_text("Value", value.as_str())),
        );
    }
    if let Ok(workflow) = Workflow::from_stored(&execution.topology) {
        element.push(render_topology(&workflow));
    }
    for task in tasks {
        element.push(render_task(task));
    }
    element
}

fn render_task(task: &TaskRecord) -> Element {
    let time = |ms: Option<i64>| ms.map(ci_time).unwrap_or_default();
    let mut element = Element::new("Tasks")
        .child(Element::with_text("Type", task.node_type.as_str()))
        .child(Element::with_text("Name", task.node.as_str()))
        .child(Element::with_text("JobId", task.job_id.as_str()))
        .child(Element::with_text("State", vendor_task_state(&task.state)))
        .child(Element::with_text("CreateTime", ci_time(task.created_ms)))
        .child(Element::with_text("StartTime", time(task.started_ms)))
        .child(Element::with_text("EndTime", time(task.finished_ms)))
        .child(Element::with_text("Code", task.code.as_str()))
        .child(Element::with_text("Message", task.message.as_str()));
    if let Some(result) = task_result(task) {
        element.push(result);
    }
    element
}

/// The stored result document of a task (e.g. `ImageInspectResult`), if any.
pub fn task_result(task: &TaskRecord) -> Option<Element> {
    if task.result.is_empty() {
        return None;
    }
    bucketflow_xml::parse(task.result.as_bytes(), &Limits::default()).ok()
}

/// Longest page of `GET /workflowexecution`.
const MAX_SIZE: usize = 100;

pub async fn list(app: &Arc<App>, ctx: &Ctx) -> ApiResult<Response<Body>> {
    let mut filter = ExecutionFilter {
        bucket: ctx.bucket()?.to_string(),
        workflow_id: ctx.param_set("workflowId").map(str::to_string),
        job_id: ctx.param_set("jobId").map(str::to_string),
        object_key: ctx
            .param_set("name")
            .map(|n| n.trim_start_matches('/').to_string()),
        states: parse_states(ctx.param_set("states"))?,
        created_from_ms: parse_time_param(ctx, "startCreationTime")?,
        // Times have whole seconds: the end bound includes all of its second.
        created_to_ms: parse_time_param(ctx, "endCreationTime")?.map(|ms| ms + 999),
        ascending: parse_order(ctx.param_set("orderByTime"))?,
        after: parse_token(ctx.param_set("nextToken"))?,
        limit: parse_size(ctx.param_set("size"))?,
    };
    let limit = filter.limit;
    filter.limit += 1;
    let mut page = app
        .blocking(move |store| {
            store
                .read(|r| r.list_executions(&filter))
                .map_err(ApiError::from)
        })
        .await?;
    let more = page.len() > limit;
    page.truncate(limit);

    let mut result = response(ctx);
    for execution in &page {
        result.push(
            Element::new("WorkflowExecutionList")
                .child(Element::with_text("RunId", execution.run_id.as_str()))
                .child(Element::with_text(
                    "WorkflowId",
                    execution.workflow_id.as_str(),
                ))
                .child(Element::with_text("State", execution.state.as_str()))
                .child(Element::with_text(
                    "CreateTime",
                    ci_time(execution.created_ms),
                ))
                .child(Element::with_text("Object", execution.object_key.as_str())),
        );
    }
    let token = match page.last() {
        Some(last) if more => format!("{}_{}", last.created_ms, last.run_id),
        _ => String::new(),
    };
    result.push(Element::with_text("NextToken", token));
    Ok(Reply::xml(&result))
}

/// `states`: a comma list of All, Success, Failed, Running, Cancel; empty or All is no filter.
fn parse_states(value: Option<&str>) -> ApiResult<Vec<String>> {
    let mut states = Vec::new();
    for state in value
        .unwrap_or("All")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match state {
            "All" => return Ok(Vec::new()),
            "Success" | "Failed" | "Running" | "Cancel" => states.push(state.to_string()),
            other => {
                return Err(ApiError::CiInvalidArgument(format!(
                    "states: `{other}` is not one of All, Success, Failed, Running, Cancel."
                )));
            }
        }
    }
    Ok(states)
}

pub fn parse_order(value: Option<&str>) -> ApiResult<bool> {
    match value {
        None | Some("Desc") => Ok(false),
        Some("Asc") => Ok(true),
        Some(other) => Err(ApiError::CiInvalidArgument(format!(
            "orderByTime: `{other}` is not Asc or Desc."
        ))),
    }
}

/// `size`: 1 to 100, default 10; larger values are clamped to 100.
pub fn parse_size(value: Option<&str>) -> ApiResult<usize> {
    match value {
        None => Ok(10),
        Some(text) => match text.parse::<usize>() {
            Ok(0) | Err(_) => Err(ApiError::CiInvalidArgument(format!(
                "size: `{text}` is not a number from 1 to {MAX_SIZE}."
            ))),
            Ok(n) => Ok(n.min(MAX_SIZE)),
        },
    }
}

pub fn parse_token(value: Option<&str>) -> ApiResult<Option<(i64, String)>> {
    let Some(token) = value else {
        return Ok(None);
    };
    let invalid = || ApiError::CiInvalidArgument(format!("nextToken `{token}` is not valid."));
    let (ms, run_id) = token.split_once('_').ok_or_else(invalid)?;
    let ms = ms.parse::<i64>().map_err(|_| invalid())?;
    Ok(Some((ms, run_id.to_string())))
}

pub fn parse_time_param(ctx: &Ctx, name: &str) -> ApiResult<Option<i64>> {
    ctx.param_set(name)
        .map(|text| {
            parse_ci_time(text).ok_or_else(|| {
                ApiError::CiInvalidArgument(format!(
                    "{name}: `{text}` is not a time like 2023-12-13T20:35:40+0800."
                ))
            })
        })
        .transpose()
}

/// Parses the time forms CI accepts (spec §7.1): `T` or space between date and time, and an
/// offset of `+0800`, `+08:00`, `Z` or `z` (none means UTC). Returns Unix milliseconds.
pub fn parse_ci_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() < 19 || !text.is_char_boundary(19) {
        return None;
    }
    let (stamp, offset) = text.split_at(19);
    let stamp = stamp.replacen(' ', "T", 1);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(&stamp, &format).ok()?;
    let offset_secs = parse_offset(offset)?;
    let utc = local.assume_utc().unix_timestamp() - offset_secs;
    Some(utc * 1000)
}

fn parse_offset(offset: &str) -> Option<i64> {
    match offset {
        "" | "Z" | "z" => return Some(0),
        _ => {}
    }
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_times_in_every_documented_spelling() {
        let expected = Some(1_702_470_940_000);
        assert_eq!(parse_ci_time("2023-12-13T20:35:40+0800"), expected);
        assert_eq!(parse_ci_time("2023-12-13T20:35:40+08:00"), expected);
        assert_eq!(parse_ci_time("2023-12-13 20:35:40+0800"), expected);
        assert_eq!(parse_ci_time("2023-12-13T12:35:40Z"), expected);
        assert_eq!(parse_ci_time("2023-12-13T12:35:40z"), expected);
        assert_eq!(parse_ci_time("yesterday"), None);
        assert_eq!(parse_ci_time("2023-12-13T20:35:40+8"), None);
        // Regression: a multi-byte character across byte 19 must not panic.
        assert_eq!(parse_ci_time("2023-12-13T20:35:4中+0800"), None);
    }

    #[test]
    fn list_parameters() {
        assert_eq!(parse_states(Some("All")).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_states(Some("Success,Failed")).unwrap(),
            ["Success", "Failed"]
        );
        assert!(parse_states(Some("Done")).is_err());
        assert_eq!(parse_size(Some("500")).unwrap(), 100);
        assert!(parse_size(Some("0")).is_err());
        assert!(parse_order(Some("Sideways")).is_err());
        assert_eq!(
            parse_token(Some("12_iabc")).unwrap(),
            Some((12, "iabc".into()))
        );
        assert!(parse_token(Some("garbage")).is_err());
    }

    #[test]
    fn waiting_tasks_read_as_submitted() {
        assert_eq!(vendor_task_state("Ready"), "Submitted");
        assert_eq!(vendor_task_state("Skipped"), "Cancel");
        assert_eq!(vendor_task_state("Success"), "Success");
    }
}
