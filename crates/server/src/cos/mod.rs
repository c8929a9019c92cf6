//! The COS object API: dispatch on method, key and sub-resource (spec §4).

mod acl;
mod bucket;
mod copy;
mod inspect;
mod list;
mod multipart;
mod object;
mod post_object;
mod upload;

use std::sync::Arc;

use http::{Method, Response};
use hyper::body::Incoming;
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx};

/// Sub-resources that COS has and bucketflow does not; they answer 501.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "append",
    "cors",
    "domain",
    "encryption",
    "intelligenttiering",
    "inventory",
    "lifecycle",
    "logging",
    "object-lock",
    "origin",
    "policy",
    "referer",
    "replication",
    "restore",
    "select",
    "tagging",
    "versioning",
    "versions",
    "website",
];

pub async fn dispatch(app: &Arc<App>, ctx: &Ctx, body: Incoming) -> ApiResult<Response<Body>> {
    if let Some(name) = UNSUPPORTED_SUBRESOURCES.iter().find(|n| ctx.has_param(n)) {
        return Err(ApiError::NotImplemented(format!(
            "The `{name}` sub-resource"
        )));
    }
    let Some(bucket) = ctx.target.bucket.clone() else {
        return service(app, ctx).await;
    };
    if ctx.target.key.is_empty() {
        return bucket_level(app, ctx, &bucket, body).await;
    }
    object_level(app, ctx, &bucket, body).await
}

async fn service(app: &Arc<App>, ctx: &Ctx) -> ApiResult<Response<Body>> {
    if ctx.method != Method::GET || !ctx.target.key.is_empty() {
        return Err(ApiError::InvalidURI("the request names no bucket"));
    }
    ctx.require_signed()?;
    bucket::list_buckets(app, ctx).await
}

async fn bucket_level(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    // A form upload signs its own fields, so it is let in before the header check.
    if ctx.method == Method::POST && post_object::is_post_object(ctx) {
        let record = bucket::require_bucket(app, bucket).await?;
        return post_object::post_object(app, ctx, &record, body).await;
    }
    ctx.require_signed()?;
    if ctx.method == Method::PUT {
        if ctx.has_param("acl") {
            return Err(ApiError::NotImplemented("PUT Bucket acl".into()));
        }
        return bucket::create_bucket(app, ctx, bucket).await;
    }
    bucket::require_bucket(app, bucket).await?;
    match ctx.method {
        Method::HEAD => bucket::head_bucket(app, ctx, bucket).await,
        Method::DELETE => bucket::delete_bucket(app, bucket).await,
        Method::GET if ctx.has_param("uploads") => multipart::list_uploads(app, ctx, bucket).await,
        Method::GET if ctx.has_param("acl") => {
            Err(ApiError::NotImplemented("GET Bucket acl".into()))
        }
        Method::GET => list::list_objects(app, ctx, bucket).await,
        Method::POST if ctx.has_param("delete") => {
            object::delete_objects(app, ctx, bucket, body).await
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

async fn object_level(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let bucket_record = bucket::require_bucket(app, bucket).await?;
    let key = ctx.target.key.as_str();
    check_key(key)?;
    // Anonymous requests may only read an object (or inspect it); the handler then checks
    // that the object is public-read.
    let anonymous_allowed = matches!(ctx.method, Method::GET | Method::HEAD)
        && !ctx.has_param("acl")
        && !ctx.has_param("uploadId");
    if !anonymous_allowed {
        ctx.require_signed()?;
    }
    match ctx.method {
        Method::GET if ctx.has_param("uploadId") => multipart::list_parts(app, ctx, bucket).await,
        Method::GET if is_image_inspect(ctx) => {
            inspect::image_inspect(app, ctx, &bucket_record, key).await
        }
        Method::GET if ctx.has_param("acl") => acl::get_object_acl(app, ctx, bucket, key).await,
        Method::GET => object::get_object(app, ctx, &bucket_record, key, false).await,
        Method::HEAD => object::get_object(app, ctx, &bucket_record, key, true).await,
        Method::PUT if ctx.has_param("acl") => {
            acl::put_object_acl(app, ctx, bucket, key, body).await
        }
        Method::PUT if ctx.has_param("partNumber") || ctx.has_param("uploadId") => {
            multipart::upload_part(app, ctx, bucket, key, body).await
        }
        Method::PUT if ctx.headers.contains_key("x-cos-copy-source") => {
            copy::copy_object(app, ctx, bucket, key).await
        }
        Method::PUT => object::put_object(app, ctx, bucket, key, body).await,
        Method::POST if ctx.has_param("uploads") => {
            multipart::initiate(app, ctx, bucket, key).await
        }
        Method::POST if ctx.has_param("uploadId") => {
            multipart::complete(app, ctx, bucket, key, body).await
        }
        Method::DELETE if ctx.has_param("uploadId") => {
            multipart::abort(app, ctx, bucket, key).await
        }
        Method::DELETE => object::delete_object(app, bucket, key).await,
        _ => Err(ApiError::MethodNotAllowed),
    }
}

fn is_image_inspect(ctx: &Ctx) -> bool {
    ctx.has_param("imageInspect")
        || ctx
            .param("ci-process")
            .is_some_and(|v| v.eq_ignore_ascii_case("ImageInspect"))
}

/// Longest key, in bytes of UTF-8 (spec §6.2).
const MAX_KEY_BYTES: usize = 850;

fn check_key(key: &str) -> ApiResult<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::KeyTooLong);
    }
    Ok(())
}

