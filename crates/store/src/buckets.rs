use rusqlite::{OptionalExtension, params};

use crate::{Reader, Result, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct BucketRecord {
    pub name: String,
    pub region: String,
    pub acl: String,
    pub created_ms: i64,
}

fn bucket_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<BucketRecord> {
    Ok(BucketRecord {
        name: row.get(0)?,
        region: row.get(1)?,
        acl: row.get(2)?,
        created_ms: row.get(3)?,
    })
}

impl Tx<'_> {
    pub fn create_bucket(&self, bucket: &BucketRecord) -> Result<()> {
        let inserted = self.tx.execute(
            "INSERT INTO buckets (name, region, acl, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![bucket.name, bucket.region, bucket.acl, bucket.created_ms],
        )?;
        if inserted == 0 {
            return Err(StoreError::BucketExists);
        }
        Ok(())
    }

    /// Deletes an empty bucket. Objects, unfinished multipart uploads and any row of the
    /// tables listed in `dependents` (name, human description) keep it alive.
    pub fn delete_bucket(&self, name: &str, dependents: &[(&str, &'static str)]) -> Result<()> {
        let checks: [(&str, &'static str); 2] = [
            ("SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1", "objects"),
            (
                "SELECT 1 FROM uploads WHERE bucket = ?1 AND state = 'open' LIMIT 1",
                "unfinished multipart uploads",
            ),
        ];
        let extra: Vec<(String, &'static str)> = dependents
            .iter()
            .map(|(table, what)| {
                (
                    format!("SELECT 1 FROM {table} WHERE bucket = ?1 LIMIT 1"),
                    *what,
                )
            })
            .collect();
        let all = checks
            .iter()
            .map(|(sql, what)| (sql.to_string(), *what))
            .chain(extra);
        for (sql, what) in all {
            let found: Option<i64> = self.tx.query_row(&sql, [name], |r| r.get(0)).optional()?;
            if found.is_some() {
                return Err(StoreError::BucketNotEmpty(what));
            }
        }
        self.tx
            .execute("DELETE FROM uploads WHERE bucket = ?1", [name])?;
        let deleted = self
            .tx
            .execute("DELETE FROM buckets WHERE name = ?1", [name])?;
        if deleted == 0 {
            return Err(StoreError::NoSuchBucket);
        }
        Ok(())
    }
}

impl Tx<'_> {
    pub fn bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        Reader { conn: &self.tx }.bucket(name)
    }
}

impl Reader<'_> {
    pub fn bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        let bucket = self
            .conn
            .query_row(
                "SELECT name, region, acl, created_ms FROM buckets WHERE name = ?1",
                [name],
                bucket_from_row,
            )
            .optional()?;
        Ok(bucket)
    }

    /// Buckets in byte order of their names, starting after `marker`.
    pub fn list_buckets(&self, marker: &str, limit: usize) -> Result<Vec<BucketRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT name, region, acl, created_ms FROM buckets WHERE name > ?1
             ORDER BY name LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![marker, limit as i64], bucket_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
