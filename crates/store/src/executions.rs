//! Workflow executions and their tasks: the durable task queue.
//!
//! A task moves `Waiting` → `Ready` → `Running` → `Success` | `Failed`, or to `Skipped` when a
//! predecessor failed. `Running` carries a lease: a worker that dies leaves the lease to
//! expire, and the task is claimed again.

use rusqlite::{OptionalExtension, params};

use crate::objects::{decode_pairs, encode_pairs, key_from_row};
use crate::{Reader, Result, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    pub run_id: String,
    pub bucket: String,
    pub workflow_id: String,
    pub workflow_name: String,
    pub object_key: String,
    /// `Running`, `Success` or `Failed`.
    pub state: String,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    /// The workflow document as it was when the execution started.
    pub topology: String,
    /// The batch job that started it, or empty.
    pub job_id: String,
    /// Headers of the upload that triggered it (`Content-Type`, `x-cos-meta-*`, …).
    pub cos_headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub run_id: String,
    pub node: String,
    pub node_type: String,
    pub job_id: String,
    /// `Waiting`, `Ready`, `Running`, `Success`, `Failed` or `Skipped`.
    pub state: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub attempts: u32,
    pub code: String,
    pub message: String,
    /// Node-specific result document (JSON), empty until the task finished.
    pub result: String,
}

/// Filters of `GET /workflowexecution` (spec §9), all optional but the workflow or job.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    pub bucket: String,
    pub workflow_id: Option<String>,
    pub job_id: Option<String>,
    pub object_key: Option<String>,
    pub states: Vec<String>,
    pub created_from_ms: Option<i64>,
    pub created_to_ms: Option<i64>,
    pub ascending: bool,
    /// Continue after this (created_ms, run_id) position.
    pub after: Option<(i64, String)>,
    pub limit: usize,
}

const EXECUTION_COLUMNS: &str = "run_id, bucket, workflow_id, workflow_name, object_key, state, \
                                 created_ms, finished_ms, topology, job_id, cos_headers";
const TASK_COLUMNS: &str = "run_id, node, node_type, job_id, state, created_ms, started_ms, \
                            finished_ms, attempts, code, message, result";

fn execution_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        run_id: row.get(0)?,
        bucket: row.get(1)?,
        workflow_id: row.get(2)?,
        workflow_name: row.get(3)?,
        object_key: key_from_row(row, 4)?,
        state: row.get(5)?,
        created_ms: row.get(6)?,
        finished_ms: row.get(7)?,
        topology: row.get(8)?,
        job_id: row.get(9)?,
        cos_headers: decode_pairs(&row.get::<_, String>(10)?)?,
    })
}

fn task_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRecord> {
    Ok(TaskRecord {
        run_id: row.get(0)?,
        node: row.get(1)?,
        node_type: row.get(2)?,
        job_id: row.get(3)?,
        state: row.get(4)?,
        created_ms: row.get(5)?,
        started_ms: row.get(6)?,
        finished_ms: row.get(7)?,
        attempts: row.get(8)?,
        code: row.get(9)?,
        message: row.get(10)?,
        result: row.get(11)?,
    })
}

impl Tx<'_> {
    pub fn insert_execution(
        &self,
        execution: &ExecutionRecord,
        tasks: &[TaskRecord],
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO executions ({EXECUTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
             ?9, ?10, ?11)"
        );
        self.tx.execute(
            &sql,
            params![
                execution.run_id,
                execution.bucket,
                execution.workflow_id,
                execution.workflow_name,
                execution.object_key.as_bytes(),
                execution.state,
                execution.created_ms,
                execution.finished_ms,
                execution.topology,
                execution.job_id,
                encode_pairs(&execution.cos_headers),
            ],
        )?;
        // Batch work yields to upload-triggered work: its tasks are claimed last.
        let priority = i64::from(!execution.job_id.is_empty());
        for task in tasks {
            self.insert_task(task, priority)?;
        }
        Ok(())
    }

    fn insert_task(&self, task: &TaskRecord, priority: i64) -> Result<()> {
        let sql = format!(
            "INSERT INTO tasks ({TASK_COLUMNS}, priority) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
             ?8, ?9, ?10, ?11, ?12, ?13)"
        );
        self.tx.execute(
            &sql,
            params![
                task.run_id,
                task.node,
                task.node_type,
                task.job_id,
                task.state,
                task.created_ms,
                task.started_ms,
                task.finished_ms,
                task.attempts,
                task.code,
                task.message,
                task.result,
                priority
            ],
        )?;
        Ok(())
    }

    /// Claims the oldest runnable task: a `Ready` one, or a `Running` one whose lease expired.
    /// Returns it with its attempt count already incremented; the attempt number is the
    /// worker's proof of ownership when it commits.
    pub fn claim_task(&self, now_ms: i64, lease_ms: i64) -> Result<Option<TaskRecord>> {
        let sql = format!(
            "UPDATE tasks SET state = 'Running', attempts = attempts + 1, \
             lease_until_ms = ?1 + ?2, started_ms = coalesce(started_ms, ?1) \
             WHERE (run_id, node) = (SELECT run_id, node FROM tasks \
                 WHERE state = 'Ready' OR (state = 'Running' AND lease_until_ms < ?1) \
                 ORDER BY priority, created_ms LIMIT 1) \
             RETURNING {TASK_COLUMNS}"
        );
        let task = self
            .tx
            .query_row(&sql, params![now_ms, lease_ms], task_from_row)
            .optional()?;
        Ok(task)
    }

    /// Records a task's outcome if `attempt` still owns it; `false` means the lease was lost
    /// and the caller must roll back.
    pub fn finish_task(&self, task: &TaskRecord, attempt: u32, now_ms: i64) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE tasks SET state = ?4, finished_ms = ?5, code = ?6, message = ?7, \
             result = ?8, lease_until_ms = NULL \
             WHERE run_id = ?1 AND node = ?2 AND state = 'Running' AND attempts = ?3",
            params![
                task.run_id,
                task.node,
                attempt,
                task.state,
                now_ms,
                task.code,
                task.message,
                task.result
            ],
        )?;
        Ok(changed == 1)
    }

    /// Releases every lease: running tasks become Ready again and deliveries being sent go
    /// back to Pending. Only valid when no other process can hold a lease (the embedded store
    /// is locked by one server); returns how many tasks were released.
    pub fn release_leases(&self) -> Result<usize> {
        let tasks = self.tx.execute(
            "UPDATE tasks SET state = 'Ready', lease_until_ms = NULL WHERE state = 'Running'",
            [],
        )?;
        self.tx.execute(
            "UPDATE deliveries SET state = 'Pending', lease_until_ms = NULL \
             WHERE state = 'Sending'",
            [],
        )?;
        self.tx
            .execute("UPDATE batch_jobs SET lease_until_ms = NULL", [])?;
        Ok(tasks)
    }

    /// Moves waiting tasks of a run to a new state (`Ready` or `Skipped`).
    pub fn set_task_state(&self, run_id: &str, node: &str, state: &str, now_ms: i64) -> Result<()> {
        let finished = (state == "Skipped").then_some(now_ms);
        self.tx.execute(
            "UPDATE tasks SET state = ?3, finished_ms = coalesce(?4, finished_ms) \
             WHERE run_id = ?1 AND node = ?2 AND state = 'Waiting'",
            params![run_id, node, state, finished],
        )?;
        Ok(())
    }

    pub fn finish_execution(&self, run_id: &str, state: &str, now_ms: i64) -> Result<()> {
        self.tx.execute(
            "UPDATE executions SET state = ?2, finished_ms = ?3 WHERE run_id = ?1",
            params![run_id, state, now_ms],
        )?;
        Ok(())
    }

    pub fn tasks(&self, run_id: &str) -> Result<Vec<TaskRecord>> {
        Reader { conn: &self.tx }.tasks(run_id)
    }

    pub fn execution(&self, run_id: &str) -> Result<Option<ExecutionRecord>> {
        Reader { conn: &self.tx }.execution(run_id)
    }
}

