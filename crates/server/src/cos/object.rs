//! PUT, GET, HEAD and DELETE Object, and DELETE Multiple Objects (spec §4.6–4.10).

use std::sync::Arc;

use bucketflow_store::{BlobId, BucketRecord, ObjectRecord, Tx, now_ms};
use bucketflow_xml::{Element, Limits};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http::header::HeaderValue;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::upload::{commit_blob, expected_md5, store_body};
use super::{ObjectAttrs, http_date};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply, read_body};

pub async fn put_object(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    // Validate everything about the request before a byte is stored.
    require_length(ctx)?;
    let attrs = ObjectAttrs::from_request(ctx)?;
    let md5 = expected_md5(ctx.header("content-md5"))?;

    // Stream the body into a durable blob.
    let written = store_body(
        &app.store,
        body.into_data_stream(),
        app.config.max_object_bytes,
        md5,
    )
    .await?;

    // Commit the metadata; from here the object is visible.
    let record = ObjectRecord {
        bucket: bucket.to_string(),
        key: key.to_string(),
        blob: written.blob.clone(),
        size: written.size,
        etag: written.etag(),
        crc64: written.crc64,
        modified_ms: now_ms(),
        content_type: attrs.content_type,
        acl: attrs.acl,
        storage_class: attrs.storage_class,
        headers: attrs.headers,
        meta: attrs.meta,
    };
    commit_object(app, record.clone()).await?;

    let mut response = Reply::empty(StatusCode::OK);
    object_write_headers(response.headers_mut(), &record.etag, record.crc64);
    Ok(response)
}

/// Commits an object row and what it triggers, then removes the blob it replaced. If the
/// commit fails, the new blob is removed instead.
pub async fn commit_object(app: &Arc<App>, record: ObjectRecord) -> ApiResult<()> {
    commit_object_with(app, record, |tx, record| {
        Ok(tx.put_object(record)?.into_iter().collect())
    })
    .await
}

/// Like [`commit_object`], with `write` doing the row change (it returns the blobs it freed).
/// The workflows the object triggers are committed in the same transaction.
pub async fn commit_object_with<F>(app: &Arc<App>, record: ObjectRecord, write: F) -> ApiResult<()>
where
    F: FnOnce(&Tx<'_>, &ObjectRecord) -> ApiResult<Vec<BlobId>> + Send + 'static,
{
    let started = commit_blob(app, record.blob.clone(), move |tx| {
        let freed = write(tx, &record)?;
        let started = crate::triggers::on_object_written(tx, &record)?;
        Ok((freed, started))
    })
    .await?;
    if started > 0 {
        app.engine.wake();
    }
    Ok(())
}

pub fn object_write_headers(headers: &mut HeaderMap, etag: &str, crc64: u64) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert("ETag", value);
    }
    headers.insert("x-cos-hash-crc64ecma", HeaderValue::from(crc64));
}

/// A body needs a length or chunked framing (spec §4.6, 411).
fn require_length(ctx: &Ctx) -> ApiResult<()> {
    if ctx.headers.contains_key("content-length") || ctx.headers.contains_key("transfer-encoding") {
        return Ok(());
    }
    Err(ApiError::MissingContentLength)
}

pub async fn load_object(app: &Arc<App>, bucket: &str, key: &str) -> ApiResult<ObjectRecord> {
    let (bucket, key) = (bucket.to_string(), key.to_string());
    app.blocking(move |store| {
        store
            .read(|r| r.object(&bucket, &key))
            .map_err(ApiError::from)
    })
    .await?
    .ok_or(ApiError::NoSuchKey)
}

/// Whether an anonymous reader may read this object (spec §4.12 enforcement).
pub fn public_read(object: &ObjectRecord, bucket: &BucketRecord) -> bool {
    match object.acl.as_str() {
        "public-read" => true,
        "default" => matches!(bucket.acl.as_str(), "public-read" | "public-read-write"),
        _ => false,
    }
}

