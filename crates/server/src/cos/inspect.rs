//! The synchronous ImageInspect API on objects (spec cos-object-api §4.16).

use std::sync::Arc;

use bucketflow_store::BucketRecord;
use bytes::Bytes;
use http::{Response, StatusCode};

use super::object::{load_object, public_read};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply};

pub async fn image_inspect(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &BucketRecord,
    key: &str,
) -> ApiResult<Response<Body>> {
    let object = load_object(app, &bucket.name, key).await?;
    if ctx.signer.is_none() && !public_read(&object, bucket) {
        return Err(ApiError::AccessDenied("Access Denied."));
    }
    let limit = app.config.inspect_max_bytes;
    if object.size > limit {
        return Err(ApiError::ImageTooLarge(limit));
    }
    let path = app.store.blobs().path(&object.blob);
    let report = tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(path)?;
        Ok::<_, std::io::Error>(bucketflow_inspect::inspect(&bytes))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    if !report.supported() {
        return Err(ApiError::InvalidImageFormat);
    }
    let body =
        serde_json::to_vec(&report.vendor()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Reply::bytes(
        StatusCode::OK,
        "application/json",
        Bytes::from(body),
    ))
}
