//! PUT Object - Copy (spec §4.11).

use std::sync::Arc;

use bucketflow_store::{ObjectRecord, now_ms};
use bucketflow_xml::Element;
use http::Response;

use super::ObjectAttrs;
use super::iso8601_ms;
use super::object::{commit_object, etag_matches, load_object, object_write_headers};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

/// Splits `x-cos-copy-source` into the source bucket and decoded key.
pub fn parse_copy_source(value: &str) -> ApiResult<(String, String)> {
    let invalid = || ApiError::InvalidArgument("x-cos-copy-source is malformed.".into());
    let value = value.trim();
    let value = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .unwrap_or(value);
    let value = value.strip_prefix('/').unwrap_or(value);
    let (host, raw_key) = value.split_once('/').ok_or_else(invalid)?;
    let bucket = host
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let raw_key = raw_key
        .split_once("?versionId=")
        .map_or(raw_key, |(k, _)| k);
    let key = percent_encoding::percent_decode_str(raw_key)
        .decode_utf8()
        .map_err(|_| invalid())?
        .into_owned();
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok((bucket, key))
}

pub async fn copy_object(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> ApiResult<Response<Body>> {
    let (source_bucket, source_key) =
        parse_copy_source(ctx.header("x-cos-copy-source").unwrap_or_default())?;
    super::bucket::require_bucket(app, &source_bucket).await?;
    let replace = match ctx.header("x-cos-metadata-directive").unwrap_or("Copy") {
        "Copy" => false,
        "Replaced" => true,
        other => {
            return Err(ApiError::InvalidArgument(format!(
                "x-cos-metadata-directive `{other}` is not Copy or Replaced."
            )));
        }
    };
    let attrs = ObjectAttrs::from_request(ctx)?;
    let source = load_object(app, &source_bucket, &source_key).await?;
    check_source_conditions(ctx, &source)?;

    // Copy the bytes to a new blob so that the two objects live and die independently.
    let blob = duplicate_blob(app, &source.blob).await?;
    let mut record = ObjectRecord {
        bucket: bucket.to_string(),
        key: key.to_string(),
        blob,
        modified_ms: now_ms(),
        acl: attrs.acl.clone(),
        storage_class: attrs.storage_class.clone(),
        ..source.clone()
    };
    if replace {
        record.content_type = attrs.content_type;
        record.headers = attrs.headers;
        record.meta = attrs.meta;
    }
    commit_object(app, record.clone()).await?;

    let result = Element::new("CopyObjectResult")
        .child(Element::with_text("ETag", record.etag.as_str()))
        .child(Element::with_text(
            "LastModified",
            iso8601_ms(record.modified_ms),
        ))
        .child(Element::with_text("CRC64", record.crc64.to_string()));
    let mut response = Reply::xml(&result);
    object_write_headers(response.headers_mut(), &record.etag, record.crc64);
    Ok(response)
}

async fn duplicate_blob(app: &Arc<App>, source: &str) -> ApiResult<String> {
    let source = source.to_string();
    app.blocking(move |store| {
        let (temp, mut file) = store.blobs().create_temp()?;
        let source = store.blobs().path(&source);
        // Blobs never change once written, so a second link is as good as a copy.
        std::fs::remove_file(&temp.path)?;
        if std::fs::hard_link(&source, &temp.path).is_err() {
            file = std::fs::File::create(&temp.path)?;
            std::io::copy(&mut std::fs::File::open(&source)?, &mut file)?;
        }
        drop(file);
        Ok(store.blobs().persist(temp)?)
    })
    .await
}

fn check_source_conditions(ctx: &Ctx, source: &ObjectRecord) -> ApiResult<()> {
    let parse = |v: &str| {
        httpdate::parse_http_date(v)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
    };
    let modified = source.modified_ms / 1000;
    let failed = ctx
        .header("x-cos-copy-source-if-match")
        .is_some_and(|tags| !etag_matches(tags, &source.etag))
        || ctx
            .header("x-cos-copy-source-if-none-match")
            .is_some_and(|tags| etag_matches(tags, &source.etag))
        || ctx
            .header("x-cos-copy-source-if-modified-since")
            .and_then(parse)
            .is_some_and(|since| modified <= since)
        || ctx
            .header("x-cos-copy-source-if-unmodified-since")
            .and_then(parse)
            .is_some_and(|since| modified > since);
    if failed {
        return Err(ApiError::PreconditionFailed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_copy_source;

    #[test]
    fn copy_source_forms() {
        let (b, k) = parse_copy_source(
            "demo-1250000000.cos.ap-guangzhou.myqcloud.com/dir/hello%20world%2B.txt",
        )
        .unwrap();
        assert_eq!(
            (b.as_str(), k.as_str()),
            ("demo-1250000000", "dir/hello world+.txt")
        );
        let (_, k) = parse_copy_source("http://b-1.cos.x/a.txt?versionId=3").unwrap();
        assert_eq!(k, "a.txt");
        assert!(parse_copy_source("nokey").is_err());
    }
}
