//! Object ACL get/put (spec §4.12). Objects carry one canned ACL: default, private or
//! public-read.

use std::sync::Arc;

use bucketflow_xml::Element;
use http::header::HeaderValue;
use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::bucket::{OWNER_ID, owner};
use super::object::{MAX_XML_BODY, load_object, parse_xml};
use super::object_acl;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Reply, read_body};

const ALL_USERS: &str = "http://cam.qcloud.com/groups/global/AllUsers";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub async fn get_object_acl(
    app: &Arc<App>,
    _ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> ApiResult<Response<Body>> {
    let object = load_object(app, bucket, key).await?;
    let owner_grant = Element::new("Grant")
        .child(
            Element::new("Grantee")
                .attr("xmlns:xsi", XSI)
                .attr("xsi:type", "CanonicalUser")
                .child(Element::with_text("ID", OWNER_ID))
                .child(Element::with_text("DisplayName", OWNER_ID)),
        )
        .child(Element::with_text("Permission", "FULL_CONTROL"));
    let mut list = Element::new("AccessControlList").child(owner_grant);
    if object.acl == "public-read" {
        list.push(
            Element::new("Grant")
                .child(
                    Element::new("Grantee")
                        .attr("xmlns:xsi", XSI)
                        .attr("xsi:type", "Group")
                        .child(Element::with_text("URI", ALL_USERS)),
                )
                .child(Element::with_text("Permission", "READ")),
        );
    }
    let mut owner = owner("Owner");
    if let Some(name) = owner.children.iter_mut().find(|c| c.name == "DisplayName") {
        name.text = OWNER_ID.into();
    }
    let policy = Element::new("AccessControlPolicy").child(owner).child(list);
    let mut response = Reply::xml(&policy);
    if object.acl == "default" {
        // The SDK reports `default` only from this header (spec §4.12).
        response
            .headers_mut()
            .insert("x-cos-acl", HeaderValue::from_static("default"));
    }
    Ok(response)
}

pub async fn put_object_acl(
    app: &Arc<App>,
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: Incoming,
) -> ApiResult<Response<Body>> {
    let bytes = read_body(body, MAX_XML_BODY).await?;
    let acl = match ctx.header("x-cos-acl").filter(|v| !v.trim().is_empty()) {
        Some(header) => object_acl(Some(header))?,
        None if bytes.iter().all(u8::is_ascii_whitespace) => "default".to_string(),
        None => acl_from_policy(&parse_xml(&bytes)?)?,
    };
    let (bucket, key) = (bucket.to_string(), key.to_string());
    let found = app
        .blocking(move |store| {
            store
                .write(|tx| tx.set_object_acl(&bucket, &key, &acl))
                .map_err(ApiError::from)
        })
        .await?;
    if !found {
        return Err(ApiError::NoSuchKey);
    }
    Ok(Reply::empty(StatusCode::OK))
}

/// Reads a canned ACL back out of an `AccessControlPolicy` body: a READ grant to AllUsers
/// is public-read; anything else is private.
fn acl_from_policy(policy: &Element) -> ApiResult<String> {
    let list = policy
        .get("AccessControlList")
        .ok_or_else(|| ApiError::MalformedXML("AccessControlList is missing.".into()))?;
    let public = list.get_all("Grant").any(|grant| {
        grant.text_of("Permission") == Some("READ")
            && grant
                .get("Grantee")
                .and_then(|g| g.text_of("URI"))
                .is_some_and(|uri| uri == ALL_USERS)
    });
    Ok(if public { "public-read" } else { "private" }.to_string())
}
