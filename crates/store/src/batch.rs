//! Batch (inventory trigger) jobs: a durable, resumable scan over existing objects. The scan
//! position (`cursor`) is committed with the executions each page starts, so a restart
//! continues exactly where the last committed page ended.

use rusqlite::{OptionalExtension, params};

use crate::objects::key_from_row;
use crate::{ObjectRecord, Reader, Result, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct BatchJobRecord {
    /// `b` + 32 hex.
    pub job_id: String,
    pub bucket: String,
    pub name: String,
    /// `Workflow` or `Job`.
    pub job_type: String,
    /// `Submitted`, `Running`, `Success`, `Failed` or `Cancel`.
    pub state: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    /// The request's `Input` and `Operation`, echoed in answers.
    pub document: String,
    /// For `Workflow` jobs, the workflows to run, comma-separated.
    pub workflow_ids: String,
    /// `Prefix`, `Object` or `UrlFile`.
    pub input_kind: String,
    pub input_value: String,
    /// Upload-time window on the objects, Unix ms, inclusive.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Where the scan continues: the last key for prefix scans, the byte offset for URL files.
    pub cursor: Option<Vec<u8>>,
    pub scan_done: bool,
    /// Objects selected so far.
    pub selected: u64,
    /// Listed objects (URL file lines) that did not exist and were skipped.
    pub skipped: u64,
    pub code: String,
    pub message: String,
}

/// Filters of `GET /inventorytriggerjob`.
#[derive(Debug, Clone, Default)]
pub struct BatchFilter {
    pub bucket: String,
    pub job_type: Option<String>,
    pub states: Vec<String>,
    pub job_id: Option<String>,
    pub name: Option<String>,
    pub workflow_id: Option<String>,
    pub created_from_ms: Option<i64>,
    pub created_to_ms: Option<i64>,
    pub ascending: bool,
    pub after: Option<(i64, String)>,
    pub limit: usize,
}

/// How the executions of a job stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchProgress {
    pub running: u64,
    pub success: u64,
    pub failed: u64,
    pub canceled: u64,
}

const COLUMNS: &str = "job_id, bucket, name, job_type, state, created_ms, started_ms, \
                       finished_ms, document, workflow_ids, input_kind, input_value, from_ms, \
                       to_ms, cursor, scan_done, selected, skipped, code, message";

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<BatchJobRecord> {
    Ok(BatchJobRecord {
        job_id: row.get(0)?,
        bucket: row.get(1)?,
        name: row.get(2)?,
        job_type: row.get(3)?,
        state: row.get(4)?,
        created_ms: row.get(5)?,
        started_ms: row.get(6)?,
        finished_ms: row.get(7)?,
        document: row.get(8)?,
        workflow_ids: row.get(9)?,
        input_kind: row.get(10)?,
        input_value: key_from_row(row, 11)?,
        from_ms: row.get(12)?,
        to_ms: row.get(13)?,
        cursor: row.get(14)?,
        scan_done: row.get(15)?,
        selected: row.get::<_, i64>(16)? as u64,
        skipped: row.get::<_, i64>(17)? as u64,
        code: row.get(18)?,
        message: row.get(19)?,
    })
}

impl Tx<'_> {
    pub fn insert_batch_job(&self, job: &BatchJobRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO batch_jobs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
             ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        );
        self.tx.execute(
            &sql,
            params![
                job.job_id,
                job.bucket,
                job.name,
                job.job_type,
                job.state,
                job.created_ms,
                job.started_ms,
                job.finished_ms,
                job.document,
                job.workflow_ids,
                job.input_kind,
                job.input_value.as_bytes(),
                job.from_ms,
                job.to_ms,
                job.cursor,
                job.scan_done,
                job.selected as i64,
                job.skipped as i64,
                job.code,
                job.message
            ],
        )?;
        Ok(())
    }

    pub fn batch_job(&self, job_id: &str) -> Result<Option<BatchJobRecord>> {
        Reader { conn: &self.tx }.batch_job(job_id)
    }

    /// Claims a job whose scan is not finished (and not held by a live lease), marking it
    /// Running.
    pub fn claim_batch_scan(&self, now_ms: i64, lease_ms: i64) -> Result<Option<BatchJobRecord>> {
        let sql = format!(
            "UPDATE batch_jobs SET state = 'Running', started_ms = coalesce(started_ms, ?1), \
             lease_until_ms = ?1 + ?2 \
             WHERE job_id = (SELECT job_id FROM batch_jobs \
                 WHERE state IN ('Submitted', 'Running') AND scan_done = 0 \
                 AND (lease_until_ms IS NULL OR lease_until_ms < ?1) \
                 ORDER BY created_ms LIMIT 1) \
             RETURNING {COLUMNS}"
        );
        Ok(self
            .tx
            .query_row(&sql, params![now_ms, lease_ms], job_from_row)
            .optional()?)
    }

    /// Records a scanned page: the new cursor, how many objects it selected, whether the scan
    /// is finished; releases the lease. Does nothing to a job that is no longer Running.
    pub fn advance_batch_scan(
        &self,
        job_id: &str,
        cursor: Option<&[u8]>,
        (selected, skipped): (u64, u64),
        scan_done: bool,
    ) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE batch_jobs SET cursor = ?2, selected = selected + ?3, skipped = skipped + ?4, \
             scan_done = ?5, lease_until_ms = NULL WHERE job_id = ?1 AND state = 'Running'",
            params![job_id, cursor, selected as i64, skipped as i64, scan_done],
        )?;
        Ok(changed == 1)
    }

    pub fn finish_batch_job(
        &self,
        job_id: &str,
        state: &str,
        code: &str,
        message: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.tx.execute(
            "UPDATE batch_jobs SET state = ?2, code = ?3, message = ?4, finished_ms = ?5, \
             lease_until_ms = NULL WHERE job_id = ?1 AND state IN ('Submitted', 'Running')",
            params![job_id, state, code, message, now_ms],
        )?;
        Ok(())
    }

    /// Cancels a job: its scan stops, and work it queued but that has not started is
    /// cancelled. Running tasks finish. Returns false when the job had already ended.
    pub fn cancel_batch_job(&self, job_id: &str, now_ms: i64) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE batch_jobs SET state = 'Cancel', finished_ms = ?2, lease_until_ms = NULL \
             WHERE job_id = ?1 AND state IN ('Submitted', 'Running')",
            params![job_id, now_ms],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        self.tx.execute(
            "UPDATE tasks SET state = 'Skipped', finished_ms = ?2 \
             WHERE state IN ('Waiting', 'Ready') \
             AND run_id IN (SELECT run_id FROM executions WHERE job_id = ?1)",
            params![job_id, now_ms],
        )?;
        self.tx.execute(
            "UPDATE executions SET state = 'Cancel', finished_ms = ?2 \
             WHERE job_id = ?1 AND state = 'Running' \
             AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.run_id = executions.run_id \
                             AND tasks.state = 'Running')",
            params![job_id, now_ms],
        )?;
        Ok(true)
    }

    pub fn scanned_batch_jobs(&self) -> Result<Vec<BatchJobRecord>> {
        Reader { conn: &self.tx }.scanned_batch_jobs()
    }

    pub fn batch_progress(&self, job_id: &str) -> Result<BatchProgress> {
        Reader { conn: &self.tx }.batch_progress(job_id)
    }

    /// A page of objects of `bucket` with `prefix`, from `start` (inclusive) in key order.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start: &[u8],
        limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        Reader { conn: &self.tx }.list_objects(bucket, prefix, start, limit)
    }
}

