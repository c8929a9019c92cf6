//! The workflow endpoints (spec §4.1–4.4, §4.6): create, update, update state, get and delete
//! a `MediaWorkflow`.
//!
//! Bodies are parsed and validated by the engine before the store is touched, and every
//! check that depends on stored state (the workflow exists in this bucket, it is not Active)
//! runs inside the transaction that makes the change, so an error stores nothing.

use std::sync::Arc;

use bucketflow_engine::workflow::{Workflow, WorkflowMeta, WorkflowState, render_media_workflow};
use bucketflow_store::{WorkflowQuery, WorkflowRecord, now_ms, random_hex};
use bucketflow_xml::Element;
use http::{Method, Response};
use hyper::body::Incoming;

use super::request::{Paging, read_xml_body, requested_ids, requested_state, workflow_body_error};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

/// Routes `/workflow` and `/workflow/<WorkflowId>` by method; `id` is the path after
/// `/workflow/`.
pub async fn dispatch(
    app: &Arc<App>,
    ctx: &Ctx,
    id: Option<&str>,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let bucket = ctx.bucket()?.to_owned();
    match (&ctx.method, id) {
        (&Method::POST, None) => create_workflow(app, ctx, bucket, body).await,
        (&Method::GET, None) => get_workflow(app, ctx, bucket).await,
        (&Method::PUT, Some(id)) => match requested_state(&ctx.query)? {
            Some(state) => update_workflow_state(app, ctx, bucket, id, state).await,
            None => update_workflow(app, ctx, bucket, id, body).await,
        },
        (&Method::DELETE, Some(id)) => delete_workflow(app, ctx, bucket, id).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}

/// `POST /workflow`: stores a new workflow in the state its body asks for (default Paused).
async fn create_workflow(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: String,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let workflow = parse_workflow(app, body).await?;
    let now = now_ms();
    let record = WorkflowRecord {
        workflow_id: new_workflow_id(),
        bucket,
        name: workflow.name().to_owned(),
        state: workflow.state().as_str().to_owned(),
        document: workflow.to_stored(),
        created_ms: now,
        updated_ms: now,
    };
    let row = record.clone();
    app.blocking(move |store| {
        store
            .write(|tx| tx.create_workflow(&row))
            .map_err(ApiError::from)
    })
    .await?;
    tracing::info!(
        bucket = record.bucket,
        workflow_id = record.workflow_id,
        "workflow created"
    );
    media_workflow_reply(ctx, &workflow, &record)
}

/// `PUT /workflow/<id>`: replaces name, state and topology of a Paused workflow.
async fn update_workflow(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: String,
    id: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let workflow = parse_workflow(app, body).await?;
    let (id, name, state, document) = (
        id.to_owned(),
        workflow.name().to_owned(),
        workflow.state().as_str().to_owned(),
        workflow.to_stored(),
    );
    let record = app
        .blocking(move |store| {
            store.write(|tx| {
                let current = existing(tx.workflow(&id)?, &bucket, &id)?;
                refuse_if_active(&current)?;
                let updated = WorkflowRecord {
                    name,
                    state,
                    document,
                    updated_ms: now_ms(),
                    ..current
                };
                tx.update_workflow(&updated)?;
                Ok(updated)
            })
        })
        .await?;
    tracing::info!(
        bucket = record.bucket,
        workflow_id = record.workflow_id,
        "workflow updated"
    );
    media_workflow_reply(ctx, &workflow, &record)
}

/// `PUT /workflow/<id>?active|paused`: switches the state and answers the whole workflow,
/// which the SDK's tests read back (spec §4.3). Asking for the current state changes nothing.
async fn update_workflow_state(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: String,
    id: &str,
    state: WorkflowState,
) -> ApiResult<Response<Body>> {
    let id = id.to_owned();
    let record = app
        .blocking(move |store| {
            store.write(|tx| {
                let current = existing(tx.workflow(&id)?, &bucket, &id)?;
                if current.state == state.as_str() {
                    return Ok(current);
                }
                let updated = WorkflowRecord {
                    state: state.as_str().to_owned(),
                    updated_ms: now_ms(),
                    ..current
                };
                tx.set_workflow_state(&updated.workflow_id, &updated.state, updated.updated_ms)?;
                Ok(updated)
            })
        })
        .await?;
    tracing::info!(
        bucket = record.bucket,
        workflow_id = record.workflow_id,
        state = record.state,
        "workflow state set"
    );
    media_workflow_reply(ctx, &stored_workflow(&record)?, &record)
}

/// `DELETE /workflow/<id>`: removes a Paused workflow.
async fn delete_workflow(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: String,
    id: &str,
) -> ApiResult<Response<Body>> {
    let (id, workflow_id) = (id.to_owned(), id.to_owned());
    let bucket_name = bucket.clone();
    app.blocking(move |store| {
        store.write(|tx| {
            let current = existing(tx.workflow(&id)?, &bucket, &id)?;
            refuse_if_active(&current)?;
            tx.delete_workflow(&id)?;
            Ok(())
        })
    })
    .await?;
    tracing::info!(bucket = bucket_name, workflow_id, "workflow deleted");
    let answer = response(&ctx.request_id).child(Element::with_text("WorkflowId", workflow_id));
    Ok(Reply::xml(&answer))
}

/// What `GET /workflow` found: one page, the count before paging, and which of the
/// requested ids exist in the bucket.
struct Found {
    page: Vec<WorkflowRecord>,
    total: u64,
    existing_ids: Vec<String>,
}

/// `GET /workflow?ids=&name=&pageNumber=&pageSize=`: the bucket's workflows, newest first.
async fn get_workflow(app: &Arc<App>, ctx: &Ctx, bucket: String) -> ApiResult<Response<Body>> {
    let paging = Paging::parse(ctx.param("pageNumber"), ctx.param("pageSize"))?;
    let ids = requested_ids(ctx.param("ids"));
    let name = ctx.param_set("name").map(str::to_owned);
    let wanted = ids.clone();
    let found = app
        .blocking(move |store| {
            store.read(|r| {
                r.bucket(&bucket)?.ok_or(ApiError::NoSuchBucket)?;
                let query = WorkflowQuery {
                    bucket: &bucket,
                    ids: &wanted,
                    name: name.as_deref(),
                };
                let page = r.list_workflows(&query, paging.offset(), paging.size)?;
                let total = r.count_workflows(&query)?;
                let existing_ids = if wanted.is_empty() {
                    Vec::new()
                } else {
                    ids_in_bucket(r, &bucket, &wanted)?
                };
                Ok(Found {
                    page,
                    total,
                    existing_ids,
                })
            })
        })
        .await?;
    Ok(Reply::xml(&list_answer(
        &ctx.request_id,
        paging,
        &ids,
        &found,
    )?))
}

/// Which of `ids` name a workflow of `bucket`, whatever its name.
fn ids_in_bucket(
    r: &bucketflow_store::Reader<'_>,
    bucket: &str,
    ids: &[String],
) -> ApiResult<Vec<String>> {
    let query = WorkflowQuery {
        bucket,
        ids,
        name: None,
    };
    let records = r.list_workflows(&query, 0, ids.len() as u64)?;
    Ok(records.into_iter().map(|w| w.workflow_id).collect())
}

/// `TotalCount`, `PageNumber`, `PageSize`, one `MediaWorkflowList` per workflow (omitted when
/// none matched) and one `NonExistIDs` per requested id that is not in the bucket.
fn list_answer(
    request_id: &str,
    paging: Paging,
    ids: &[String],
    found: &Found,
) -> ApiResult<Element> {
    let mut answer = response(request_id)
        .child(Element::with_text("TotalCount", found.total.to_string()))
        .child(Element::with_text("PageNumber", paging.number.to_string()))
        .child(Element::with_text("PageSize", paging.size.to_string()));
    for record in &found.page {
        let mut item = render_media_workflow(&stored_workflow(record)?, &meta(record)?);
        item.name = "MediaWorkflowList".into();
        answer.push(item);
    }
    for id in ids.iter().filter(|id| !found.existing_ids.contains(id)) {
        answer.push(Element::with_text("NonExistIDs", id.as_str()));
    }
    Ok(answer)
}

/// Reads and validates a create/update body, including the operator's callback target
/// lists (checked again when sending).
async fn parse_workflow(app: &App, body: Incoming) -> ApiResult<Workflow> {
    let bytes = read_xml_body(body).await?;
    let workflow = Workflow::parse(&bytes).map_err(workflow_body_error)?;
    if let Some(notify) = workflow.notify_config() {
        let (targets, url) = (app.config.callbacks.targets.clone(), notify.url.clone());
        tokio::task::spawn_blocking(move || targets.check(&url))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|why| {
                ApiError::CiInvalidArgument(format!(
                    "MediaWorkflow.Topology.Nodes.Start.Input.NotifyConfig.Url: {why}"
                ))
            })?;
    }
    Ok(workflow)
}

