//! bucketflow's Cloud Infinite workflow engine.
//!
//! [`workflow`] is the pure model of a `MediaWorkflow`: parsing and validating the create/update
//! body, rendering the stored workflow back, the stored form, upload matching and the topology
//! queries the scheduler needs. [`time`] formats times the way the CI API writes them.

pub mod time;
pub mod workflow;
