//! Starting executions: on upload (Active workflows whose input matches) and on demand.

use bucketflow_store::{ObjectRecord, StoreError, Tx, now_ms};

use crate::plan::{Origin, plan_execution};
use crate::workflow::Workflow;

/// Inserts one execution per Active workflow of the object's bucket that matches it. Runs in
/// the transaction that commits the object, so an acknowledged upload always has its
/// executions. Returns how many were started.
pub fn start_for_upload(tx: &Tx<'_>, object: &ObjectRecord) -> Result<usize, StoreError> {
    let mut started = 0;
    for active in tx.active_workflows(&object.bucket)? {
        let workflow = match Workflow::from_stored(&active.document) {
            Ok(workflow) => workflow,
            Err(error) => {
                tracing::error!(
                    workflow_id = active.workflow_id,
                    %error,
                    "stored workflow does not parse"
                );
                continue;
            }
        };
        if !workflow.matches(&object.key, &object.content_type) {
            continue;
        }
        let origin = Origin {
            workflow_id: &active.workflow_id,
            workflow: &workflow,
            job_id: "",
            now_ms: now_ms(),
        };
        let (execution, tasks) = plan_execution(&origin, object);
        tx.insert_execution(&execution, &tasks)?;
        started += 1;
    }
    Ok(started)
}

/// Inserts one execution of `workflow` on `object` whatever the workflow's state and input
/// (`POST /triggerworkflow`, batch jobs). Returns the RunId.
pub fn start_one(
    tx: &Tx<'_>,
    workflow_id: &str,
    workflow: &Workflow,
    object: &ObjectRecord,
    job_id: &str,
) -> Result<String, StoreError> {
    let origin = Origin {
        workflow_id,
        workflow,
        job_id,
        now_ms: now_ms(),
    };
    let (execution, tasks) = plan_execution(&origin, object);
    tx.insert_execution(&execution, &tasks)?;
    Ok(execution.run_id)
}
