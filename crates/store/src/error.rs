use std::fmt;

/// Failures of the storage layer. Conflicts that callers turn into API errors have their own
/// variants; everything else is an internal error.
#[derive(Debug)]
pub enum StoreError {
    BucketExists,
    NoSuchBucket,
    BucketNotEmpty(&'static str),
    NoSuchUpload,
    Sqlite(rusqlite::Error),
    Io(std::io::Error),
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::BucketExists => write!(f, "bucket already exists"),
            StoreError::NoSuchBucket => write!(f, "no such bucket"),
            StoreError::BucketNotEmpty(what) => write!(f, "bucket still holds {what}"),
            StoreError::NoSuchUpload => write!(f, "no such upload"),
            StoreError::Sqlite(e) => write!(f, "metadata database: {e}"),
            StoreError::Io(e) => write!(f, "blob storage: {e}"),
            StoreError::Corrupt(what) => write!(f, "corrupt metadata: {what}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}
