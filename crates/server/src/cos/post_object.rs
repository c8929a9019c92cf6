//! POST Object: browser form uploads (`POST /` with `multipart/form-data`). The form carries
//! its own signature over a policy document instead of an `Authorization` header:
//! `q-signature = hex(HMAC-SHA1(hex(HMAC-SHA1(SecretKey, q-key-time)), hex(SHA1(policy))))`,
//! and the policy's `conditions` bind the other fields.

use std::sync::Arc;

use base64::Engine;
use bucketflow_store::{BucketRecord, ObjectRecord, now_ms};
use bucketflow_xml::Element;
use http::header::HeaderValue;
use http::{Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::object::{commit_object, object_write_headers};
use super::upload::store_body;
use super::{STORED_HEADERS, object_acl};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply, unix_now};

/// Fields before the file: at most this many, each at most this long.
const MAX_FIELDS: usize = 64;
const MAX_FIELD_BYTES: usize = 16 * 1024;

pub fn is_post_object(ctx: &Ctx) -> bool {
    ctx.header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::MalformedPOSTRequest(message.into())
}

/// The form's fields, names lower-cased, in order.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub async fn post_object(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &BucketRecord,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let boundary = multer::parse_boundary(ctx.header("content-type").unwrap_or_default())
        .map_err(|e| malformed(format!("The form's boundary is missing: {e}")))?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);

    // The fields come first; the file is the last part.
    let mut fields = Vec::new();
    let file = loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| malformed(format!("The form could not be read: {e}")))?
            .ok_or_else(|| malformed("The form has no file field."))?;
        let name = field.name().unwrap_or_default().to_ascii_lowercase();
        if name == "file" {
            break field;
        }
        if fields.len() == MAX_FIELDS {
            return Err(malformed(format!(
                "The form has more than {MAX_FIELDS} fields."
            )));
        }
        let value = read_field(field).await?;
        fields.push((name, value));
    };
    let form = Form(fields);

    // Who signed it, and does the policy allow this upload?
    let key = object_key(&form, file.file_name())?;
    let policy = authorize(app, bucket, &form, &key)?;
    let content_type = form
        .get("content-type")
        .map(str::to_string)
        .or_else(|| file.content_type().map(|m| m.to_string()))
        .unwrap_or_else(|| "application/octet-stream".into());

    // Store the file, then hold it to the policy's size range before committing.
    let written = store_body(&app.store, file, app.config.max_object_bytes, None).await?;
    if let Err(error) = policy.check_length(written.size) {
        app.store.blobs().remove(&written.blob);
        return Err(error);
    }
    let record = ObjectRecord {
        bucket: bucket.name.clone(),
        key: key.clone(),
        blob: written.blob.clone(),
        size: written.size,
        etag: written.etag(),
        crc64: written.crc64,
        modified_ms: now_ms(),
        content_type,
        acl: object_acl(form.get("x-cos-acl"))?,
        storage_class: form
            .get("x-cos-storage-class")
            .unwrap_or("STANDARD")
            .to_ascii_uppercase(),
        headers: STORED_HEADERS
            .iter()
            .filter_map(|h| {
                Some((
                    h.to_string(),
                    form.get(&h.to_ascii_lowercase())?.to_string(),
                ))
            })
            .collect(),
        meta: form
            .0
            .iter()
            .filter(|(k, _)| k.starts_with("x-cos-meta-"))
            .cloned()
            .collect(),
    };
    commit_object(app, record.clone()).await?;
    Ok(answer(ctx, &form, &record))
}

async fn read_field(mut field: multer::Field<'static>) -> ApiResult<String> {
    let mut value = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| malformed(format!("The form could not be read: {e}")))?
    {
        if value.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(malformed(format!(
                "A form field exceeds {MAX_FIELD_BYTES} bytes."
            )));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value).map_err(|_| malformed("A form field is not UTF-8."))
}