/// Standard content headers stored with an object and echoed on GET/HEAD (spec §6.3).
pub const STORED_HEADERS: &[&str] = &[
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Expires",
];

/// The object attributes a PUT, an initiate or a replacing copy takes from its headers.
pub struct ObjectAttrs {
    pub content_type: String,
    pub acl: String,
    pub storage_class: String,
    pub headers: Vec<(String, String)>,
    pub meta: Vec<(String, String)>,
}

/// Most user metadata accepted per object, in bytes of names and values.
const MAX_META_BYTES: usize = 2048;

impl ObjectAttrs {
    pub fn from_request(ctx: &Ctx) -> ApiResult<ObjectAttrs> {
        let content_type = ctx
            .header("content-type")
            .filter(|v| !v.is_empty())
            .unwrap_or("application/octet-stream")
            .to_string();
        let headers = STORED_HEADERS
            .iter()
            .filter_map(|name| Some((name.to_string(), ctx.header(name)?.to_string())))
            .collect();
        let mut meta = Vec::new();
        for (name, value) in &ctx.headers {
            if name.as_str().starts_with("x-cos-meta-") {
                let value = value.to_str().map_err(|_| {
                    ApiError::InvalidArgument(format!("Metadata {name} is not valid text."))
                })?;
                meta.push((name.as_str().to_string(), value.to_string()));
            }
        }
        let meta_bytes: usize = meta.iter().map(|(k, v)| k.len() + v.len()).sum();
        if meta_bytes > MAX_META_BYTES {
            return Err(ApiError::InvalidArgument(format!(
                "User metadata exceeds {MAX_META_BYTES} bytes."
            )));
        }
        Ok(ObjectAttrs {
            content_type,
            acl: object_acl(ctx.header("x-cos-acl"))?,
            storage_class: ctx
                .header("x-cos-storage-class")
                .filter(|v| !v.is_empty())
                .unwrap_or("STANDARD")
                .to_ascii_uppercase(),
            headers,
            meta,
        })
    }
}

/// Canned ACLs valid on objects (spec §4.12).
pub fn object_acl(header: Option<&str>) -> ApiResult<String> {
    match header.map(str::trim) {
        None | Some("") => Ok("default".into()),
        Some(acl @ ("default" | "private" | "public-read")) => Ok(acl.to_string()),
        Some(other) => Err(ApiError::InvalidArgument(format!(
            "x-cos-acl `{other}` is not one of default, private, public-read."
        ))),
    }
}

/// `2024-05-01T08:30:00.000Z`, the time format inside COS XML.
pub fn iso8601_ms(ms: i64) -> String {
    let time = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time.format(&format)
        .unwrap_or_else(|_| time.format(&Iso8601::DEFAULT).unwrap_or_default())
}

/// `Wed, 01 May 2024 08:30:00 GMT`, the time format of HTTP headers.
pub fn http_date(ms: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(time)
}

/// `%XX`-encodes a key for `encoding-type=url` listings; `/` stays literal and a space is
/// `%20`, never `+`, because the SDK decodes with `unquote`.
pub fn url_encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use upload::CRC64;

    #[test]
    fn crc64_matches_the_spec_check_values() {
        assert_eq!(CRC64.checksum(b"123456789"), 11051210869376104954);
        assert_eq!(CRC64.checksum(b""), 0);
        assert_eq!(CRC64.checksum(b"hello cos"), 13242225731321912570);
    }

    #[test]
    fn xml_and_header_times() {
        assert_eq!(iso8601_ms(1714552200123), "2024-05-01T08:30:00.123Z");
        assert_eq!(http_date(1714552200123), "Wed, 01 May 2024 08:30:00 GMT");
    }

    #[test]
    fn listing_keys_encode_spaces_as_percent_20() {
        assert_eq!(url_encode_key("a b+c%/中"), "a%20b%2Bc%25/%E4%B8%AD");
    }
}
