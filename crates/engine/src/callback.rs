//! Callback bodies (spec §8) and the outbox rows that carry them. A delivery is written in the
//! transaction of the state change it reports, so a callback is never lost and never invented.

use bucketflow_store::{DeliveryRecord, ExecutionRecord, StoreError, TaskRecord, Tx};
use bucketflow_xml::{Element, Limits};
use serde_json::{Map, Value};

use crate::plan::{new_id, vendor_task_state};
use crate::time::{format_callback_time, format_ci_time};
use crate::workflow::{NotifyConfig, NotifyEvent, ResultFormat, Workflow};

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn cos_headers(execution: &ExecutionRecord) -> impl Iterator<Item = Element> + '_ {
    execution.cos_headers.iter().map(|(key, value)| {
        Element::new("CosHeaders")
            .child(Element::with_text("Key", key.as_str()))
            .child(Element::with_text("Value", value.as_str()))
    })
}

/// The `TaskFinish` message for `task` (spec §8.3): the job detail, with its result and the
/// workflow it belongs to.
pub fn task_finish(execution: &ExecutionRecord, task: &TaskRecord, region: &str) -> Element {
    let time = |ms: Option<i64>| ms.map(|ms| format_ci_time(secs(ms))).unwrap_or_default();
    let mut input = Element::new("Input")
        .child(Element::with_text("BucketId", execution.bucket.as_str()))
        .child(Element::with_text("Object", execution.object_key.as_str()))
        .child(Element::with_text("Region", region));
    for header in cos_headers(execution) {
        input.push(header);
    }
    let mut operation = Element::new("Operation");
    if !task.result.is_empty()
        && let Ok(result) = bucketflow_xml::parse(task.result.as_bytes(), &Limits::default())
    {
        operation.push(result);
    }
    operation.push(Element::with_text("JobLevel", "0"));
    let detail = Element::new("JobsDetail")
        .child(Element::with_text("Code", task.code.as_str()))
        .child(Element::with_text("Message", task.message.as_str()))
        .child(Element::with_text("JobId", task.job_id.as_str()))
        .child(Element::with_text("Tag", task.node_type.as_str()))
        .child(Element::with_text("State", vendor_task_state(&task.state)))
        .child(Element::with_text("Progress", "100"))
        .child(Element::with_text(
            "CreationTime",
            time(Some(task.created_ms)),
        ))
        .child(Element::with_text("StartTime", time(task.started_ms)))
        .child(Element::with_text("EndTime", time(task.finished_ms)))
        .child(Element::with_text("QueueId", ""))
        .child(input)
        .child(operation)
        .child(
            Element::new("Workflow")
                .child(Element::with_text("RunId", execution.run_id.as_str()))
                .child(Element::with_text(
                    "WorkflowId",
                    execution.workflow_id.as_str(),
                ))
                .child(Element::with_text(
                    "WorkflowName",
                    execution.workflow_name.as_str(),
                ))
                .child(Element::with_text("Name", task.node.as_str())),
        );
    Element::new("Response")
        .child(Element::with_text("EventName", "TaskFinish"))
        .child(detail)
}

/// The `WorkflowFinish` message for a finished execution (spec §8.2).
pub fn workflow_finish(execution: &ExecutionRecord, tasks: &[TaskRecord]) -> Element {
    let time = |ms: Option<i64>| {
        ms.map(|ms| format_callback_time(secs(ms)))
            .unwrap_or_default()
    };
    let mut body = Element::new("WorkflowExecution")
        .child(Element::with_text(
            "WorkflowId",
            execution.workflow_id.as_str(),
        ))
        .child(Element::with_text(
            "WorkflowName",
            execution.workflow_name.as_str(),
        ))
        .child(Element::with_text("RunId", execution.run_id.as_str()))
        .child(Element::with_text("State", execution.state.as_str()))
        .child(Element::with_text("BucketId", execution.bucket.as_str()))
        .child(Element::with_text("Object", execution.object_key.as_str()))
        .child(Element::with_text(
            "CreateTime",
            time(Some(execution.created_ms)),
        ));
    for header in cos_headers(execution) {
        body.push(header);
    }
    for task in tasks {
        body.push(
            Element::new("Tasks")
                .child(Element::with_text("Type", task.node_type.as_str()))
                .child(Element::with_text(
                    "CreateTime",
                    time(Some(task.created_ms)),
                ))
                .child(Element::with_text("StartTime", time(task.started_ms)))
                .child(Element::with_text("EndTime", time(task.finished_ms)))
                .child(Element::with_text("State", vendor_task_state(&task.state)))
                .child(Element::with_text("JobId", task.job_id.as_str()))
                .child(Element::with_text("Name", task.node.as_str()))
                .child(Element::with_text("TemplateId", ""))
                .child(Element::with_text("TemplateName", "")),
        );
    }
    Element::new("Response")
        .child(Element::with_text("EventName", "WorkflowFinish"))
        .child(body)
}

