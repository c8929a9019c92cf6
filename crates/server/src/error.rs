//! The one error type of the HTTP surface, mapped to its wire code and status in one place.

use http::StatusCode;

/// Every error the COS and CI APIs answer. The message is what the client sees in
/// `<Message>`; internal detail is logged, never sent.
#[derive(Debug)]
pub enum ApiError {
    AccessDenied(&'static str),
    /// A POST form whose policy does not allow the upload.
    PolicyDenied(String),
    RequestExpired,
    SignatureDoesNotMatch,
    InvalidAccessKeyId,
    InvalidArgument(String),
    InvalidBucketName,
    InvalidURI(&'static str),
    MalformedXML(String),
    BadDigest,
    InvalidDigest,
    EntityTooLarge,
    EntityTooSmall,
    InvalidPart(String),
    InvalidPartOrder,
    KeyTooLong,
    InvalidRequest(String),
    /// A POST Object form that cannot be read or lacks a required field.
    MalformedPOSTRequest(String),
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    MethodNotAllowed,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty(&'static str),
    MissingContentLength,
    PreconditionFailed,
    /// The object's size, sent back in `Content-Range: bytes */<size>`.
    InvalidRange(u64),
    NotImplemented(String),
    Internal(String),
    // CI codes (spec workflow-api §2.2).
    CiInvalidArgument(String),
    MissingContent,
    InvalidContent(String),
    ActiveWorkflowForbiddenUpdate,
    /// A resource a CI request refers to (an object, a workflow) does not exist.
    ResourceNotFound(String),
    ImageTooLarge(u64),
    InvalidImageFormat,
}

impl ApiError {
    /// The wire code, the HTTP status and the client-facing message.
    pub fn parts(&self) -> (&'static str, StatusCode, String) {
        use ApiError::*;
        use StatusCode as S;
        match self {
            AccessDenied(why) => ("AccessDenied", S::FORBIDDEN, why.to_string()),
            PolicyDenied(why) => ("AccessDenied", S::FORBIDDEN, why.clone()),
            RequestExpired => ("AccessDenied", S::FORBIDDEN, "Request has expired".into()),
            SignatureDoesNotMatch => (
                "SignatureDoesNotMatch",
                S::FORBIDDEN,
                "The Signature you specified is invalid.".into(),
            ),
            InvalidAccessKeyId => (
                "InvalidAccessKeyId",
                S::FORBIDDEN,
                "The access key Id format you provided is invalid or does not exist.".into(),
            ),
            InvalidArgument(m) => ("InvalidArgument", S::BAD_REQUEST, m.clone()),
            InvalidBucketName => (
                "InvalidBucketName",
                S::BAD_REQUEST,
                "The specified bucket is not valid.".into(),
            ),
            InvalidURI(m) => ("InvalidURI", S::BAD_REQUEST, m.to_string()),
            MalformedXML(m) => ("MalformedXML", S::BAD_REQUEST, m.clone()),
            BadDigest => (
                "BadDigest",
                S::BAD_REQUEST,
                "The Content-MD5 you specified did not match what was received.".into(),
            ),
            InvalidDigest => (
                "InvalidDigest",
                S::BAD_REQUEST,
                "The Content-MD5 you specified is not valid.".into(),
            ),
            EntityTooLarge => (
                "EntityTooLarge",
                S::BAD_REQUEST,
                "Your proposed upload exceeds the maximum allowed object size.".into(),
            ),
            EntityTooSmall => (
                "EntityTooSmall",
                S::BAD_REQUEST,
                "Your proposed upload is smaller than the minimum allowed object size.".into(),
            ),
            InvalidPart(m) => ("InvalidPart", S::BAD_REQUEST, m.clone()),
            InvalidPartOrder => (
                "InvalidPartOrder",
                S::BAD_REQUEST,
                "The list of parts was not in ascending order.".into(),
            ),
            KeyTooLong => ("KeyTooLong", S::BAD_REQUEST, "Your key is too long.".into()),
            InvalidRequest(m) => ("InvalidRequest", S::BAD_REQUEST, m.clone()),
            MalformedPOSTRequest(m) => ("MalformedPOSTRequest", S::BAD_REQUEST, m.clone()),
            NoSuchBucket => (
                "NoSuchBucket",
                S::NOT_FOUND,
                "The specified bucket does not exist.".into(),
            ),
            NoSuchKey => ("NoSuchKey", S::NOT_FOUND, "The specified key does not exist.".into()),
            NoSuchUpload => (
                "NoSuchUpload",
                S::NOT_FOUND,
                "The specified multipart upload does not exist.".into(),
            ),
            MethodNotAllowed => (
                "MethodNotAllowed",
                S::METHOD_NOT_ALLOWED,
                "The specified method is not allowed against this resource.".into(),
            ),
            BucketAlreadyOwnedByYou => (
                "BucketAlreadyOwnedByYou",
                S::CONFLICT,
                "Your previous request to create the named bucket succeeded and you already own it."
                    .into(),
            ),
            BucketNotEmpty(what) => (
                "BucketNotEmpty",
                S::CONFLICT,
                format!("The bucket you tried to delete is not empty: it still holds {what}."),
            ),
            MissingContentLength => (
                "MissingContentLength",
                S::LENGTH_REQUIRED,
                "You must provide the Content-Length HTTP header.".into(),
            ),
            PreconditionFailed => (
                "PreconditionFailed",
                S::PRECONDITION_FAILED,
                "At least one of the preconditions you specified did not hold.".into(),
            ),
            InvalidRange(_) => (
                "InvalidRange",
                S::RANGE_NOT_SATISFIABLE,
                "The requested range is not satisfiable.".into(),
            ),
            NotImplemented(what) => (
                "NotImplemented",
                S::NOT_IMPLEMENTED,
                format!("{what} is not implemented by bucketflow."),
            ),
            Internal(_) => (
                "InternalError",
                S::INTERNAL_SERVER_ERROR,
                "We encountered an internal error. Please try again.".into(),
            ),
            CiInvalidArgument(m) => ("InvalidArgument", S::BAD_REQUEST, m.clone()),
            MissingContent => (
                "MissingContent",
                S::BAD_REQUEST,
                "The request body is required but was empty.".into(),
            ),
            InvalidContent(m) => ("InvalidContent", S::BAD_REQUEST, m.clone()),
            ActiveWorkflowForbiddenUpdate => (
                "ActiveWorkflowForbiddenUpdate",
                S::FORBIDDEN,
                "An active workflow cannot be updated or deleted; pause it first.".into(),
            ),
            ResourceNotFound(m) => ("ResourceNotFound", S::BAD_REQUEST, m.clone()),
            ImageTooLarge(limit) => (
                "InvalidArgument",
                S::BAD_REQUEST,
                format!("The object is larger than the ImageInspect limit of {limit} bytes."),
            ),
            InvalidImageFormat => (
                "InvalidImageFormat",
                S::BAD_REQUEST,
                "The object is not a supported image (JPEG, PNG, GIF, BMP, WebP) or TS stream."
                    .into(),
            ),
        }
    }
}

impl From<bucketflow_store::StoreError> for ApiError {
    fn from(e: bucketflow_store::StoreError) -> Self {
        use bucketflow_store::StoreError as E;
        match e {
            E::BucketExists => ApiError::BucketAlreadyOwnedByYou,
            E::NoSuchBucket => ApiError::NoSuchBucket,
            E::BucketNotEmpty(what) => ApiError::BucketNotEmpty(what),
            E::NoSuchUpload => ApiError::NoSuchUpload,
            E::Sqlite(_) | E::Io(_) | E::Corrupt(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
