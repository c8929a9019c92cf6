//! Service and bucket operations (spec §4.1–4.4).

use std::sync::Arc;

use bucketflow_store::{BucketRecord, now_ms};
use bucketflow_xml::Element;
use http::header::HeaderValue;
use http::{Response, StatusCode};

use super::iso8601_ms;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};
use crate::router::is_valid_bucket_name;

/// The single tenant's owner id, as COS writes it.
pub const OWNER_ID: &str = "qcs::cam::uin/100000000001:uin/100000000001";
pub const OWNER_NAME: &str = "100000000001";

pub fn owner(name: &str) -> Element {
    Element::new(name)
        .child(Element::with_text("ID", OWNER_ID))
        .child(Element::with_text("DisplayName", OWNER_NAME))
}

pub async fn require_bucket(app: &Arc<App>, bucket: &str) -> ApiResult<BucketRecord> {
    let name = bucket.to_string();
    app.blocking(move |store| store.read(|r| r.bucket(&name)).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::NoSuchBucket)
}

/// GET Service: `<Buckets>` is always present (the SDK indexes it).
pub async fn list_buckets(app: &Arc<App>, ctx: &Ctx) -> ApiResult<Response<Body>> {
    let marker = ctx.param("marker").unwrap_or("").to_string();
    let max_keys = parse_limit(ctx.param_set("max-keys"), 2000, "max-keys")?;
    let region = ctx.param_set("region").map(str::to_string);
    let page = app
        .blocking(move |store| {
            store
                .read(|r| r.list_buckets(&marker, max_keys + 1))
                .map_err(ApiError::from)
        })
        .await?;
    let truncated = page.len() > max_keys;
    let mut buckets = Element::new("Buckets");
    let mut last = None;
    for record in page.iter().take(max_keys) {
        last = Some(record.name.clone());
        if region.as_deref().is_some_and(|r| r != record.region) {
            continue;
        }
        buckets.push(
            Element::new("Bucket")
                .child(Element::with_text("Name", record.name.as_str()))
                .child(Element::with_text("Location", record.region.as_str()))
                .child(Element::with_text(
                    "CreationDate",
                    iso8601_ms(record.created_ms),
                ))
                .child(Element::with_text("BucketType", "cos")),
        );
    }
    let mut result = Element::new("ListAllMyBucketsResult")
        .child(owner("Owner"))
        .child(buckets)
        .child(Element::with_text(
            "Marker",
            ctx.param("marker").unwrap_or(""),
        ))
        .child(Element::with_text("IsTruncated", truncated.to_string()));
    if truncated {
        result.push(Element::with_text("NextMarker", last.unwrap_or_default()));
    }
    Ok(Reply::xml(&result))
}

pub async fn create_bucket(app: &Arc<App>, ctx: &Ctx, bucket: &str) -> ApiResult<Response<Body>> {
    if !is_valid_bucket_name(bucket) {
        return Err(ApiError::InvalidBucketName);
    }
    let acl = match ctx.header("x-cos-acl").map(str::trim) {
        None | Some("") => "private".to_string(),
        Some(acl @ ("private" | "public-read" | "public-read-write")) => acl.to_string(),
        Some(other) => {
            return Err(ApiError::InvalidArgument(format!(
                "x-cos-acl `{other}` is not one of private, public-read, public-read-write."
            )));
        }
    };
    let record = BucketRecord {
        name: bucket.to_string(),
        region: app.config.region.clone(),
        acl,
        created_ms: now_ms(),
    };
    app.blocking(move |store| {
        store
            .write(|tx| tx.create_bucket(&record))
            .map_err(ApiError::from)
    })
    .await?;
    tracing::info!(bucket, "bucket created");
    Ok(Reply::empty(StatusCode::OK))
}

pub async fn head_bucket(app: &Arc<App>, _ctx: &Ctx, bucket: &str) -> ApiResult<Response<Body>> {
    let record = require_bucket(app, bucket).await?;
    let mut response = Reply::empty(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert("Content-Type", HeaderValue::from_static("application/xml"));
    if let Ok(region) = HeaderValue::from_str(&record.region) {
        headers.insert("x-cos-bucket-region", region);
    }
    Ok(response)
}

/// Tables whose rows keep a bucket from being deleted, besides objects and open uploads.
pub const BUCKET_DEPENDENTS: &[(&str, &str)] = &[("workflows", "workflows")];

pub async fn delete_bucket(app: &Arc<App>, bucket: &str) -> ApiResult<Response<Body>> {
    let name = bucket.to_string();
    app.blocking(move |store| {
        store
            .write(|tx| tx.delete_bucket(&name, BUCKET_DEPENDENTS))
            .map_err(ApiError::from)
    })
    .await?;
    tracing::info!(bucket, "bucket deleted");
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Parses a count parameter, clamping it to `max` (COS clamps rather than refusing).
pub fn parse_limit(value: Option<&str>, max: usize, name: &str) -> ApiResult<usize> {
    match value {
        None => Ok(max),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map(|n| n.min(max))
            .map_err(|_| ApiError::InvalidArgument(format!("{name} `{text}` is not a number."))),
    }
}