pub async fn get_object(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &BucketRecord,
    key: &str,
    head_only: bool,
) -> ApiResult<Response<Body>> {
    // An overwrite that commits between reading the row and opening its blob removes the old
    // blob; the second attempt reads the new row.
    let object = load_object(app, &bucket.name, key).await?;
    match serve_object(app, ctx, bucket, object, head_only).await {
        Err(ApiError::NoSuchKey) => {
            let object = load_object(app, &bucket.name, key).await?;
            serve_object(app, ctx, bucket, object, head_only).await
        }
        other => other,
    }
}

async fn serve_object(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &BucketRecord,
    object: ObjectRecord,
    head_only: bool,
) -> ApiResult<Response<Body>> {
    if ctx.signer.is_none() && !public_read(&object, bucket) {
        return Err(ApiError::AccessDenied("Access Denied."));
    }
    if not_modified(ctx, &object)? {
        let mut response = Reply::not_modified();
        object_headers(response.headers_mut(), ctx, &object);
        return Ok(response);
    }
    let range = match ctx.header("range") {
        Some(value) if !head_only => parse_range(value, object.size)?,
        _ => None,
    };
    let (status, start, length) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, object.size),
    };

    let body = if head_only || length == 0 {
        http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed()
    } else {
        stream_blob(app, &object.blob, start, length).await?
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    object_headers(headers, ctx, &object);
    headers.insert("Content-Length", HeaderValue::from(length));
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {start}-{}/{}", start + length - 1, object.size);
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert("Content-Range", value);
        }
    }
    Ok(response)
}

/// Streams `length` bytes of a blob from `start` in 64 KiB frames.
async fn stream_blob(app: &App, blob: &str, start: u64, length: u64) -> ApiResult<Body> {
    // The object may have been overwritten or deleted since its row was read.
    let mut file = match tokio::fs::File::open(app.store.blobs().path(blob)).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ApiError::NoSuchKey),
        Err(e) => return Err(e.into()),
    };
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let reader = file.take(length);
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024).map_ok(Frame::data);
    Ok(BodyExt::boxed(StreamBody::new(stream)))
}

/// The headers GET and HEAD share (spec §4.7).
fn object_headers(headers: &mut HeaderMap, ctx: &Ctx, object: &ObjectRecord) {
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("Content-Type", &object.content_type);
    set("Accept-Ranges", "bytes");
    set("ETag", &object.etag);
    set("Last-Modified", &http_date(object.modified_ms));
    set("x-cos-hash-crc64ecma", &object.crc64.to_string());
    if object.storage_class != "STANDARD" {
        set("x-cos-storage-class", &object.storage_class);
    }
    for (name, value) in &object.headers {
        set(header_static(name), value);
    }
    // `response-*` parameters override the stored headers.
    for (param, name) in [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ] {
        if let Some(value) = ctx.param_set(param) {
            set(name, value);
        }
    }
    for (name, value) in &object.meta {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
}

fn header_static(name: &str) -> &'static str {
    super::STORED_HEADERS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or("x-cos-unknown")
}

/// Evaluates `If-*` headers: `true` means 304 Not Modified; failed preconditions are errors.
fn not_modified(ctx: &Ctx, object: &ObjectRecord) -> ApiResult<bool> {
    let modified_secs = object.modified_ms / 1000;
    let parse_date = |v: &str| {
        httpdate::parse_http_date(v)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
    };
    if let Some(tags) = ctx.header("if-match") {
        if !etag_matches(tags, &object.etag) {
            return Err(ApiError::PreconditionFailed);
        }
    } else if let Some(since) = ctx.header("if-unmodified-since").and_then(parse_date)
        && modified_secs > since
    {
        return Err(ApiError::PreconditionFailed);
    }
    if let Some(tags) = ctx.header("if-none-match") {
        if etag_matches(tags, &object.etag) {
            return Ok(true);
        }
    } else if let Some(since) = ctx.header("if-modified-since").and_then(parse_date)
        && modified_secs <= since
    {
        return Ok(true);
    }
    Ok(false)
}

pub fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || tag
                .trim_start_matches("W/")
                .trim_matches('"')
                .eq_ignore_ascii_case(bare)
    })
}

