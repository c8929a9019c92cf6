use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::Result;

/// Opens one connection with the settings every connection shares.
pub(crate) fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // WAL lets readers run beside the writer; FULL makes each commit durable before it returns.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Each entry upgrades the schema by one version; never edit an entry that has shipped.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE buckets (
    name        TEXT PRIMARY KEY,
    region      TEXT NOT NULL,
    acl         TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE TABLE objects (
    bucket        TEXT NOT NULL REFERENCES buckets(name),
    key           BLOB NOT NULL,
    blob          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    crc64         TEXT NOT NULL,
    modified_ms   INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    acl           TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    headers       TEXT NOT NULL,
    meta          TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE uploads (
    upload_id     TEXT PRIMARY KEY,
    bucket        TEXT NOT NULL REFERENCES buckets(name),
    key           BLOB NOT NULL,
    initiated_ms  INTEGER NOT NULL,
    state         TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    acl           TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    headers       TEXT NOT NULL,
    meta          TEXT NOT NULL,
    result_etag   TEXT,
    result_crc64  TEXT
);
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated_ms);
CREATE TABLE parts (
    upload_id    TEXT NOT NULL REFERENCES uploads(upload_id),
    part_number  INTEGER NOT NULL,
    blob         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    crc64        TEXT NOT NULL,
    modified_ms  INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE TABLE workflows (
    workflow_id  TEXT PRIMARY KEY,
    bucket       TEXT NOT NULL REFERENCES buckets(name),
    name         TEXT NOT NULL,
    state        TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
);
CREATE INDEX workflows_by_bucket ON workflows (bucket, created_ms);
CREATE TABLE executions (
    run_id        TEXT PRIMARY KEY,
    bucket        TEXT NOT NULL,
    workflow_id   TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    object_key    BLOB NOT NULL,
    state         TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    finished_ms   INTEGER,
    topology      TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    cos_headers   TEXT NOT NULL
);
CREATE INDEX executions_by_workflow ON executions (workflow_id, created_ms);
CREATE INDEX executions_by_job ON executions (job_id, created_ms);
CREATE TABLE tasks (
    run_id         TEXT NOT NULL REFERENCES executions(run_id),
    node           TEXT NOT NULL,
    node_type      TEXT NOT NULL,
    job_id         TEXT NOT NULL,
    state          TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    started_ms     INTEGER,
    finished_ms    INTEGER,
    lease_until_ms INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    code           TEXT NOT NULL DEFAULT '',
    message        TEXT NOT NULL DEFAULT '',
    result         TEXT NOT NULL DEFAULT '',
    priority       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, node)
) WITHOUT ROWID;
CREATE INDEX tasks_runnable ON tasks (state, priority, created_ms);
CREATE TABLE deliveries (
    delivery_id     TEXT PRIMARY KEY,
    run_id          TEXT NOT NULL,
    event           TEXT NOT NULL,
    url             TEXT NOT NULL,
    receiver        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    body            BLOB NOT NULL,
    state           TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms  INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    finished_ms     INTEGER
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_ms, receiver);
CREATE TABLE batch_jobs (
    job_id        TEXT PRIMARY KEY,
    bucket        TEXT NOT NULL,
    name          TEXT NOT NULL,
    job_type      TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    started_ms    INTEGER,
    finished_ms   INTEGER,
    document      TEXT NOT NULL,
    workflow_ids  TEXT NOT NULL,
    input_kind    TEXT NOT NULL,
    input_value   BLOB NOT NULL,
    from_ms       INTEGER,
    to_ms         INTEGER,
    cursor        BLOB,
    scan_done     INTEGER NOT NULL DEFAULT 0,
    selected      INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    code          TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    lease_until_ms INTEGER
);
CREATE INDEX batch_jobs_by_bucket ON batch_jobs (bucket, created_ms);
"#];

pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let version: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}
