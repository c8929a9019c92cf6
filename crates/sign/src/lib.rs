//! bucketflow sign crate.
