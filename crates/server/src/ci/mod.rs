//! The CI workflow API (spec workflow-api.md): workflows, executions and triggers.

mod batch;
mod execution;
mod request;
mod workflow;

use std::sync::Arc;

use http::{Method, Response};
use hyper::body::Incoming;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx};
use crate::router::Family;

/// Workflow ids are `w` and 32 hex digits, run ids `i…`, batch job ids `b…` (spec §7.2).
fn is_id(text: &str, prefix: char) -> bool {
    text.len() == 33 && text.starts_with(prefix) && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// `workflow/w…` → (`workflow`, `Some("w…")`); `workflow` → (`workflow`, `None`).
fn split_path(key: &str) -> (&str, Option<&str>) {
    match key.split_once('/') {
        Some((head, id)) => (head, Some(id)),
        None => (key, None),
    }
}

/// Whether a request is a CI call: by the `.ci.` host, or on the COS host by the documented
/// method, path and query shape, so that objects whose keys merely start with `workflow`
/// stay objects (spec §1.1).
pub fn is_ci_request(ctx: &Ctx) -> bool {
    if ctx.target.family == Family::Ci {
        return true;
    }
    let (head, id) = split_path(&ctx.target.key);
    let has = |names: &[&str]| names.iter().any(|n| ctx.has_param(n));
    match (&ctx.method, head, id) {
        (&Method::POST, "workflow", None) => true,
        (&Method::GET, "workflow", None) => has(&["ids", "name", "pageNumber", "pageSize"]),
        (&Method::PUT | &Method::DELETE, "workflow", Some(id)) => is_id(id, 'w'),
        (&Method::GET, "workflowexecution", None) => has(&["workflowId", "nextToken", "size"]),
        (&Method::GET, "workflowexecution", Some(id)) => is_id(id, 'i'),
        (&Method::POST, "triggerworkflow", None) => has(&["workflowId"]),
        (&Method::POST, "inventorytriggerjob", None) => true,
        (&Method::GET, "inventorytriggerjob", None) => {
            has(&["type", "states", "size", "nextToken"])
        }
        (&Method::GET | &Method::PUT, "inventorytriggerjob", Some(id)) => is_id(id, 'b'),
        _ => false,
    }
}

pub async fn dispatch(app: &Arc<App>, ctx: &Ctx, body: Incoming) -> ApiResult<Response<Body>> {
    match split_path(&ctx.target.key) {
        ("workflow", id) => workflow::dispatch(app, ctx, id, body).await,
        ("triggerworkflow", None) if ctx.method == Method::POST => {
            execution::trigger(app, ctx).await
        }
        ("inventorytriggerjob", id) => batch::dispatch(app, ctx, id, body).await,
        ("workflowexecution", None) if ctx.method == Method::GET => execution::list(app, ctx).await,
        ("workflowexecution", Some(run_id)) if ctx.method == Method::GET => {
            execution::get(app, ctx, run_id).await
        }
        _ => Err(ApiError::NotImplemented(format!(
            "{} /{}",
            ctx.method, ctx.target.key
        ))),
    }
}