/// Parses a single `bytes=` range: `a-b`, `a-` or `-n`. Multi-range and unparsable values are
/// ignored (whole object), as HTTP allows; a start past the end is 416.
pub fn parse_range(value: &str, size: u64) -> ApiResult<Option<(u64, u64)>> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || size == 0 {
            return Err(ApiError::InvalidRange(size));
        }
        (size.saturating_sub(suffix), size - 1)
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            u64::MAX
        } else {
            match last.parse::<u64>() {
                Ok(end) if end >= start => end,
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(ApiError::InvalidRange(size));
        }
        (start, end.min(size - 1))
    };
    Ok(Some(range))
}

pub async fn delete_object(app: &Arc<App>, bucket: &str, key: &str) -> ApiResult<Response<Body>> {
    let (bucket, key) = (bucket.to_string(), key.to_string());
    app.blocking(move |store| {
        let blob = store.write(|tx| tx.delete_object(&bucket, &key))?;
        if let Some(blob) = blob {
            store.blobs().remove(&blob);
        }
        Ok(())
    })
    .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Most keys one DELETE Multiple Objects request may name.
const MAX_DELETE_KEYS: usize = 1000;
/// Largest XML body accepted by the object API.
pub const MAX_XML_BODY: usize = 2 * 1024 * 1024;

pub async fn delete_objects(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let md5 = expected_md5(ctx.header("content-md5"))?;
    let bytes = read_body(body, MAX_XML_BODY).await?;
    check_md5(&bytes, md5)?;
    let document = parse_xml(&bytes)?;
    let quiet = document.text_of("Quiet") == Some("true");
    let keys: Vec<String> = document
        .get_all("Object")
        .map(|o| o.text_of("Key").map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::MalformedXML("Every Object needs a Key.".into()))?;
    if keys.is_empty() {
        return Err(ApiError::MalformedXML(
            "The Delete document names no Object.".into(),
        ));
    }
    if keys.len() > MAX_DELETE_KEYS {
        return Err(ApiError::MalformedXML(format!(
            "At most {MAX_DELETE_KEYS} objects may be deleted at once."
        )));
    }

    let bucket_name = bucket.to_string();
    let deleted_keys = keys.clone();
    app.blocking(move |store| {
        let blobs = store.write(|tx| {
            deleted_keys
                .iter()
                .map(|key| tx.delete_object(&bucket_name, key))
                .collect::<Result<Vec<_>, _>>()
        })?;
        for blob in blobs.into_iter().flatten() {
            store.blobs().remove(&blob);
        }
        Ok(())
    })
    .await?;

    let mut result = Element::new("DeleteResult");
    if !quiet {
        for key in keys {
            result.push(Element::new("Deleted").child(Element::with_text("Key", key)));
        }
    }
    Ok(Reply::xml(&result))
}

pub fn check_md5(bytes: &Bytes, expected: Option<[u8; 16]>) -> ApiResult<()> {
    use md5::Digest;
    if let Some(expected) = expected {
        let actual: [u8; 16] = md5::Md5::digest(bytes).into();
        if actual != expected {
            return Err(ApiError::BadDigest);
        }
    }
    Ok(())
}

/// Parses a request XML body with the server's limits; any failure is `MalformedXML`.
pub fn parse_xml(bytes: &[u8]) -> ApiResult<Element> {
    let limits = Limits {
        max_bytes: MAX_XML_BODY,
        ..Limits::default()
    };
    bucketflow_xml::parse(bytes, &limits).map_err(|e| {
        ApiError::MalformedXML(format!("The XML you provided was not well-formed: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_http_and_clamp() {
        assert_eq!(parse_range("bytes=0-4", 10).unwrap(), Some((0, 4)));
        assert_eq!(parse_range("bytes=5-", 10).unwrap(), Some((5, 9)));
        assert_eq!(parse_range("bytes=-3", 10).unwrap(), Some((7, 9)));
        assert_eq!(parse_range("bytes=8-100", 10).unwrap(), Some((8, 9)));
        assert!(matches!(
            parse_range("bytes=10-", 10),
            Err(ApiError::InvalidRange(10))
        ));
        assert_eq!(parse_range("bytes=0-1,3-4", 10).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 10).unwrap(), None);
    }

    #[test]
    fn etag_lists_match_without_quotes() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("x, abc", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }
}
