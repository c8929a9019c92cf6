//! bucketflow xml crate.
