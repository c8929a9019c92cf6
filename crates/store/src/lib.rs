//! Durable state of bucketflow: metadata in SQLite (WAL) and object bytes as blob files.
//!
//! Everything that must survive a crash goes through [`Store`]. A change is one SQLite
//! transaction ([`Store::write`]); the blobs it references are made durable *before* the
//! transaction commits ([`Blobs::persist`]), so a crash leaves either the old state or the new
//! one. Blobs that a crash left unreferenced are removed by [`Store::open`].

mod batch;
mod blob;
mod buckets;
mod deliveries;
mod error;
mod executions;
mod multipart;
mod objects;
mod schema;
mod workflows;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

pub use batch::{BatchFilter, BatchJobRecord, BatchProgress};
pub use blob::{BlobId, Blobs, TempBlob};
pub use buckets::BucketRecord;
pub use deliveries::{AttemptOutcome, DeliveryRecord};
pub use error::StoreError;
pub use executions::{ActiveWorkflow, ExecutionFilter, ExecutionRecord, TaskRecord};
pub use multipart::{PartRecord, UploadRecord, UploadState};
pub use objects::{ObjectRecord, just_after, skip_past_prefix};
pub use workflows::{WorkflowQuery, WorkflowRecord};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How many read connections are kept open beside the single writer.
const READERS: usize = 4;

/// The metadata database and the blob directory of one data directory.
pub struct Store {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    db_path: PathBuf,
    blobs: Blobs,
}

/// A write transaction. Dropping it without [`Store::write`] returning `Ok` rolls back.
pub struct Tx<'a> {
    pub(crate) tx: rusqlite::Transaction<'a>,
}

/// A read-only view; every read inside one closure sees one snapshot.
pub struct Reader<'a> {
    pub(crate) conn: &'a Connection,
}

impl Store {
    /// Opens (creating if needed) the store in `dir` and sweeps what a crash left behind.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)?;
        let blobs = Blobs::open(&dir.join("blobs"), &dir.join("tmp"))?;
        let db_path = dir.join("meta.db");
        let writer = schema::connect(&db_path)?;
        schema::migrate(&writer)?;
        let readers = (0..READERS)
            .map(|_| schema::connect(&db_path))
            .collect::<Result<Vec<_>>>()?;
        let store = Store {
            writer: Mutex::new(writer),
            readers: Mutex::new(readers),
            db_path,
            blobs,
        };
        store.sweep_orphan_blobs()?;
        Ok(store)
    }

    /// Opens the metadata of a store that a running server may be using, for operator
    /// commands: no sweeping, and the blob directories are left alone.
    pub fn open_metadata(dir: &Path) -> Result<Store> {
        let db_path = dir.join("meta.db");
        if !db_path.exists() {
            return Err(StoreError::Corrupt(format!(
                "no store at {}",
                dir.display()
            )));
        }
        let writer = schema::connect(&db_path)?;
        schema::migrate(&writer)?;
        Ok(Store {
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            db_path,
            blobs: Blobs::attach(&dir.join("blobs"), &dir.join("tmp")),
        })
    }

    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// Runs `f` in one write transaction, committing when it returns `Ok`.
    pub fn write<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let tx = Tx { tx };
        let value = f(&tx)?;
        tx.tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `f` against one consistent snapshot.
    pub fn read<T, E>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = self.take_reader().map_err(E::from)?;
        let result = (|| {
            let tx = conn.unchecked_transaction().map_err(StoreError::from)?;
            let value = f(&Reader { conn: &tx })?;
            tx.finish().map_err(StoreError::from)?;
            Ok(value)
        })();
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }

    fn take_reader(&self) -> Result<Connection> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => schema::connect(&self.db_path),
        }
    }

    /// Deletes blob files that no metadata row references (left by a crash between the
    /// blob's rename and the transaction that would have referenced it, or after the
    /// transaction that stopped referencing it).
    fn sweep_orphan_blobs(&self) -> Result<()> {
        let referenced = self.read(|r| r.referenced_blobs())?;
        let removed = self.blobs.remove_unreferenced(&referenced)?;
        if removed > 0 {
            tracing::info!(removed, "swept orphaned blobs");
        }
        Ok(())
    }
}

impl Tx<'_> {
    pub fn conn(&self) -> &Connection {
        &self.tx
    }
}

impl Reader<'_> {
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    fn referenced_blobs(&self) -> Result<std::collections::HashSet<String>> {
        let mut set = std::collections::HashSet::new();
        for sql in ["SELECT blob FROM objects", "SELECT blob FROM parts"] {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            for id in rows {
                set.insert(id?);
            }
        }
        Ok(set)
    }
}

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// 32 lower-case hex characters from the OS random source.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    hex::encode(bytes)
}
