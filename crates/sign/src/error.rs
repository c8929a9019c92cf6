use std::fmt;

/// Why a signature was rejected.
///
/// The server maps these to COS error documents (spec §2.3, §5.2): `Malformed`, `Expired` and
/// `NotYetValid` are `403 AccessDenied`; `MissingHeader`, `MissingParam` and `Mismatch` are
/// `403 SignatureDoesNotMatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The auth string is not the seven `q-*` pieces COS defines, or a piece is unreadable.
    Malformed(&'static str),
    /// A header named in `q-header-list` is not in the request.
    MissingHeader(String),
    /// A parameter named in `q-url-param-list` is not in the query string.
    MissingParam(String),
    /// `now` is past the end of the signature's validity window.
    Expired,
    /// `now` is before the start of the signature's validity window.
    NotYetValid,
    /// The recomputed signature differs from `q-signature`.
    Mismatch,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Malformed(what) => write!(f, "malformed signature: {what}"),
            SignError::MissingHeader(name) => write!(f, "signed header `{name}` is missing"),
            SignError::MissingParam(name) => write!(f, "signed parameter `{name}` is missing"),
            SignError::Expired => f.write_str("request has expired"),
            SignError::NotYetValid => f.write_str("request signature is not valid yet"),
            SignError::Mismatch => f.write_str("signature does not match"),
        }
    }
}

impl std::error::Error for SignError {}
