//! Response header names spelled exactly as COS spells them.
//!
//! The COS SDKs copy response headers into case-sensitive maps (`dict(response.headers)` in
//! Python) and index them with `ETag`, `Content-Length`, `x-cos-request-id`…, while hyper writes
//! names in lower case. hyper can write names in their original case from a case map kept in
//! the message extensions, but that map's type is private: it is only ever built by hyper's own
//! HTTP/1 parser. So at start-up we let hyper parse one synthetic request that carries every
//! name in its COS spelling, keep the extensions of that request, and attach a clone of them to
//! every response. Names that the map does not know (`x-cos-meta-*`, …) are written in lower
//! case, which is the COS spelling of those.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Extensions, Request, Response};
use http_body_util::Empty;
use hyper::service::service_fn;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every response header name that COS spells with upper-case letters.
const SPELLINGS: &[&str] = &[
    "Accept-Ranges",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-MD5",
    "Content-Range",
    "Content-Type",
    "Date",
    "ETag",
    "Expires",
    "Last-Modified",
    "Location",
    "Server",
];

/// Builds the extensions that make hyper write [`SPELLINGS`] verbatim.
pub async fn spelling_extensions() -> std::io::Result<Extensions> {
    let mut request = String::from("GET / HTTP/1.1\r\nHost: spelling\r\n");
    for name in SPELLINGS.iter().filter(|n| **n != "Content-Length") {
        request.push_str(name);
        request.push_str(": x\r\n");
    }
    // The framing header spells itself. Responses are always sent with a length, so
    // Transfer-Encoding never needs a spelling.
    request.push_str("Content-Length: 0\r\n\r\n");

    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let (sender, receiver) = tokio::sync::oneshot::channel::<Extensions>();
    let sender = std::sync::Mutex::new(Some(sender));
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        if let Some(tx) = sender.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(req.extensions().clone());
        }
        async { Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new())) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(hyper_util::rt::TokioIo::new(server), service);
    let driver = tokio::spawn(connection);
    client.write_all(request.as_bytes()).await?;
    let extensions = receiver
        .await
        .map_err(|_| std::io::Error::other("the spelling request was not parsed"))?;
    drop(client.shutdown().await);
    let mut sink = Vec::new();
    drop(client.read_to_end(&mut sink).await);
    driver.abort();
    Ok(extensions)
}
