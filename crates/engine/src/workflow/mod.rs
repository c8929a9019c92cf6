//! The `MediaWorkflow` model (spec §3): parse and validate a create/update body, render the
//! answer, store and reload, match uploads, and query the topology.
//!
//! Everything here is pure: no I/O, no clock.

mod error;
mod filter;
mod input;
mod model;
mod node_type;
mod parse;
mod render;
mod validate;

pub use error::WorkflowError;
pub use filter::{AUDIO_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES};
pub use input::{MAX_CUSTOM_EXTS, SUPPORTED_NOTIFY_TYPES};
pub use model::{
    Dependency, END, ExtFilter, ImageInspect, Input, Node, NotifyConfig, NotifyEvent, NotifyType,
    ProcessType, ResultFormat, START, Workflow, WorkflowState,
};
pub use node_type::{ALL_NODE_TYPES, NodeType, RUNNABLE_NODE_TYPES};
pub use render::{WorkflowMeta, render_media_workflow, render_topology};
pub use validate::{MAX_NAME_CHARS, check_name};