/// `w` + 32 lower-case hex (spec §7.2).
fn new_workflow_id() -> String {
    format!("w{}", random_hex())
}

/// The stored workflow when it belongs to `bucket`; a workflow of another bucket is as
/// unknown as one that never existed. There is no documented code for an unknown
/// WorkflowId; 400 InvalidArgument is the one the CI docs give for a bad request parameter.
fn existing(record: Option<WorkflowRecord>, bucket: &str, id: &str) -> ApiResult<WorkflowRecord> {
    record.filter(|r| r.bucket == bucket).ok_or_else(|| {
        ApiError::CiInvalidArgument(format!(
            "WorkflowId {id:?} does not name a workflow of bucket {bucket}."
        ))
    })
}

fn refuse_if_active(record: &WorkflowRecord) -> ApiResult<()> {
    if record.state == WorkflowState::Active.as_str() {
        return Err(ApiError::ActiveWorkflowForbiddenUpdate);
    }
    Ok(())
}

/// The stored document read back; it was validated when written, so failing here means the
/// database holds something this server did not write.
fn stored_workflow(record: &WorkflowRecord) -> ApiResult<Workflow> {
    Workflow::from_stored(&record.document).map_err(|e| {
        ApiError::Internal(format!(
            "stored workflow {} is unreadable: {e}",
            record.workflow_id
        ))
    })
}

