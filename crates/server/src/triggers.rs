//! What an object write starts: the executions of Active workflows that match it, committed
//! in the same transaction as the object.

use bucketflow_store::{ObjectRecord, Tx};

use crate::error::ApiResult;

/// Called inside the transaction that commits `object`; returns how many executions it
/// started, so that the caller wakes the scheduler once the transaction committed.
pub fn on_object_written(tx: &Tx<'_>, object: &ObjectRecord) -> ApiResult<usize> {
    Ok(bucketflow_engine::trigger::start_for_upload(tx, object)?)
}
