//! Multipart upload (spec §4.13).

use std::io::{Read, Write};
use std::sync::Arc;

use bucketflow_store::{ObjectRecord, PartRecord, UploadRecord, UploadState, now_ms};
use bucketflow_xml::Element;
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use md5::{Digest, Md5};

use super::bucket::{owner, parse_limit};
use super::object::{MAX_XML_BODY, commit_object_with, object_write_headers, parse_xml};
use super::upload::{CRC64, commit_blob, expected_md5, store_body};
use super::{ObjectAttrs, iso8601_ms, url_encode_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply, read_body};

/// Smallest size of every part but the last (spec §4.13).
const MIN_PART_BYTES: u64 = 1024 * 1024;
const MAX_PART_NUMBER: u32 = 10_000;

pub async fn initiate(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> ApiResult<Response<Body>> {
    let attrs = ObjectAttrs::from_request(ctx)?;
    // A timestamp then hex, as COS shapes upload ids: opaque and URL-safe.
    let upload_id = format!(
        "{}{}",
        crate::http::unix_now(),
        bucketflow_store::random_hex()
    );
    let record = UploadRecord {
        upload_id: upload_id.clone(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        initiated_ms: now_ms(),
        state: UploadState::Open,
        content_type: attrs.content_type,
        acl: attrs.acl,
        storage_class: attrs.storage_class,
        headers: attrs.headers,
        meta: attrs.meta,
        result_etag: None,
        result_crc64: None,
    };
    app.blocking(move |store| {
        store
            .write(|tx| tx.create_upload(&record))
            .map_err(ApiError::from)
    })
    .await?;
    let result = Element::new("InitiateMultipartUploadResult")
        .child(Element::with_text("Bucket", bucket))
        .child(Element::with_text("Key", key))
        .child(Element::with_text("UploadId", upload_id));
    Ok(Reply::xml(&result))
}

/// Loads an upload that belongs to this bucket and key.
async fn load_upload(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> ApiResult<UploadRecord> {
    let upload_id = ctx.param("uploadId").unwrap_or_default().to_string();
    let upload = app
        .blocking(move |store| store.read(|r| r.upload(&upload_id)).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::NoSuchUpload)?;
    if upload.bucket != bucket || upload.key != key {
        return Err(ApiError::NoSuchUpload);
    }
    Ok(upload)
}

pub async fn upload_part(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let part_number = ctx
        .param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            ApiError::InvalidArgument(format!("partNumber must be 1 to {MAX_PART_NUMBER}."))
        })?;
    if ctx.headers.contains_key("x-cos-copy-source") {
        return Err(ApiError::NotImplemented("Upload Part - Copy".into()));
    }
    let upload = load_upload(app, ctx, bucket, key).await?;
    if upload.state != UploadState::Open {
        return Err(ApiError::NoSuchUpload);
    }
    let md5 = expected_md5(ctx.header("content-md5"))?;
    let written = store_body(
        &app.store,
        body.into_data_stream(),
        app.config.max_object_bytes,
        md5,
    )
    .await?;
    let part = PartRecord {
        part_number,
        blob: written.blob.clone(),
        size: written.size,
        etag: written.etag(),
        crc64: written.crc64,
        modified_ms: now_ms(),
    };
    let etag = part.etag.clone();
    let upload_id = upload.upload_id.clone();
    commit_blob(app, written.blob.clone(), move |tx| {
        Ok((tx.put_part(&upload_id, &part)?.into_iter().collect(), ()))
    })
    .await?;
    let mut response = Reply::empty(StatusCode::OK);
    object_write_headers(response.headers_mut(), &etag, written.crc64);
    Ok(response)
}

/// The parts a Complete request lists, validated for order.
fn requested_parts(body: &[u8]) -> ApiResult<Vec<(u32, String)>> {
    let document = parse_xml(body)?;
    let mut parts = Vec::new();
    for part in document.get_all("Part") {
        let number = part
            .text_of("PartNumber")
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| ApiError::MalformedXML("Every Part needs a PartNumber.".into()))?;
        let etag = part
            .text_of("ETag")
            .ok_or_else(|| ApiError::MalformedXML("Every Part needs an ETag.".into()))?;
        parts.push((number, etag.trim_matches('"').to_ascii_lowercase()));
    }
    if parts.is_empty() {
        return Err(ApiError::MalformedXML("The document lists no Part.".into()));
    }
    if parts.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(ApiError::InvalidPartOrder);
    }
    Ok(parts)
}

