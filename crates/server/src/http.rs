//! The HTTP surface: one hyper service that resolves the target, authenticates, dispatches to
//! the COS or CI handlers and renders errors as COS error documents.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bucketflow_xml::Element;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::router::{self, Family, Target};

pub type Body = BoxBody<Bytes, std::io::Error>;

/// What every handler knows about the request besides its body.
pub struct Ctx {
    pub request_id: String,
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub target: Target,
    /// The Host as received, for error `Resource` values.
    pub host: String,
    /// The decoded request path (what the client signed).
    pub path: String,
    /// The SecretId that signed the request, `None` for anonymous requests.
    pub signer: Option<String>,
}

impl Ctx {
    /// The value of query parameter `name` (exact name), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter that is present and not empty ("empty means not given").
    pub fn param_set(&self, name: &str) -> Option<&str> {
        self.param(name).filter(|v| !v.is_empty())
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn bucket(&self) -> ApiResult<&str> {
        self.target
            .bucket
            .as_deref()
            .ok_or(ApiError::InvalidURI("the request names no bucket"))
    }

    pub fn require_signed(&self) -> ApiResult<()> {
        match self.signer {
            Some(_) => Ok(()),
            None => Err(ApiError::AccessDenied("Access Denied.")),
        }
    }

    /// `<host>/<path>` as COS writes it in `<Resource>`.
    pub fn resource(&self) -> String {
        format!("{}{}", self.host, self.path)
    }
}

/// Builds responses carrying the request id and the COS header spellings.
pub struct Reply;

impl Reply {
    pub fn empty(status: StatusCode) -> Response<Body> {
        let mut response = Response::new(Full::new(Bytes::new()).map_err(never).boxed());
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        response
    }

    /// An empty response that still says `Content-Length: 0`. hyper drops that header from
    /// a 304 whose body is known to be empty, but the SDK refuses a 304 without it, so the body
    /// here is an (empty) stream of unknown length, which makes hyper keep our header.
    pub fn not_modified() -> Response<Body> {
        let stream =
            futures_util::stream::empty::<Result<hyper::body::Frame<Bytes>, std::io::Error>>();
        let mut response = Response::new(BodyExt::boxed(http_body_util::StreamBody::new(stream)));
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        response
    }

    pub fn bytes(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
        let length = body.len();
        let mut response = Response::new(Full::new(body).map_err(never).boxed());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        response
    }