/// Elements that the vendor's JSON callbacks always write as arrays.
const JSON_ARRAYS: &[&str] = &["JobsDetail", "CosHeaders", "Tasks"];

/// The body in the configured format. JSON drops the `Response` wrapper, writes every scalar
/// as a string and the elements of [`JSON_ARRAYS`] as arrays (spec §8.2, §8.3).
pub fn encode(message: &Element, format: ResultFormat) -> Vec<u8> {
    match format {
        ResultFormat::Xml => message.to_document().into_bytes(),
        ResultFormat::Json => to_json(message).to_string().into_bytes(),
    }
}

fn to_json(element: &Element) -> Value {
    if element.children.is_empty() {
        return Value::String(element.text.clone());
    }
    let mut map = Map::new();
    for child in &element.children {
        let value = to_json(child);
        let repeated = element.get_all(&child.name).nth(1).is_some();
        if JSON_ARRAYS.contains(&child.name.as_str()) || repeated {
            match map
                .entry(child.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(value),
                other => *other = Value::Array(vec![other.take(), value]),
            }
        } else {
            map.insert(child.name.clone(), value);
        }
    }
    Value::Object(map)
}

fn delivery(
    notify: &NotifyConfig,
    run_id: &str,
    event: NotifyEvent,
    message: &Element,
    now_ms: i64,
) -> DeliveryRecord {
    DeliveryRecord {
        delivery_id: new_id('d'),
        run_id: run_id.to_string(),
        event: event.as_str().to_string(),
        url: notify.url.clone(),
        receiver: crate::delivery::receiver_key(&notify.url),
        content_type: notify.result_format.content_type().to_string(),
        body: encode(message, notify.result_format),
        state: "Pending".into(),
        created_ms: now_ms,
        next_attempt_ms: now_ms,
        attempts: 0,
        last_status: None,
        last_error: String::new(),
        finished_ms: None,
    }
}

/// Queues the callbacks a finished task causes: its `TaskFinish`, and the `WorkflowFinish`
/// when the execution ended with it. Called inside the task's commit. Returns whether
/// anything was queued.
pub fn enqueue(
    tx: &Tx<'_>,
    workflow: &Workflow,
    run_id: &str,
    finished_task: Option<&str>,
    region: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let Some(notify) = workflow.notify_config() else {
        return Ok(false);
    };
    let Some(execution) = tx.execution(run_id)? else {
        return Ok(false);
    };
    let tasks = tx.tasks(run_id)?;
    let mut queued = false;
    if let Some(task) = finished_task.and_then(|node| tasks.iter().find(|t| t.node == node))
        && notify.wants(NotifyEvent::TaskFinish)
    {
        let message = task_finish(&execution, task, region);
        tx.insert_delivery(&delivery(
            notify,
            run_id,
            NotifyEvent::TaskFinish,
            &message,
            now_ms,
        ))?;
        queued = true;
    }
    if execution.state != "Running" && notify.wants(NotifyEvent::WorkflowFinish) {
        let message = workflow_finish(&execution, &tasks);
        tx.insert_delivery(&delivery(
            notify,
            run_id,
            NotifyEvent::WorkflowFinish,
            &message,
            now_ms,
        ))?;
        queued = true;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_drops_the_wrapper_and_makes_listed_elements_arrays() {
        let message = Element::new("Response")
            .child(Element::with_text("EventName", "TaskFinish"))
            .child(
                Element::new("JobsDetail")
                    .child(Element::with_text("Progress", "100"))
                    .child(
                        Element::new("Input").child(
                            Element::new("CosHeaders")
                                .child(Element::with_text("Key", "Content-Type"))
                                .child(Element::with_text("Value", "image/png")),
                        ),
                    ),
            );
        let json: Value = serde_json::from_slice(&encode(&message, ResultFormat::Json)).unwrap();
        assert_eq!(json["EventName"], "TaskFinish");
        assert_eq!(json["JobsDetail"][0]["Progress"], "100");
        assert_eq!(
            json["JobsDetail"][0]["Input"]["CosHeaders"][0]["Value"],
            "image/png"
        );
    }
}
