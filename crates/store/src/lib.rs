//! bucketflow store crate.
