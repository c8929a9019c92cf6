//! Streaming a request body into a durable blob while hashing it.

use std::io::Write;

use bucketflow_store::{BlobId, Tx};
use bytes::Bytes;
use crc::{CRC_64_XZ, Crc, Table};
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};

use crate::app::App;
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

/// Commits the metadata change that makes `new_blob` reachable. `write` runs in one
/// transaction and returns the blobs it freed, removed after the commit, and a value. If the
/// change fails, `new_blob` is removed, so nothing is left half-stored.
pub async fn commit_blob<T, F>(app: &App, new_blob: BlobId, write: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Tx<'_>) -> ApiResult<(Vec<BlobId>, T)> + Send + 'static,
{
    let committed = app
        .blocking(move |store| {
            let (freed, value) = store.write(write)?;
            for blob in freed {
                store.blobs().remove(&blob);
            }
            Ok(value)
        })
        .await;
    if committed.is_err() {
        app.store.blobs().remove(&new_blob);
    }
    committed
}

/// What the async side hands the blocking writer.
enum Chunk {
    Data(Bytes),
    /// The whole body arrived: check it and make the blob durable.
    End,
}

/// Streams `body` into a temporary blob, hashing as it goes, then makes the blob durable.
/// Hashing, writing and the final fsync run on a blocking thread fed through a bounded
/// channel, so the runtime only moves frames and a slow disk slows this upload alone.
/// Nothing is left behind on any error: the temporary file is removed when dropped.
pub async fn store_body<E: std::fmt::Display>(
    store: &std::sync::Arc<bucketflow_store::Store>,
    body: impl Stream<Item = Result<Bytes, E>> + Send,
    limit: u64,
    expected_md5: Option<[u8; 16]>,
) -> ApiResult<Written> {
    let mut body = std::pin::pin!(body);
    let (temp, file) = store.blobs().create_temp()?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(2);
    let writer = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || write_blob(&store, temp, file, receiver, expected_md5))
    };

    // Forward the frames; an early return drops the sender without `End`, which makes the
    // writer discard the temporary blob.
    let mut size = 0u64;
    while let Some(data) = body.next().await {
        let data = data.map_err(|e| {
            ApiError::InvalidRequest(format!("The request body could not be read: {e}"))
        })?;
        size += data.len() as u64;
        if size > limit {
            return Err(ApiError::EntityTooLarge);
        }
        if sender.send(Chunk::Data(data)).await.is_err() {
            break; // The writer failed; its error is reported below.
        }
    }
    let _ = sender.send(Chunk::End).await;
    drop(sender);
    writer
        .await
        .map_err(|e| ApiError::Internal(format!("blob writer failed: {e}")))?
}

/// The blocking half of [`store_body`].
fn write_blob(
    store: &bucketflow_store::Store,
    temp: bucketflow_store::TempBlob,
    file: std::fs::File,
    mut receiver: tokio::sync::mpsc::Receiver<Chunk>,
    expected_md5: Option<[u8; 16]>,
) -> ApiResult<Written> {
    let mut sink = Sink {
        file: std::io::BufWriter::with_capacity(128 * 1024, file),
        md5: Md5::new(),
        crc: CRC64.digest(),
        size: 0,
    };
    loop {
        match receiver.blocking_recv() {
            Some(Chunk::Data(data)) => sink.write(data)?,
            Some(Chunk::End) => break,
            // The request failed before its end: `temp` is dropped and removed.
            None => return Err(ApiError::Internal("upload abandoned".into())),
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
    file.into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let blob = store.blobs().persist(temp)?;
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
        self.size += data.len() as u64;
        Ok(())
    }
}
