//! bucketflow's Cloud Infinite workflow engine.
//!
//! [`workflow`] is the pure model of a `MediaWorkflow`: parsing and validating the create/update
//! body, rendering the stored workflow back, the stored form, upload matching and the topology
//! queries the scheduler needs. [`time`] formats times the way the CI API writes them.
//!
//! [`trigger`] starts executions inside the transaction of the change that causes them;
//! [`plan`] decides, from stored state only, what runs next; [`scheduler`] runs tasks with
//! leases on a bounded pool of threads; [`nodes`] holds the processing nodes.

pub mod batch;
pub mod callback;
pub mod delivery;
pub mod nodes;
pub mod plan;
pub mod scheduler;
mod signal;
pub mod time;
pub mod trigger;
pub mod workflow;

pub use scheduler::{Engine, EngineConfig};
