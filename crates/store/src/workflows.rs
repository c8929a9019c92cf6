//! CI workflows (`MediaWorkflow`), one row per workflow, bound to its bucket.
//!
//! The store keeps the validated document as text and knows nothing of its structure; the
//! state is a column of its own because `?active` / `?paused` change it without touching the
//! document. Whether a change is allowed (an Active workflow cannot be updated or deleted) is
//! the caller's decision, taken inside the same transaction via [`Tx::workflow`].

use rusqlite::{Connection, OptionalExtension, params};

use crate::{Reader, Result, StoreError, Tx};

/// One stored workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRecord {
    /// `WorkflowId`: `w` + 32 lower-case hex.
    pub workflow_id: String,
    pub bucket: String,
    /// `Name`, kept beside the document so the name filter is a plain column match.
    pub name: String,
    /// `Active` or `Paused`, as the API spells it.
    pub state: String,
    /// The workflow document in the engine's stored form.
    pub document: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// Which workflows of a bucket a search selects; the filters combine with AND.
#[derive(Debug, Clone, Copy)]
pub struct WorkflowQuery<'a> {
    pub bucket: &'a str,
    /// Only these ids; empty selects every id.
    pub ids: &'a [String],
    /// Only workflows with exactly this `Name`.
    pub name: Option<&'a str>,
}

const COLUMNS: &str = "workflow_id, bucket, name, state, document, created_ms, updated_ms";

/// The shared WHERE clause of searches: `?1` bucket, `?2` a JSON array of ids or NULL,
/// `?3` a name or NULL. A JSON array keeps the statement fixed however many ids are asked for.
const SEARCH: &str = "bucket = ?1
    AND (?2 IS NULL OR workflow_id IN (SELECT value FROM json_each(?2)))
    AND (?3 IS NULL OR name = ?3)";

fn workflow_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        workflow_id: row.get(0)?,
        bucket: row.get(1)?,
        name: row.get(2)?,
        state: row.get(3)?,
        document: row.get(4)?,
        created_ms: row.get(5)?,
        updated_ms: row.get(6)?,
    })
}

fn select_workflow(conn: &Connection, workflow_id: &str) -> Result<Option<WorkflowRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM workflows WHERE workflow_id = ?1");
    let record = conn
        .query_row(&sql, [workflow_id], workflow_from_row)
        .optional()?;
    Ok(record)
}

/// The `?2` parameter of [`SEARCH`].
fn ids_param(ids: &[String]) -> Option<String> {
    (!ids.is_empty()).then(|| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
}

impl Tx<'_> {
    /// Inserts a new workflow; its bucket must exist.
    pub fn create_workflow(&self, workflow: &WorkflowRecord) -> Result<()> {
        let bucket_exists: Option<i64> = self
            .tx
            .query_row(
                "SELECT 1 FROM buckets WHERE name = ?1",
                [&workflow.bucket],
                |r| r.get(0),
            )
            .optional()?;
        if bucket_exists.is_none() {
            return Err(StoreError::NoSuchBucket);
        }
        let sql = format!("INSERT INTO workflows ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        self.tx.execute(
            &sql,
            params![
                workflow.workflow_id,
                workflow.bucket,
                workflow.name,
                workflow.state,
                workflow.document,
                workflow.created_ms,
                workflow.updated_ms,
            ],
        )?;
        Ok(())
    }

    /// The workflow as this transaction sees it, to decide whether a change is allowed.
    pub fn workflow(&self, workflow_id: &str) -> Result<Option<WorkflowRecord>> {
        select_workflow(&self.tx, workflow_id)
    }

    /// Replaces name, state and document; `created_ms` and the bucket never change.
    /// Returns whether the workflow existed.
    pub fn update_workflow(&self, workflow: &WorkflowRecord) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE workflows SET name = ?2, state = ?3, document = ?4, updated_ms = ?5
             WHERE workflow_id = ?1",
            params![
                workflow.workflow_id,
                workflow.name,
                workflow.state,
                workflow.document,
                workflow.updated_ms,
            ],
        )?;
        Ok(changed > 0)
    }

    /// Sets the state alone. Returns whether the workflow existed.
    pub fn set_workflow_state(
        &self,
        workflow_id: &str,
        state: &str,
        updated_ms: i64,
    ) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE workflows SET state = ?2, updated_ms = ?3 WHERE workflow_id = ?1",
            params![workflow_id, state, updated_ms],
        )?;
        Ok(changed > 0)
    }

    /// Deletes a workflow. Returns whether it existed.
    pub fn delete_workflow(&self, workflow_id: &str) -> Result<bool> {
        let deleted = self.tx.execute(
            "DELETE FROM workflows WHERE workflow_id = ?1",
            [workflow_id],
        )?;
        Ok(deleted > 0)
    }
}

