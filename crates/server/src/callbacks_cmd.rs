//! `bucketflow callbacks …`: see why callbacks did not arrive, and send failed ones again.
//! Works on the data directory while the server runs (SQLite allows it); the server picks
//! re-queued deliveries up within its poll interval.

use std::path::Path;
use std::process::ExitCode;

use bucketflow_store::{Store, now_ms};

pub fn list(data_dir: &Path, state: &str, limit: usize) -> ExitCode {
    let store = match Store::open_metadata(data_dir) {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    let filter = match state {
        "all" => None,
        "failed" => Some("Failed"),
        "pending" => Some("Pending"),
        "sending" => Some("Sending"),
        "delivered" => Some("Delivered"),
        other => {
            return fail(&format!(
                "unknown state `{other}`; use failed, pending, sending, delivered or all"
            ));
        }
    };
    let deliveries = match store.read(|r| r.list_deliveries(filter, limit)) {
        Ok(deliveries) => deliveries,
        Err(error) => return fail(&error.to_string()),
    };
    for d in deliveries {
        let line = serde_json::json!({
            "delivery_id": d.delivery_id,
            "run_id": d.run_id,
            "event": d.event,
            "url": d.url,
            "state": d.state,
            "attempts": d.attempts,
            "last_status": d.last_status,
            "last_error": d.last_error,
        });
        println!("{line}");
    }
    ExitCode::SUCCESS
}

pub fn retry(data_dir: &Path, ids: &[String]) -> ExitCode {
    let store = match Store::open_metadata(data_dir) {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    match store.write(|tx| tx.requeue_failed(ids, now_ms())) {
        Ok(count) => {
            println!("re-queued {count} failed deliveries");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("bucketflow callbacks: {message}");
    ExitCode::FAILURE
}