pub async fn complete(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let upload = load_upload(app, ctx, bucket, key).await?;
    let bytes = read_body(body, MAX_XML_BODY).await?;

    // A retried Complete answers what the first one did.
    if upload.state == UploadState::Completed {
        let etag = upload.result_etag.clone().unwrap_or_default();
        return Ok(complete_result(
            ctx,
            bucket,
            key,
            &etag,
            upload.result_crc64.unwrap_or(0),
        ));
    }
    if upload.state != UploadState::Open {
        return Err(ApiError::NoSuchUpload);
    }
    let requested = requested_parts(&bytes)?;

    // Match the listed parts against the stored ones.
    let upload_id = upload.upload_id.clone();
    let stored = app
        .blocking(move |store| {
            store
                .read(|r| r.list_parts(&upload_id, 0, MAX_PART_NUMBER as usize))
                .map_err(ApiError::from)
        })
        .await?;
    let parts = select_parts(&requested, &stored)?;

    // Assemble the object from the parts, hashing as we go.
    let assembled = assemble(app, &parts).await?;
    let record = ObjectRecord {
        bucket: bucket.to_string(),
        key: key.to_string(),
        blob: assembled.blob,
        size: assembled.size,
        etag: assembled.etag,
        crc64: assembled.crc64,
        modified_ms: now_ms(),
        content_type: upload.content_type.clone(),
        acl: upload.acl.clone(),
        storage_class: upload.storage_class.clone(),
        headers: upload.headers.clone(),
        meta: upload.meta.clone(),
    };
    let upload_id = upload.upload_id.clone();
    commit_object_with(app, record.clone(), move |tx, record| {
        Ok(tx.complete_upload(&upload_id, record)?)
    })
    .await?;
    Ok(complete_result(
        ctx,
        bucket,
        key,
        &record.etag,
        record.crc64,
    ))
}

fn select_parts(requested: &[(u32, String)], stored: &[PartRecord]) -> ApiResult<Vec<PartRecord>> {
    let mut selected = Vec::with_capacity(requested.len());
    for (index, (number, etag)) in requested.iter().enumerate() {
        let part = stored
            .iter()
            .find(|p| p.part_number == *number)
            .ok_or_else(|| ApiError::InvalidPart(format!("Part {number} was not uploaded.")))?;
        if part.etag.trim_matches('"') != etag {
            return Err(ApiError::InvalidPart(format!(
                "The ETag of part {number} does not match."
            )));
        }
        let last = index + 1 == requested.len();
        if !last && part.size < MIN_PART_BYTES {
            return Err(ApiError::EntityTooSmall);
        }
        selected.push(part.clone());
    }
    Ok(selected)
}

struct Assembled {
    blob: String,
    size: u64,
    etag: String,
    crc64: u64,
}

/// Concatenates the parts into one durable blob. The object ETag is the S3-style MD5 of the
/// parts' binary MD5s with the part count.
async fn assemble(app: &Arc<App>, parts: &[PartRecord]) -> ApiResult<Assembled> {
    let parts = parts.to_vec();
    app.blocking(move |store| {
        let (temp, file) = store.blobs().create_temp()?;
        let mut out = std::io::BufWriter::with_capacity(1024 * 1024, file);
        let mut crc = CRC64.digest();
        let mut etag_md5 = Md5::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 1024 * 1024];
        for part in &parts {
            let digest = hex::decode(part.etag.trim_matches('"'))
                .map_err(|_| ApiError::Internal("stored part ETag is not hex".into()))?;
            etag_md5.update(&digest);
            let mut input = std::fs::File::open(store.blobs().path(&part.blob))?;
            loop {
                let n = input.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                crc.update(&buffer[..n]);
                out.write_all(&buffer[..n])?;
                size += n as u64;
            }
        }
        out.flush()?;
        drop(out);
        let blob = store.blobs().persist(temp)?;
        Ok(Assembled {
            blob,
            size,
            etag: format!("\"{}-{}\"", hex::encode(etag_md5.finalize()), parts.len()),
            crc64: crc.finalize(),
        })
    })
    .await
}

fn complete_result(ctx: &Ctx, bucket: &str, key: &str, etag: &str, crc64: u64) -> Response<Body> {
    let result = Element::new("CompleteMultipartUploadResult")
        .child(Element::with_text(
            "Location",
            format!("{}/{key}", ctx.host),
        ))
        .child(Element::with_text("Bucket", bucket))
        .child(Element::with_text("Key", key))
        .child(Element::with_text("ETag", etag));
    let mut response = Reply::xml(&result);
    object_write_headers(response.headers_mut(), etag, crc64);
    response
}

