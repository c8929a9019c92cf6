use rusqlite::{OptionalExtension, params};

use crate::{BlobId, Reader, Result, StoreError, Tx};

/// One object's metadata. `headers` are the stored standard content headers and `meta` the
/// `x-cos-meta-*` pairs, both as (lower-case name, value).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectRecord {
    pub bucket: String,
    pub key: String,
    pub blob: BlobId,
    pub size: u64,
    pub etag: String,
    pub crc64: u64,
    pub modified_ms: i64,
    pub content_type: String,
    pub acl: String,
    pub storage_class: String,
    pub headers: Vec<(String, String)>,
    pub meta: Vec<(String, String)>,
}

const COLUMNS: &str = "bucket, key, blob, size, etag, crc64, modified_ms, content_type, acl, \
                       storage_class, headers, meta";

pub(crate) fn encode_pairs(pairs: &[(String, String)]) -> String {
    serde_json::to_string(pairs).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn decode_pairs(text: &str) -> rusqlite::Result<Vec<(String, String)>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn key_from_row(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    let bytes: Vec<u8> = row.get(index)?;
    String::from_utf8(bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, Box::new(e))
    })
}

fn object_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectRecord> {
    let crc: String = row.get(5)?;
    Ok(ObjectRecord {
        bucket: row.get(0)?,
        key: key_from_row(row, 1)?,
        blob: row.get(2)?,
        size: row.get::<_, i64>(3)? as u64,
        etag: row.get(4)?,
        crc64: crc.parse().unwrap_or(0),
        modified_ms: row.get(6)?,
        content_type: row.get(7)?,
        acl: row.get(8)?,
        storage_class: row.get(9)?,
        headers: decode_pairs(&row.get::<_, String>(10)?)?,
        meta: decode_pairs(&row.get::<_, String>(11)?)?,
    })
}

/// The smallest byte string greater than every string that starts with `prefix`, or `None`
/// when no such bound exists (all bytes 0xFF).
fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < 0xFF {
            bound.push(last + 1);
            return Some(bound);
        }
    }
    None
}

impl Tx<'_> {
    /// Inserts or replaces an object; returns the blob of the object it replaced, which the
    /// caller removes after the commit.
    pub fn put_object(&self, object: &ObjectRecord) -> Result<Option<BlobId>> {
        let previous = self.object_blob(&object.bucket, &object.key)?;
        let sql = format!(
            "INSERT OR REPLACE INTO objects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
             ?9, ?10, ?11, ?12)"
        );
        let inserted = self.tx.execute(
            &sql,
            params![
                object.bucket,
                object.key.as_bytes(),
                object.blob,
                object.size as i64,
                object.etag,
                object.crc64.to_string(),
                object.modified_ms,
                object.content_type,
                object.acl,
                object.storage_class,
                encode_pairs(&object.headers),
                encode_pairs(&object.meta),
            ],
        );
        match inserted {
            Ok(_) => Ok(previous.filter(|blob| *blob != object.blob)),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::NoSuchBucket)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an object; returns its blob for removal after the commit.
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<BlobId>> {
        let blob = self.object_blob(bucket, key)?;
        self.tx.execute(
            "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key.as_bytes()],
        )?;
        Ok(blob)
    }

    pub fn set_object_acl(&self, bucket: &str, key: &str, acl: &str) -> Result<bool> {
        let changed = self.tx.execute(
            "UPDATE objects SET acl = ?3 WHERE bucket = ?1 AND key = ?2",
            params![bucket, key.as_bytes(), acl],
        )?;
        Ok(changed > 0)
    }

    pub fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
        Reader { conn: &self.tx }.object(bucket, key)
    }

    fn object_blob(&self, bucket: &str, key: &str) -> Result<Option<BlobId>> {
        let blob = self
            .tx
            .query_row(
                "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2",
                params![bucket, key.as_bytes()],
                |row| row.get(0),
            )
            .optional()?;
        Ok(blob)
    }
}

impl Reader<'_> {
    pub fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2");
        let object = self
            .conn
            .query_row(&sql, params![bucket, key.as_bytes()], object_from_row)
            .optional()?;
        Ok(object)
    }

    /// Objects whose key starts with `prefix` and sorts at or after `start`, in UTF-8 byte
    /// order, at most `limit` of them.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start: &[u8],
        limit: usize,
    ) -> Result<Vec<ObjectRecord>> {
        let upper = prefix_upper_bound(prefix.as_bytes());
        let sql = format!(
            "SELECT {COLUMNS} FROM objects WHERE bucket = ?1 AND key >= ?2 AND key >= ?3 \
             AND (?4 IS NULL OR key < ?4) ORDER BY key LIMIT ?5"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![bucket, prefix.as_bytes(), start, upper, limit as i64],
            object_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The first key after every key that starts with `prefix`: where a listing continues after
/// rolling `prefix` up into a common prefix.
pub fn skip_past_prefix(prefix: &str) -> Option<Vec<u8>> {
    prefix_upper_bound(prefix.as_bytes())
}

/// The smallest key strictly after `marker`.
pub fn just_after(marker: &str) -> Vec<u8> {
    let mut start = marker.as_bytes().to_vec();
    start.push(0);
    start
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_bound_increments_last_byte_and_carries() {
        assert_eq!(prefix_upper_bound(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_upper_bound(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(b"\xff\xff"), None);
    }
}