/// `key`, with `${filename}` replaced by the uploaded file's name.
fn object_key(form: &Form, file_name: Option<&str>) -> ApiResult<String> {
    let key = form
        .get("key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("The form has no key field."))?;
    let key = key.replace("${filename}", file_name.unwrap_or_default());
    let key = key.trim_start_matches('/').to_string();
    if key.is_empty() {
        return Err(malformed("The key is empty."));
    }
    if key.len() > 850 {
        return Err(ApiError::KeyTooLong);
    }
    Ok(key)
}

/// The checked policy, for the length condition that can only be applied after the upload.
struct Policy {
    length: Option<(u64, u64)>,
}

impl Policy {
    fn check_length(&self, size: u64) -> ApiResult<()> {
        match self.length {
            Some((min, _)) if size < min => Err(ApiError::EntityTooSmall),
            Some((_, max)) if size > max => Err(ApiError::EntityTooLarge),
            _ => Ok(()),
        }
    }
}

/// Verifies the form's signature and that every policy condition holds. A form without a
/// signature is anonymous and allowed only into a `public-read-write` bucket.
fn authorize(app: &App, bucket: &BucketRecord, form: &Form, key: &str) -> ApiResult<Policy> {
    let Some(signature) = form.get("q-signature") else {
        if bucket.acl == "public-read-write" {
            return Ok(Policy { length: None });
        }
        return Err(ApiError::AccessDenied("The form carries no signature."));
    };
    if form.get("q-sign-algorithm") != Some("sha1") {
        return Err(ApiError::AccessDenied("q-sign-algorithm must be sha1."));
    }
    let ak = form
        .get("q-ak")
        .ok_or(ApiError::AccessDenied("The form has no q-ak."))?;
    let key_time = form
        .get("q-key-time")
        .ok_or(ApiError::AccessDenied("The form has no q-key-time."))?;
    let secret = app.secret_key(ak).ok_or(ApiError::InvalidAccessKeyId)?;
    check_key_time(key_time)?;
    let policy_text = base64::engine::general_purpose::STANDARD
        .decode(form.get("policy").unwrap_or_default().trim())
        .map_err(|_| malformed("The policy is not base64."))?;
    let expected = bucketflow_sign::post_policy_signature(secret, key_time, &policy_text);
    if !bucketflow_sign::signatures_match(&expected, signature) {
        return Err(ApiError::SignatureDoesNotMatch);
    }
    let policy: Value = serde_json::from_slice(&policy_text)
        .map_err(|_| malformed("The policy is not a JSON document."))?;
    check_policy(&policy, bucket, form, key)
}

fn check_key_time(key_time: &str) -> ApiResult<()> {
    let (start, end) = key_time
        .split_once(';')
        .and_then(|(s, e)| Some((s.parse::<u64>().ok()?, e.parse::<u64>().ok()?)))
        .ok_or(ApiError::AccessDenied("q-key-time is not start;end."))?;
    let now = unix_now();
    let skew = bucketflow_sign::CLOCK_SKEW_SECS;
    if now > end + skew {
        return Err(ApiError::RequestExpired);
    }
    if now + skew < start {
        return Err(ApiError::AccessDenied(
            "The form's signature is not valid yet.",
        ));
    }
    Ok(())
}

fn check_policy(
    policy: &Value,
    bucket: &BucketRecord,
    form: &Form,
    key: &str,
) -> ApiResult<Policy> {
    let denied = |why: String| ApiError::PolicyDenied(why);
    let expiration = policy
        .get("expiration")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("The policy has no expiration."))?;
    let expires = OffsetDateTime::parse(expiration, &Rfc3339)
        .map_err(|_| malformed("The policy's expiration is not an ISO 8601 time."))?;
    if expires.unix_timestamp() < unix_now() as i64 {
        return Err(denied("The policy has expired.".into()));
    }
    // The value a condition names: `$key` is the key after `${filename}`, `$bucket` the bucket.
    let value_of = |field: &str| -> Option<String> {
        let field = field.trim_start_matches('$').to_ascii_lowercase();
        match field.as_str() {
            "bucket" => Some(bucket.name.clone()),
            "key" => Some(key.to_string()),
            _ => form.get(&field).map(str::to_string),
        }
    };
    let mut length = None;
    let conditions = policy
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for condition in &conditions {
        match condition {
            Value::Object(map) => {
                for (field, wanted) in map {
                    let wanted = wanted.as_str().unwrap_or_default();
                    if value_of(field).as_deref() != Some(wanted) {
                        return Err(denied(format!(
                            "The policy condition on {field} is not met."
                        )));
                    }
                }
            }
            Value::Array(items) => match items.first().and_then(Value::as_str) {
                Some("eq") | Some("starts-with") => {
                    let op = items[0].as_str().unwrap_or_default();
                    let field = items.get(1).and_then(Value::as_str).unwrap_or_default();
                    let wanted = items.get(2).and_then(Value::as_str).unwrap_or_default();
                    let actual = value_of(field).unwrap_or_default();
                    let ok = if op == "eq" {
                        actual == wanted
                    } else {
                        actual.starts_with(wanted)
                    };
                    if !ok {
                        return Err(denied(format!(
                            "The policy condition on {field} is not met."
                        )));
                    }
                }
                Some("content-length-range") => {
                    let bound = |i: usize| items.get(i).and_then(Value::as_u64);
                    let (Some(min), Some(max)) = (bound(1), bound(2)) else {
                        return Err(malformed("content-length-range needs two numbers."));
                    };
                    length = Some((min, max));
                }
                _ => return Err(malformed(format!("Unknown policy condition {condition}."))),
            },
            _ => return Err(malformed(format!("Unknown policy condition {condition}."))),
        }
    }
    Ok(Policy { length })
}

/// `success_action_status` 200 or 201 (with a `PostResponse` document), else 204.
fn answer(ctx: &Ctx, form: &Form, record: &ObjectRecord) -> Response<Body> {
    let location = format!("http://{}/{}", ctx.host, super::url_encode_key(&record.key));
    let mut response = match form.get("success_action_status") {
        Some("201") => {
            let document = Element::new("PostResponse")
                .child(Element::with_text("Location", location.as_str()))
                .child(Element::with_text("Bucket", record.bucket.as_str()))
                .child(Element::with_text("Key", record.key.as_str()))
                .child(Element::with_text("ETag", record.etag.as_str()));
            let mut r = Reply::xml(&document);
            *r.status_mut() = StatusCode::CREATED;
            r
        }
        Some("200") => Reply::empty(StatusCode::OK),
        _ => Reply::empty(StatusCode::NO_CONTENT),
    };
    object_write_headers(response.headers_mut(), &record.etag, record.crc64);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert("Location", value);
    }
    response
}
