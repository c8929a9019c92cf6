//! Streaming a request body into a durable blob while hashing it.

use std::io::Write;

use bucketflow_store::BlobId;
use bytes::Bytes;
use crc::{CRC_64_XZ, Crc, Table};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use md5::{Digest, Md5};

use crate::error::{ApiError, ApiResult};

/// CRC-64/XZ is the `x-cos-hash-crc64ecma` algorithm (spec §7); the 16-table variant keeps
/// hashing well ahead of the disk.
pub const CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_XZ);

/// What was learnt while storing a body.
pub struct Written {
    pub blob: BlobId,
    pub size: u64,
    pub md5: [u8; 16],
    pub crc64: u64,
}

impl Written {
    pub fn etag(&self) -> String {
        format!("\"{}\"", hex::encode(self.md5))
    }
}

/// Checks `Content-MD5` syntax before any byte is stored: base64 of 16 bytes.
pub fn expected_md5(header: Option<&str>) -> ApiResult<Option<[u8; 16]>> {
    use base64::Engine;
    let Some(value) = header else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| ApiError::InvalidDigest)?;
    let digest: [u8; 16] = bytes.try_into().map_err(|_| ApiError::InvalidDigest)?;
    Ok(Some(digest))
}

/// Streams `body` into a temporary blob, hashing as it goes, then makes the blob durable.
/// Nothing is left behind on any error: the temporary file is removed when dropped.
pub async fn store_body(
    store: &std::sync::Arc<bucketflow_store::Store>,
    mut body: Incoming,
    limit: u64,
    expected_md5: Option<[u8; 16]>,
) -> ApiResult<Written> {
    let (temp, file) = store.blobs().create_temp()?;
    let mut sink = Sink {
        file: std::io::BufWriter::with_capacity(256 * 1024, file),
        md5: Md5::new(),
        crc: CRC64.digest(),
        size: 0,
    };

    // Write each frame as it arrives; the writes are small and buffered, so they stay on the
    // runtime thread rather than paying a blocking-pool hop per frame.
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::InvalidRequest(format!("The request body could not be read: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            sink.size += data.len() as u64;
            if sink.size > limit {
                return Err(ApiError::EntityTooLarge);
            }
            sink.write(data)?;
        }
    }

    let Sink {
        file,
        md5,
        crc,
        size,
    } = sink;
    let md5: [u8; 16] = md5.finalize().into();
    if expected_md5.is_some_and(|expected| expected != md5) {
        return Err(ApiError::BadDigest);
    }
    let file = file
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    drop(file);

    // fsync and rename off the runtime: they wait on the disk.
    let store = store.clone();
    let blob = tokio::task::spawn_blocking(move || store.blobs().persist(temp))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Written {
        blob,
        size,
        md5,
        crc64: crc.finalize(),
    })
}

struct Sink {
    file: std::io::BufWriter<std::fs::File>,
    md5: Md5,
    crc: crc::Digest<'static, u64, Table<16>>,
    size: u64,
}

impl Sink {
    fn write(&mut self, data: Bytes) -> ApiResult<()> {
        self.md5.update(&data);
        self.crc.update(&data);
        self.file.write_all(&data)?;
        Ok(())
    }
}