fn meta(record: &WorkflowRecord) -> ApiResult<WorkflowMeta> {
    let state = WorkflowState::from_name(&record.state).ok_or_else(|| {
        ApiError::Internal(format!(
            "stored workflow {} has unknown state {:?}",
            record.workflow_id, record.state
        ))
    })?;
    Ok(WorkflowMeta {
        id: record.workflow_id.clone(),
        bucket: record.bucket.clone(),
        state,
        create_time: record.created_ms.div_euclid(1000),
        update_time: record.updated_ms.div_euclid(1000),
    })
}

/// `<Response><RequestId>…</RequestId>`, the start of every CI answer.
fn response(request_id: &str) -> Element {
    Element::new("Response").child(Element::with_text("RequestId", request_id))
}

/// The answer of create, update and update-state: `RequestId` and the whole `MediaWorkflow`.
fn media_workflow_reply(
    ctx: &Ctx,
    workflow: &Workflow,
    record: &WorkflowRecord,
) -> ApiResult<Response<Body>> {
    let answer = response(&ctx.request_id).child(render_media_workflow(workflow, &meta(record)?));
    Ok(Reply::xml(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: &str) -> WorkflowRecord {
        WorkflowRecord {
            workflow_id: new_workflow_id(),
            bucket: "demo-1250000000".into(),
            name: "n".into(),
            state: state.into(),
            document: String::new(),
            created_ms: 1_702_470_578_999,
            updated_ms: 1_702_470_640_000,
        }
    }

    #[test]
    fn workflow_ids_are_w_and_32_lower_hex() {
        let id = new_workflow_id();
        assert_eq!(id.len(), 33);
        assert!(id.starts_with('w'));
        assert!(
            id[1..]
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_ne!(id, new_workflow_id());
    }

    #[test]
    fn a_workflow_of_another_bucket_is_unknown() {
        let stored = record("Paused");
        let id = stored.workflow_id.clone();
        assert!(existing(Some(stored.clone()), "demo-1250000000", &id).is_ok());
        let other = existing(Some(stored), "other-1250000000", &id).unwrap_err();
        let missing = existing(None, "demo-1250000000", &id).unwrap_err();
        for error in [other, missing] {
            let (code, status, message) = error.parts();
            assert_eq!((code, status.as_u16()), ("InvalidArgument", 400));
            assert!(message.contains(&id));
        }
    }

    #[test]
    fn only_active_workflows_are_frozen() {
        assert!(refuse_if_active(&record("Paused")).is_ok());
        let (code, status, _) = refuse_if_active(&record("Active")).unwrap_err().parts();
        assert_eq!(
            (code, status.as_u16()),
            ("ActiveWorkflowForbiddenUpdate", 403)
        );
    }

    const BODY: &str = "<Request><MediaWorkflow><Name>n</Name><Topology>\
        <Dependencies><Start>Inspect</Start><Inspect>End</Inspect></Dependencies>\
        <Nodes><Start><Type>Start</Type><Input><ObjectPrefix>p</ObjectPrefix></Input></Start>\
        <Inspect><Type>ImageInspect</Type></Inspect></Nodes>\
        </Topology></MediaWorkflow></Request>";

    #[test]
    fn list_answer_has_one_item_per_workflow_and_one_entry_per_missing_id() {
        let mut stored = record("Paused");
        stored.document = Workflow::parse(BODY.as_bytes()).unwrap().to_stored();
        let found = Found {
            page: vec![stored.clone()],
            total: 7,
            existing_ids: vec![stored.workflow_id.clone()],
        };
        let ids = [
            stored.workflow_id.clone(),
            "wmissing".into(),
            "wgone".into(),
        ];
        let paging = Paging { number: 2, size: 1 };
        let answer = list_answer("req", paging, &ids, &found).unwrap();

        assert_eq!(answer.name, "Response");
        assert_eq!(answer.text_of("RequestId"), Some("req"));
        assert_eq!(answer.text_of("TotalCount"), Some("7"));
        assert_eq!(answer.text_of("PageNumber"), Some("2"));
        assert_eq!(answer.text_of("PageSize"), Some("1"));
        let items: Vec<_> = answer.get_all("MediaWorkflowList").collect();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].text_of("WorkflowId"),
            Some(stored.workflow_id.as_str())
        );
        assert_eq!(
            items[0].text_of("CreateTime"),
            Some("2023-12-13T20:29:38+0800")
        );
        assert!(items[0].get("Topology").is_some());
        let missing: Vec<_> = answer
            .get_all("NonExistIDs")
            .filter_map(Element::value)
            .collect();
        assert_eq!(missing, ["wmissing", "wgone"]);
    }

    #[test]
    fn an_empty_list_has_no_media_workflow_list_element() {
        let found = Found {
            page: Vec::new(),
            total: 0,
            existing_ids: Vec::new(),
        };
        let paging = Paging {
            number: 1,
            size: 10,
        };
        let answer = list_answer("req", paging, &[], &found).unwrap();
        assert!(answer.get("MediaWorkflowList").is_none());
        assert!(answer.get("NonExistIDs").is_none());
        assert_eq!(answer.text_of("TotalCount"), Some("0"));
    }

    #[test]
    fn meta_writes_times_in_seconds() {
        let meta = meta(&record("Active")).unwrap();
        assert_eq!(meta.state, WorkflowState::Active);
        assert_eq!(
            (meta.create_time, meta.update_time),
            (1_702_470_578, 1_702_470_640)
        );
        assert!(super::meta(&record("active")).is_err());
    }
}
