//! bucketflow inspect crate.
