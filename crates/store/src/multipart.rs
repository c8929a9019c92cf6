use rusqlite::{OptionalExtension, params};

use crate::objects::{decode_pairs, encode_pairs, key_from_row};
use crate::{BlobId, ObjectRecord, Reader, Result, StoreError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    Open,
    Completed,
    Aborted,
}

impl UploadState {
    fn as_str(self) -> &'static str {
        match self {
            UploadState::Open => "open",
            UploadState::Completed => "completed",
            UploadState::Aborted => "aborted",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "open" => Ok(UploadState::Open),
            "completed" => Ok(UploadState::Completed),
            "aborted" => Ok(UploadState::Aborted),
            other => Err(rusqlite::Error::InvalidColumnType(
                4,
                other.to_string(),
                rusqlite::types::Type::Text,
            )),
        }
    }
}

/// A multipart upload and the object attributes given at initiation. A completed upload keeps
/// its result so that a retried Complete answers the same thing.
#[derive(Debug, Clone)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated_ms: i64,
    pub state: UploadState,
    pub content_type: String,
    pub acl: String,
    pub storage_class: String,
    pub headers: Vec<(String, String)>,
    pub meta: Vec<(String, String)>,
    pub result_etag: Option<String>,
    pub result_crc64: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct PartRecord {
    pub part_number: u32,
    pub blob: BlobId,
    pub size: u64,
    pub etag: String,
    pub crc64: u64,
    pub modified_ms: i64,
}

const UPLOAD_COLUMNS: &str = "upload_id, bucket, key, initiated_ms, state, content_type, acl, \
                              storage_class, headers, meta, result_etag, result_crc64";

fn upload_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        upload_id: row.get(0)?,
        bucket: row.get(1)?,
        key: key_from_row(row, 2)?,
        initiated_ms: row.get(3)?,
        state: UploadState::parse(&row.get::<_, String>(4)?)?,
        content_type: row.get(5)?,
        acl: row.get(6)?,
        storage_class: row.get(7)?,
        headers: decode_pairs(&row.get::<_, String>(8)?)?,
        meta: decode_pairs(&row.get::<_, String>(9)?)?,
        result_etag: row.get(10)?,
        result_crc64: row
            .get::<_, Option<String>>(11)?
            .and_then(|s| s.parse().ok()),
    })
}

fn part_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PartRecord> {
    let crc: String = row.get(5)?;
    Ok(PartRecord {
        part_number: row.get(0)?,
        blob: row.get(1)?,
        size: row.get::<_, i64>(2)? as u64,
        etag: row.get(3)?,
        modified_ms: row.get(4)?,
        crc64: crc.parse().unwrap_or(0),
    })
}

impl Tx<'_> {
    pub fn create_upload(&self, upload: &UploadRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
             ?10, NULL, NULL)"
        );
        self.tx.execute(
            &sql,
            params![
                upload.upload_id,
                upload.bucket,
                upload.key.as_bytes(),
                upload.initiated_ms,
                UploadState::Open.as_str(),
                upload.content_type,
                upload.acl,
                upload.storage_class,
                encode_pairs(&upload.headers),
                encode_pairs(&upload.meta),
            ],
        )?;
        Ok(())
    }

    pub fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>> {
        Reader { conn: &self.tx }.upload(upload_id)
    }

    /// Records a part of an open upload; returns the blob of the part it replaced.
    pub fn put_part(&self, upload_id: &str, part: &PartRecord) -> Result<Option<BlobId>> {
        self.require_open(upload_id)?;
        let previous: Option<String> = self
            .tx
            .query_row(
                "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                params![upload_id, part.part_number],
                |row| row.get(0),
            )
            .optional()?;
        self.tx.execute(
            "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, crc64, \
             modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                upload_id,
                part.part_number,
                part.blob,
                part.size as i64,
                part.etag,
                part.crc64.to_string(),
                part.modified_ms
            ],
        )?;
        Ok(previous)
    }

    /// Turns an open upload into `object`: the upload keeps its result, its parts are dropped.
    /// Returns the blobs that are no longer referenced (all parts, and a replaced object's).
    pub fn complete_upload(&self, upload_id: &str, object: &ObjectRecord) -> Result<Vec<BlobId>> {
        self.require_open(upload_id)?;
        let mut freed = self.drop_parts(upload_id)?;
        freed.extend(self.put_object(object)?);
        self.tx.execute(
            "UPDATE uploads SET state = ?2, result_etag = ?3, result_crc64 = ?4 \
             WHERE upload_id = ?1",
            params![
                upload_id,
                UploadState::Completed.as_str(),
                object.etag,
                object.crc64.to_string()
            ],
        )?;
        Ok(freed)
    }

    /// Aborts an open upload; returns the blobs of its parts.
    pub fn abort_upload(&self, upload_id: &str) -> Result<Vec<BlobId>> {
        self.require_open(upload_id)?;
        let freed = self.drop_parts(upload_id)?;
        self.tx.execute(
            "UPDATE uploads SET state = ?2 WHERE upload_id = ?1",
            params![upload_id, UploadState::Aborted.as_str()],
        )?;
        Ok(freed)
    }

    fn drop_parts(&self, upload_id: &str) -> Result<Vec<BlobId>> {
        let mut stmt = self
            .tx
            .prepare("DELETE FROM parts WHERE upload_id = ?1 RETURNING blob")?;
        let blobs = stmt.query_map([upload_id], |row| row.get(0))?;
        Ok(blobs.collect::<rusqlite::Result<_>>()?)
    }

    fn require_open(&self, upload_id: &str) -> Result<()> {
        match self.upload(upload_id)? {
            Some(upload) if upload.state == UploadState::Open => Ok(()),
            _ => Err(StoreError::NoSuchUpload),
        }
    }
}

impl Reader<'_> {
    pub fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>> {
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?1");
        let upload = self
            .conn
            .query_row(&sql, [upload_id], upload_from_row)
            .optional()?;
        Ok(upload)
    }

    /// Parts numbered above `marker`, ascending, at most `limit`.
    pub fn list_parts(
        &self,
        upload_id: &str,
        marker: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT part_number, blob, size, etag, modified_ms, crc64 FROM parts \
             WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![upload_id, marker, limit as i64], part_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Open uploads whose key starts with `prefix`, ordered by key then initiation time, from
    /// the (key, upload id) position after `key_marker`/`upload_id_marker`.
    pub fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_start: &[u8],
        limit: usize,
    ) -> Result<Vec<UploadRecord>> {
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE bucket = ?1 AND state = 'open' \
             AND substr(key, 1, length(?2)) = ?2 AND key >= ?3 \
             ORDER BY key, initiated_ms, upload_id LIMIT ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![bucket, prefix.as_bytes(), key_start, limit as i64],
            upload_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