    pub fn xml(element: &Element) -> Response<Body> {
        Reply::bytes(
            StatusCode::OK,
            "application/xml",
            Bytes::from(element.to_document()),
        )
    }
}

fn never(never: Infallible) -> std::io::Error {
    match never {}
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A request id in the shape COS uses: base64 of `<hex time>_<random>`.
fn new_request_id() -> String {
    use base64::Engine;
    let raw = format!(
        "{:08x}_{}",
        unix_now(),
        &bucketflow_store::random_hex()[..16]
    );
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Serves one request end to end; never fails, every error becomes an error document.
pub async fn serve(app: Arc<App>, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();

    let (outcome, family) = match prepare(&app, &parts, &host, request_id.clone()) {
        Ok(ctx) => {
            // CI calls on the COS host are CI too: their answers are the CI service's.
            let family = if crate::ci::is_ci_request(&ctx) {
                Family::Ci
            } else {
                ctx.target.family
            };
            let result = dispatch(&app, &ctx, body).await;
            (result.map_err(|e| (e, Some(ctx))), family)
        }
        Err(e) => (Err((e, None)), Family::Cos),
    };
    let mut response = match outcome {
        Ok(response) => response,
        Err((error, ctx)) => {
            let resource = ctx
                .as_ref()
                .map(Ctx::resource)
                .unwrap_or_else(|| format!("{host}{}", parts.uri.path()));
            error_response(&error, &resource, &request_id, family, &method)
        }
    };
    finish(&app, &mut response, &request_id, family);

    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::warn!(
            request_id,
            %method,
            path = parts.uri.path(),
            status,
            elapsed_ms,
            %peer,
            "request failed"
        );
    } else {
        tracing::debug!(
            request_id,
            %method,
            path = parts.uri.path(),
            status,
            elapsed_ms,
            "request"
        );
    }
    response
}

fn prepare(
    app: &App,
    parts: &http::request::Parts,
    host: &str,
    request_id: String,
) -> ApiResult<Ctx> {
    let path = router::decode_path(parts.uri.path())?;
    let query = router::decode_query(parts.uri.query());
    let target = router::resolve(host, &path, app.config.default_bucket.as_deref())?;
    let mut ctx = Ctx {
        request_id,
        method: parts.method.clone(),
        headers: parts.headers.clone(),
        query,
        target,
        host: router::host_without_port(host),
        path,
        signer: None,
    };
    ctx.signer = authenticate(app, &ctx, host)?;
    Ok(ctx)
}

/// Verifies the COS v5 signature in the header or the query. `Ok(None)` is an anonymous
/// request; what it may do is decided by the handler.
fn authenticate(app: &App, ctx: &Ctx, raw_host: &str) -> ApiResult<Option<String>> {
    let header = ctx
        .header("authorization")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let parsed = match header {
        Some(value) => Some(bucketflow_sign::parse_authorization(value)),
        None => bucketflow_sign::parse_presigned(&ctx.query),
    };
    let Some(parsed) = parsed else {
        return Ok(None);
    };
    let auth = parsed.map_err(|_| ApiError::AccessDenied("The Authorization is malformed."))?;
    let secret = app
        .secret_key(&auth.ak)
        .ok_or(ApiError::InvalidAccessKeyId)?;
    let mut headers: Vec<(String, String)> = ctx
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if ctx.headers.get(http::header::HOST).is_none() && !raw_host.is_empty() {
        headers.push(("host".into(), raw_host.to_string()));
    }
    let method = ctx.method.as_str().to_ascii_lowercase();
    bucketflow_sign::verify(
        &auth,
        secret,
        &method,
        &ctx.path,
        &ctx.query,
        &headers,
        unix_now(),
    )
    .map_err(|e| match e {
        bucketflow_sign::SignError::Expired => ApiError::RequestExpired,
        bucketflow_sign::SignError::NotYetValid => {
            ApiError::AccessDenied("The request signature is not valid yet.")
        }
        bucketflow_sign::SignError::Malformed(_) => {
            ApiError::AccessDenied("The Authorization is malformed.")
        }
        bucketflow_sign::SignError::MissingHeader(_)
        | bucketflow_sign::SignError::MissingParam(_)
        | bucketflow_sign::SignError::Mismatch => ApiError::SignatureDoesNotMatch,
    })?;
    Ok(Some(auth.ak))
}

async fn dispatch(app: &Arc<App>, ctx: &Ctx, body: Incoming) -> ApiResult<Response<Body>> {
    if crate::ci::is_ci_request(ctx) {
        ctx.require_signed()?;
        return crate::ci::dispatch(app, ctx, body).await;
    }
    crate::cos::dispatch(app, ctx, body).await
}

fn error_response(
    error: &ApiError,
    resource: &str,
    request_id: &str,
    family: Family,
    method: &Method,
) -> Response<Body> {
    let (code, status, message) = error.parts();
    if let ApiError::Internal(detail) = error {
        tracing::error!(request_id, detail, "internal error");
    }
    let trace_id = request_id.to_string();
    let document = Element::new("Error")
        .child(Element::with_text("Code", code))
        .child(Element::with_text("Message", message))
        .child(Element::with_text("Resource", resource))
        .child(Element::with_text("RequestId", request_id))
        .child(Element::with_text("TraceId", trace_id.as_str()));
    let mut response = if method == Method::HEAD {
        Reply::empty(status)
    } else {
        let mut r = Reply::xml(&document);
        *r.status_mut() = status;
        r
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&trace_id) {
        headers.insert("x-cos-trace-id", value.clone());
        if family == Family::Ci {
            headers.insert("x-ci-trace-id", value);
        }
    }
    if let ApiError::InvalidRange(size) = error
        && let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}"))
    {
        headers.insert("Content-Range", value);
    }
    response
}

/// Headers every response carries.
fn finish(app: &App, response: &mut Response<Body>, request_id: &str, family: Family) {
    *response.extensions_mut() = app.spelling.clone();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-cos-request-id", value.clone());
        headers.insert("x-ci-request-id", value);
    }
    let server = match family {
        Family::Cos => "tencent-cos",
        Family::Ci => "tencent-ci",
    };
    headers.insert("Server", HeaderValue::from_static(server));
}

/// Reads a whole (small) request body, refusing more than `limit` bytes.
pub async fn read_body(body: Incoming, limit: usize) -> ApiResult<Bytes> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::InvalidRequest(
            format!("The request body exceeds the limit of {limit} bytes."),
        )),
        Err(e) => Err(ApiError::InvalidRequest(format!(
            "The request body could not be read: {e}"
        ))),
    }
}