impl Reader<'_> {
    pub fn workflow(&self, workflow_id: &str) -> Result<Option<WorkflowRecord>> {
        select_workflow(self.conn, workflow_id)
    }

    /// One page of the selected workflows, newest first. Ties within a millisecond go by
    /// insertion order (a new row's rowid is above every existing one), so pages never overlap
    /// and the order is stable.
    pub fn list_workflows(
        &self,
        query: &WorkflowQuery<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<WorkflowRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM workflows WHERE {SEARCH}
             ORDER BY created_ms DESC, rowid DESC LIMIT ?4 OFFSET ?5"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let (limit, offset) = (clamp_i64(limit), clamp_i64(offset));
        let rows = stmt.query_map(
            params![
                query.bucket,
                ids_param(query.ids),
                query.name,
                limit,
                offset
            ],
            workflow_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many workflows the query selects, before paging.
    pub fn count_workflows(&self, query: &WorkflowQuery<'_>) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM workflows WHERE {SEARCH}");
        let count: i64 = self.conn.query_row(
            &sql,
            params![query.bucket, ids_param(query.ids), query.name],
            |r| r.get(0),
        )?;
        Ok(count.max(0) as u64)
    }
}

/// SQLite integers are signed; a page past `i64::MAX` is simply empty.
fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BucketRecord, Store};

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for name in ["a-1", "b-1"] {
            let bucket = BucketRecord {
                name: name.into(),
                region: "ap-guangzhou".into(),
                acl: "private".into(),
                created_ms: 0,
            };
            store.write(|tx| tx.create_bucket(&bucket)).unwrap();
        }
        (dir, store)
    }

    fn record(id: &str, bucket: &str, name: &str, created_ms: i64) -> WorkflowRecord {
        WorkflowRecord {
            workflow_id: id.into(),
            bucket: bucket.into(),
            name: name.into(),
            state: "Paused".into(),
            document: format!("<MediaWorkflow><Name>{name}</Name></MediaWorkflow>"),
            created_ms,
            updated_ms: created_ms,
        }
    }

    fn ids(records: &[WorkflowRecord]) -> Vec<&str> {
        records.iter().map(|r| r.workflow_id.as_str()).collect()
    }

    #[test]
    fn create_read_update_state_and_delete() {
        let (_dir, store) = open();
        let original = record("w1", "a-1", "first", 10);
        store.write(|tx| tx.create_workflow(&original)).unwrap();
        assert_eq!(
            store.read(|r| r.workflow("w1")).unwrap(),
            Some(original.clone())
        );

        let mut changed = record("w1", "a-1", "second", 10);
        changed.state = "Active".into();
        changed.updated_ms = 20;
        assert!(store.write(|tx| tx.update_workflow(&changed)).unwrap());
        assert!(
            store
                .write(|tx| tx.set_workflow_state("w1", "Paused", 30))
                .unwrap()
        );
        let stored = store.read(|r| r.workflow("w1")).unwrap().unwrap();
        assert_eq!(
            (stored.name.as_str(), stored.state.as_str()),
            ("second", "Paused")
        );
        assert_eq!((stored.created_ms, stored.updated_ms), (10, 30));

        assert!(store.write(|tx| tx.delete_workflow("w1")).unwrap());
        assert_eq!(store.read(|r| r.workflow("w1")).unwrap(), None);
    }

    #[test]
    fn changes_to_unknown_ids_report_that_nothing_existed() {
        let (_dir, store) = open();
        assert!(
            !store
                .write(|tx| tx.update_workflow(&record("w9", "a-1", "x", 1)))
                .unwrap()
        );
        assert!(
            !store
                .write(|tx| tx.set_workflow_state("w9", "Active", 1))
                .unwrap()
        );
        assert!(!store.write(|tx| tx.delete_workflow("w9")).unwrap());
    }

    #[test]
    fn create_refuses_an_unknown_bucket() {
        let (_dir, store) = open();
        let result = store.write(|tx| tx.create_workflow(&record("w1", "nope-1", "x", 1)));
        assert!(matches!(result, Err(StoreError::NoSuchBucket)));
        assert_eq!(store.read(|r| r.workflow("w1")).unwrap(), None);
    }

    #[test]
    fn search_filters_by_bucket_ids_and_name_and_pages_newest_first() {
        let (_dir, store) = open();
        store
            .write(|tx| {
                tx.create_workflow(&record("w1", "a-1", "same", 1))?;
                tx.create_workflow(&record("w2", "a-1", "same", 2))?;
                tx.create_workflow(&record("w0", "a-1", "other", 2))?;
                tx.create_workflow(&record("w4", "b-1", "same", 4))
            })
            .unwrap();
        let all = WorkflowQuery {
            bucket: "a-1",
            ids: &[],
            name: None,
        };
        let page = |q: &WorkflowQuery<'_>, offset, limit| {
            store.read(|r| r.list_workflows(q, offset, limit)).unwrap()
        };
        // w0 and w2 share a millisecond: the later insert comes first.
        assert_eq!(ids(&page(&all, 0, 10)), ["w0", "w2", "w1"]);
        assert_eq!(ids(&page(&all, 1, 1)), ["w2"]);
        assert!(page(&all, u64::MAX, u64::MAX).is_empty());
        assert_eq!(store.read(|r| r.count_workflows(&all)).unwrap(), 3);

        let wanted = ["w1".to_string(), "w4".to_string(), "w7".to_string()];
        let by_ids = WorkflowQuery {
            ids: &wanted,
            ..all
        };
        assert_eq!(ids(&page(&by_ids, 0, 10)), ["w1"]);
        let by_name = WorkflowQuery {
            name: Some("same"),
            ..all
        };
        assert_eq!(ids(&page(&by_name, 0, 10)), ["w2", "w1"]);
        assert_eq!(store.read(|r| r.count_workflows(&by_name)).unwrap(), 2);
    }

    #[test]
    fn a_bucket_with_workflows_cannot_be_deleted() {
        let (_dir, store) = open();
        store
            .write(|tx| tx.create_workflow(&record("w1", "a-1", "x", 1)))
            .unwrap();
        let refused = store.write(|tx| tx.delete_bucket("a-1", &[("workflows", "workflows")]));
        assert!(matches!(
            refused,
            Err(StoreError::BucketNotEmpty("workflows"))
        ));
        store.write(|tx| tx.delete_workflow("w1")).unwrap();
        store
            .write(|tx| tx.delete_bucket("a-1", &[("workflows", "workflows")]))
            .unwrap();
    }

    #[test]
    fn workflows_survive_reopening_the_store() {
        let (dir, store) = open();
        store
            .write(|tx| tx.create_workflow(&record("w1", "a-1", "x", 1)))
            .unwrap();
        drop(store);
        let reopened = Store::open(dir.path()).unwrap();
        assert!(reopened.read(|r| r.workflow("w1")).unwrap().is_some());
    }
}
