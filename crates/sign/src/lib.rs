//! COS v5 request signatures (`q-sign-algorithm=sha1`), as the COS SDKs compute them.
//!
//! The crate is pure: no I/O, no clock. A server uses it in three steps:
//!
//! 1. [`parse_authorization`] (the `Authorization` header) or [`parse_presigned`] (the `q-*`
//!    query parameters of a presigned URL) gives an [`AuthString`];
//! 2. the server looks up the secret key for [`AuthString::ak`] (an unknown key is the server's
//!    `InvalidAccessKeyId`, not a concern of this crate);
//! 3. [`verify`] re-derives the signature from the request as received.
//!
//! [`signature`] and the intermediate steps ([`sign_key`], [`http_string`], [`string_to_sign`])
//! are public so that tests and clients can sign requests the way the SDK does.

mod auth;
mod encode;
mod error;
mod signer;
mod verify;

pub use auth::{AuthString, parse_authorization, parse_presigned};
pub use encode::enc;
pub use error::SignError;
pub use signer::{
    http_string, post_policy_signature, sign_key, signature, signatures_match, string_to_sign,
};
pub use verify::{CLOCK_SKEW_SECS, verify};
