//! The callback outbox. A delivery is inserted in the transaction of the state change that
//! causes it and moves `Pending` → `Sending` (leased) → `Delivered` | `Failed`, back to
//! `Pending` with a later `next_attempt_ms` after a retryable failure.

use rusqlite::{OptionalExtension, params};

use crate::{Reader, Result, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    /// `d` + 32 hex; sent to the receiver so that it can drop duplicates.
    pub delivery_id: String,
    pub run_id: String,
    /// `TaskFinish` or `WorkflowFinish`.
    pub event: String,
    pub url: String,
    /// The receiver (`host:port`) the URL points at; at most one attempt per receiver is in
    /// flight.
    pub receiver: String,
    pub content_type: String,
    pub body: Vec<u8>,
    /// `Pending`, `Sending`, `Delivered` or `Failed`.
    pub state: String,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: String,
    pub finished_ms: Option<i64>,
}

const COLUMNS: &str = "delivery_id, run_id, event, url, receiver, content_type, body, state, \
                       created_ms, next_attempt_ms, attempts, last_status, last_error, finished_ms";

fn delivery_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        delivery_id: row.get(0)?,
        run_id: row.get(1)?,
        event: row.get(2)?,
        url: row.get(3)?,
        receiver: row.get(4)?,
        content_type: row.get(5)?,
        body: row.get(6)?,
        state: row.get(7)?,
        created_ms: row.get(8)?,
        next_attempt_ms: row.get(9)?,
        attempts: row.get(10)?,
        last_status: row.get(11)?,
        last_error: row.get(12)?,
        finished_ms: row.get(13)?,
    })
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered {
        status: u16,
    },
    /// Try again at `next_attempt_ms`.
    Retry {
        status: Option<u16>,
        error: String,
        next_attempt_ms: i64,
    },
    /// Given up (4xx, or the retry policy is exhausted).
    Failed {
        status: Option<u16>,
        error: String,
    },
}

impl Tx<'_> {
    pub fn insert_delivery(&self, delivery: &DeliveryRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO deliveries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
             ?11, ?12, ?13, ?14)"
        );
        self.tx.execute(
            &sql,
            params![
                delivery.delivery_id,
                delivery.run_id,
                delivery.event,
                delivery.url,
                delivery.receiver,
                delivery.content_type,
                delivery.body,
                delivery.state,
                delivery.created_ms,
                delivery.next_attempt_ms,
                delivery.attempts,
                delivery.last_status,
                delivery.last_error,
                delivery.finished_ms
            ],
        )?;
        Ok(())
    }

    /// Claims the earliest due delivery whose receiver is not in `busy` (so that one slow
    /// receiver, however long its queue, never holds up the others): a due `Pending` one, or
    /// a `Sending` one whose lease expired. Returns it with its attempt count incremented.
    pub fn claim_delivery(
        &self,
        now_ms: i64,
        lease_ms: i64,
        busy: &[String],
    ) -> Result<Option<DeliveryRecord>> {
        let busy = serde_json::to_string(busy).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "UPDATE deliveries SET state = 'Sending', attempts = attempts + 1, \
             lease_until_ms = ?1 + ?2 \
             WHERE delivery_id = (SELECT delivery_id FROM deliveries \
                 WHERE ((state = 'Pending' AND next_attempt_ms <= ?1) \
                        OR (state = 'Sending' AND lease_until_ms < ?1)) \
                 AND receiver NOT IN (SELECT value FROM json_each(?3)) \
                 ORDER BY next_attempt_ms LIMIT 1) \
             RETURNING {COLUMNS}"
        );
        Ok(self
            .tx
            .query_row(&sql, params![now_ms, lease_ms, busy], delivery_from_row)
            .optional()?)
    }

    /// Records an attempt's outcome if `attempt` still owns the delivery.
    pub fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: u32,
        outcome: &AttemptOutcome,
        now_ms: i64,
    ) -> Result<bool> {
        let (state, status, error, next, finished) = match outcome {
            AttemptOutcome::Delivered { status } => {
                ("Delivered", Some(*status), "", None, Some(now_ms))
            }
            AttemptOutcome::Retry {
                status,
                error,
                next_attempt_ms,
            } => (
                "Pending",
                *status,
                error.as_str(),
                Some(*next_attempt_ms),
                None,
            ),
            AttemptOutcome::Failed { status, error } => {
                ("Failed", *status, error.as_str(), None, Some(now_ms))
            }
        };
        let changed = self.tx.execute(
            "UPDATE deliveries SET state = ?3, last_status = ?4, last_error = ?5, \
             next_attempt_ms = coalesce(?6, next_attempt_ms), finished_ms = ?7, \
             lease_until_ms = NULL \
             WHERE delivery_id = ?1 AND attempts = ?2 AND state = 'Sending'",
            params![delivery_id, attempt, state, status, error, next, finished],
        )?;
        Ok(changed == 1)
    }

    /// Puts failed deliveries back in the queue (all failed ones when `ids` is empty).
    /// Returns how many were re-queued.
    pub fn requeue_failed(&self, ids: &[String], now_ms: i64) -> Result<usize> {
        let mut requeued = 0;
        let sql = "UPDATE deliveries SET state = 'Pending', next_attempt_ms = ?2, attempts = 0, \
                   finished_ms = NULL, created_ms = ?2 \
                   WHERE state = 'Failed' AND (?1 IS NULL OR delivery_id = ?1)";
        if ids.is_empty() {
            requeued += self.tx.execute(sql, params![None::<String>, now_ms])?;
        }
        for id in ids {
            requeued += self.tx.execute(sql, params![id, now_ms])?;
        }
        Ok(requeued)
    }
}

impl Reader<'_> {
    /// Deliveries in `state` (all when `None`), newest first, at most `limit`.
    pub fn list_deliveries(
        &self,
        state: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM deliveries WHERE (?1 IS NULL OR state = ?1) \
             ORDER BY created_ms DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![state, limit as i64], delivery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