impl Reader<'_> {
    pub fn execution(&self, run_id: &str) -> Result<Option<ExecutionRecord>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE run_id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [run_id], execution_from_row)
            .optional()?)
    }

    pub fn tasks(&self, run_id: &str) -> Result<Vec<TaskRecord>> {
        let sql =
            format!("SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = ?1 ORDER BY created_ms, node");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([run_id], task_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Executions matching `filter`, ordered by creation time (then run id).
    pub fn list_executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        // Only the filters given become conditions, so that SQLite can walk the
        // (workflow_id, created_ms) or (job_id, created_ms) index instead of the whole table.
        let mut conditions = vec!["bucket = ?".to_string()];
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(filter.bucket.clone())];
        let mut add = |condition: &str, value: Box<dyn rusqlite::ToSql>| {
            conditions.push(condition.to_string());
            values.push(value);
        };
        if let Some(id) = &filter.workflow_id {
            add("workflow_id = ?", Box::new(id.clone()));
        }
        if let Some(id) = &filter.job_id {
            add("job_id = ?", Box::new(id.clone()));
        }
        if let Some(key) = &filter.object_key {
            add("object_key = ?", Box::new(key.as_bytes().to_vec()));
        }
        if let Some(from) = filter.created_from_ms {
            add("created_ms >= ?", Box::new(from));
        }
        if let Some(to) = filter.created_to_ms {
            add("created_ms <= ?", Box::new(to));
        }
        let (order, cmp) = if filter.ascending {
            ("ASC", ">")
        } else {
            ("DESC", "<")
        };
        if let Some((ms, id)) = &filter.after {
            conditions.push(format!("(created_ms, run_id) {cmp} (?, ?)"));
            values.push(Box::new(*ms));
            values.push(Box::new(id.clone()));
        }
        if !filter.states.is_empty() {
            let marks = vec!["?"; filter.states.len()].join(", ");
            conditions.push(format!("state IN ({marks})"));
            values.extend(
                filter
                    .states
                    .iter()
                    .map(|s| Box::new(s.clone()) as Box<dyn rusqlite::ToSql>),
            );
        }
        values.push(Box::new(filter.limit as i64));
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE {} \
             ORDER BY created_ms {order}, run_id {order} LIMIT ?",
            conditions.join(" AND ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(values.iter()),
            execution_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// An Active workflow as the trigger needs it.
#[derive(Debug, Clone)]
pub struct ActiveWorkflow {
    pub workflow_id: String,
    pub document: String,
}

impl Tx<'_> {
    /// The Active workflows of `bucket`, oldest first: the candidates an upload may trigger.
    pub fn active_workflows(&self, bucket: &str) -> Result<Vec<ActiveWorkflow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT workflow_id, document FROM workflows WHERE bucket = ?1 AND state = 'Active' \
             ORDER BY created_ms, workflow_id",
        )?;
        let rows = stmt.query_map([bucket], |row| {
            Ok(ActiveWorkflow {
                workflow_id: row.get(0)?,
                document: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Any workflow of `bucket` by id, whatever its state (manual triggers ignore the state).
    pub fn workflow_document(&self, bucket: &str, workflow_id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row(
                "SELECT document FROM workflows WHERE bucket = ?1 AND workflow_id = ?2",
                params![bucket, workflow_id],
                |row| row.get(0),
            )
            .optional()?)
    }
}
