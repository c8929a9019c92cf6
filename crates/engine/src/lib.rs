//! bucketflow engine crate.
