//! Turning a workflow and an object into an execution and its tasks, and deciding what runs
//! next when a task finishes. Everything here is a pure function of stored state.

use std::collections::HashMap;

use bucketflow_store::{ExecutionRecord, ObjectRecord, TaskRecord};

use crate::workflow::{NodeType, START, Workflow};

pub const STATE_RUNNING: &str = "Running";
pub const STATE_SUCCESS: &str = "Success";
pub const STATE_FAILED: &str = "Failed";

pub const TASK_WAITING: &str = "Waiting";
pub const TASK_READY: &str = "Ready";
pub const TASK_SKIPPED: &str = "Skipped";

/// A task state as the vendor names it: tasks that wait (for predecessors or a worker) are
/// `Submitted`, skipped ones `Cancel`; the others keep their name.
pub fn vendor_task_state(state: &str) -> &str {
    match state {
        TASK_WAITING | TASK_READY => "Submitted",
        TASK_SKIPPED => "Cancel",
        other => other,
    }
}

/// `prefix` followed by 32 lower-case hex digits (spec §7.2).
pub fn new_id(prefix: char) -> String {
    format!("{prefix}{}", bucketflow_store::random_hex())
}

/// What started an execution.
pub struct Origin<'a> {
    pub workflow_id: &'a str,
    pub workflow: &'a Workflow,
    /// The batch job, or "" for uploads and manual triggers.
    pub job_id: &'a str,
    pub now_ms: i64,
}

/// The execution of `origin.workflow` on `object`, with one task per processing node. Tasks
/// whose only predecessor is Start are Ready at once; the others wait.
pub fn plan_execution(
    origin: &Origin<'_>,
    object: &ObjectRecord,
) -> (ExecutionRecord, Vec<TaskRecord>) {
    let run_id = new_id('i');
    let workflow = origin.workflow;
    let tasks: Vec<TaskRecord> = workflow
        .nodes()
        .iter()
        .filter(|node| !matches!(node.node_type(), NodeType::Start | NodeType::End))
        .map(|node| {
            let ready = workflow
                .predecessors(node.name())
                .iter()
                .all(|p| *p == START);
            TaskRecord {
                run_id: run_id.clone(),
                node: node.name().to_string(),
                node_type: node.node_type().as_str().to_string(),
                job_id: new_id(job_prefix(node.node_type())),
                state: if ready { TASK_READY } else { TASK_WAITING }.to_string(),
                created_ms: origin.now_ms,
                started_ms: None,
                finished_ms: None,
                attempts: 0,
                code: String::new(),
                message: String::new(),
                result: String::new(),
            }
        })
        .collect();
    let finished = tasks.is_empty();
    let execution = ExecutionRecord {
        run_id,
        bucket: object.bucket.clone(),
        workflow_id: origin.workflow_id.to_string(),
        workflow_name: workflow.name().to_string(),
        object_key: object.key.clone(),
        state: if finished {
            STATE_SUCCESS
        } else {
            STATE_RUNNING
        }
        .to_string(),
        created_ms: origin.now_ms,
        finished_ms: finished.then_some(origin.now_ms),
        topology: workflow.to_stored(),
        job_id: origin.job_id.to_string(),
        cos_headers: cos_headers(object),
    };
    (execution, tasks)
}

/// Picture jobs (ImageInspect) are `c…`, media jobs `j…` (spec §7.2).
fn job_prefix(node_type: NodeType) -> char {
    match node_type {
        NodeType::ImageInspect => 'c',
        _ => 'j',
    }
}

/// The upload headers an execution reports as `CosHeaders`.
fn cos_headers(object: &ObjectRecord) -> Vec<(String, String)> {
    let mut headers = vec![("Content-Type".to_string(), object.content_type.clone())];
    headers.extend(object.headers.iter().cloned());
    headers.extend(object.meta.iter().cloned());
    headers
}

/// A change the scheduler commits after a task finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Ready(String),
    Skip(String),
    FinishExecution(&'static str),
}

/// What follows from `tasks` (the run's tasks, with the finished one already in its final
/// state): successors whose predecessors all succeeded become Ready, tasks downstream of a
/// failed one are skipped, and once nothing is left to run the execution ends, Failed if any
/// task failed.
pub fn next_transitions(workflow: &Workflow, tasks: &[TaskRecord]) -> Vec<Transition> {
    let mut states: HashMap<&str, &str> = tasks
        .iter()
        .map(|t| (t.node.as_str(), t.state.as_str()))
        .collect();
    // Start and End have no task; Start counts as done.
    let state_of = |states: &HashMap<&str, &str>, node: &str| -> &'static str {
        match states.get(node).copied() {
            None | Some(STATE_SUCCESS) => STATE_SUCCESS,
            Some(STATE_FAILED) | Some(TASK_SKIPPED) => STATE_FAILED,
            Some(_) => STATE_RUNNING,
        }
    };

    // Skip until nothing changes: a skip can unblock the skip of a task further down.
    let mut transitions = Vec::new();
    loop {
        let doomed: Vec<&str> = tasks
            .iter()
            .map(|t| t.node.as_str())
            .filter(|node| states.get(node) == Some(&TASK_WAITING))
            .filter(|node| {
                workflow
                    .predecessors(node)
                    .iter()
                    .any(|p| state_of(&states, p) == STATE_FAILED)
            })
            .collect();
        if doomed.is_empty() {
            break;
        }
        for node in doomed {
            states.insert(node, TASK_SKIPPED);
            transitions.push(Transition::Skip(node.to_string()));
        }
    }
    for task in tasks {
        let node = task.node.as_str();
        let waiting = states.get(node) == Some(&TASK_WAITING);
        if waiting
            && workflow
                .predecessors(node)
                .iter()
                .all(|p| state_of(&states, p) == STATE_SUCCESS)
        {
            states.insert(node, TASK_READY);
            transitions.push(Transition::Ready(task.node.clone()));
        }
    }

    let open = states
        .values()
        .any(|s| !matches!(*s, STATE_SUCCESS | STATE_FAILED | TASK_SKIPPED));
    if !open {
        let failed = states.values().any(|s| *s == STATE_FAILED);
        transitions.push(Transition::FinishExecution(if failed {
            STATE_FAILED
        } else {
            STATE_SUCCESS
        }));
    }
    transitions
}