impl Reader<'_> {
    /// Jobs whose scan is done but that are still Running: candidates for completion.
    pub fn scanned_batch_jobs(&self) -> Result<Vec<BatchJobRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM batch_jobs WHERE state = 'Running' AND scan_done = 1");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether any job still has objects to scan.
    pub fn batch_scan_pending(&self) -> Result<bool> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM batch_jobs WHERE state IN ('Submitted', 'Running') \
                 AND scan_done = 0 LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Batch tasks waiting to run: how far the scan may run ahead of the workers.
    pub fn batch_backlog(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM tasks WHERE priority > 0 AND state IN ('Waiting', 'Ready')",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    pub fn batch_job(&self, job_id: &str) -> Result<Option<BatchJobRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM batch_jobs WHERE job_id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [job_id], job_from_row)
            .optional()?)
    }

    pub fn batch_progress(&self, job_id: &str) -> Result<BatchProgress> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT state, count(*) FROM executions WHERE job_id = ?1 GROUP BY state",
        )?;
        let rows = stmt.query_map([job_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut progress = BatchProgress::default();
        for row in rows {
            let (state, count) = row?;
            let count = count as u64;
            match state.as_str() {
                "Running" => progress.running += count,
                "Success" => progress.success += count,
                "Failed" => progress.failed += count,
                _ => progress.canceled += count,
            }
        }
        Ok(progress)
    }

    pub fn list_batch_jobs(&self, filter: &BatchFilter) -> Result<Vec<BatchJobRecord>> {
        let order = if filter.ascending { "ASC" } else { "DESC" };
        let cmp = if filter.ascending { ">" } else { "<" };
        let states = filter
            .states
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(",");
        let mut sql = format!(
            "SELECT {COLUMNS} FROM batch_jobs WHERE bucket = ?1 \
             AND (?2 IS NULL OR job_type = ?2) AND (?3 IS NULL OR job_id = ?3) \
             AND (?4 IS NULL OR name = ?4) \
             AND (?5 IS NULL OR ',' || workflow_ids || ',' LIKE '%,' || ?5 || ',%') \
             AND (?6 IS NULL OR created_ms >= ?6) AND (?7 IS NULL OR created_ms <= ?7) \
             AND (?8 IS NULL OR (created_ms, job_id) {cmp} (?8, ?9))"
        );
        if !states.is_empty() {
            sql.push_str(&format!(" AND state IN ({states})"));
        }
        sql.push_str(&format!(
            " ORDER BY created_ms {order}, job_id {order} LIMIT ?10"
        ));
        let (after_ms, after_id) = match &filter.after {
            Some((ms, id)) => (Some(*ms), Some(id.as_str())),
            None => (None, None),
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(
            params![
                filter.bucket,
                filter.job_type,
                filter.job_id,
                filter.name,
                filter.workflow_id,
                filter.created_from_ms,
                filter.created_to_ms,
                after_ms,
                after_id,
                filter.limit as i64
            ],
            job_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The executions a job started, oldest first, at most `limit` (for Job-type results).
    pub fn batch_executions(&self, job_id: &str, limit: usize) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id FROM executions WHERE job_id = ?1 ORDER BY created_ms, run_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![job_id, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