pub async fn abort(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> ApiResult<Response<Body>> {
    let upload = load_upload(app, ctx, bucket, key).await?;
    app.blocking(move |store| {
        let freed = store.write(|tx| tx.abort_upload(&upload.upload_id))?;
        for blob in freed {
            store.blobs().remove(&blob);
        }
        Ok(())
    })
    .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub async fn list_parts(app: &Arc<App>, ctx: &Ctx, bucket: &str) -> ApiResult<Response<Body>> {
    let key = ctx.target.key.clone();
    let upload = load_upload(app, ctx, bucket, &key).await?;
    if upload.state != UploadState::Open {
        return Err(ApiError::NoSuchUpload);
    }
    let marker = match ctx.param_set("part-number-marker") {
        None => 0,
        Some(m) => m.parse::<u32>().map_err(|_| {
            ApiError::InvalidArgument(format!("part-number-marker `{m}` is not a number."))
        })?,
    };
    let max_parts = parse_limit(ctx.param_set("max-parts"), 1000, "max-parts")?;
    let upload_id = upload.upload_id.clone();
    let mut parts = app
        .blocking(move |store| {
            store
                .read(|r| r.list_parts(&upload_id, marker, max_parts + 1))
                .map_err(ApiError::from)
        })
        .await?;
    let truncated = parts.len() > max_parts;
    parts.truncate(max_parts);
    let encode = ctx.param_set("encoding-type") == Some("url");
    let next_marker = parts.last().map_or(marker, |p| p.part_number);

    let mut result = Element::new("ListPartsResult")
        .child(Element::with_text("Bucket", bucket))
        .child(Element::with_text(
            "Encoding-type",
            if encode { "url" } else { "" },
        ))
        .child(Element::with_text(
            "Key",
            if encode {
                url_encode_key(&key)
            } else {
                key.clone()
            },
        ))
        .child(Element::with_text("UploadId", upload.upload_id.as_str()))
        .child(owner("Initiator"))
        .child(owner("Owner"))
        .child(Element::with_text(
            "StorageClass",
            upload.storage_class.as_str(),
        ))
        .child(Element::with_text("PartNumberMarker", marker.to_string()))
        .child(Element::with_text(
            "NextPartNumberMarker",
            next_marker.to_string(),
        ))
        .child(Element::with_text("MaxParts", max_parts.to_string()))
        .child(Element::with_text("IsTruncated", truncated.to_string()));
    for part in &parts {
        result.push(
            Element::new("Part")
                .child(Element::with_text(
                    "PartNumber",
                    part.part_number.to_string(),
                ))
                .child(Element::with_text(
                    "LastModified",
                    iso8601_ms(part.modified_ms),
                ))
                .child(Element::with_text("ETag", part.etag.as_str()))
                .child(Element::with_text("Size", part.size.to_string())),
        );
    }
    Ok(Reply::xml(&result))
}

pub async fn list_uploads(app: &Arc<App>, ctx: &Ctx, bucket: &str) -> ApiResult<Response<Body>> {
    let prefix = ctx.param("prefix").unwrap_or("").to_string();
    let key_marker = ctx.param("key-marker").unwrap_or("").to_string();
    let max_uploads = parse_limit(ctx.param_set("max-uploads"), 1000, "max-uploads")?;
    let encode = ctx.param_set("encoding-type") == Some("url");
    let start = if key_marker.is_empty() {
        Vec::new()
    } else {
        bucketflow_store::just_after(&key_marker)
    };
    let (bucket_name, list_prefix) = (bucket.to_string(), prefix.clone());
    let mut uploads = app
        .blocking(move |store| {
            store
                .read(|r| r.list_uploads(&bucket_name, &list_prefix, &start, max_uploads + 1))
                .map_err(ApiError::from)
        })
        .await?;
    let truncated = uploads.len() > max_uploads;
    uploads.truncate(max_uploads);
    let field = |s: &str| {
        if encode {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    };

    let mut result = Element::new("ListMultipartUploadsResult")
        .child(Element::with_text("Bucket", bucket))
        .child(Element::with_text(
            "Encoding-Type",
            if encode { "url" } else { "" },
        ))
        .child(Element::with_text("KeyMarker", field(&key_marker)))
        .child(Element::with_text(
            "UploadIdMarker",
            ctx.param("upload-id-marker").unwrap_or(""),
        ))
        .child(Element::with_text(
            "NextKeyMarker",
            field(uploads.last().map_or("", |u| u.key.as_str())),
        ))
        .child(Element::with_text(
            "NextUploadIdMarker",
            uploads.last().map_or("", |u| u.upload_id.as_str()),
        ))
        .child(Element::with_text("MaxUploads", max_uploads.to_string()))
        .child(Element::with_text("IsTruncated", truncated.to_string()))
        .child(Element::with_text("Prefix", field(&prefix)));
    for upload in &uploads {
        result.push(
            Element::new("Upload")
                .child(Element::with_text("Key", field(&upload.key)))
                .child(Element::with_text("UploadId", upload.upload_id.as_str()))
                .child(Element::with_text(
                    "StorageClass",
                    upload.storage_class.as_str(),
                ))
                .child(owner("Initiator"))
                .child(owner("Owner"))
                .child(Element::with_text(
                    "Initiated",
                    iso8601_ms(upload.initiated_ms),
                )),
        );
    }
    Ok(Reply::xml(&result))
}
