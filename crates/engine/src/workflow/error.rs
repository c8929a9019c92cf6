use std::fmt;

use bucketflow_xml::XmlError;

/// Why a `MediaWorkflow` body (or a stored workflow) was refused.
///
/// The server answers `MissingContent` → 400 `MissingContent`, `InvalidContent` → 400
/// `InvalidContent` (413 may suit [`XmlError::TooLarge`]), `InvalidArgument` → 400
/// `InvalidArgument`. Every message is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowError {
    /// The body is empty.
    MissingContent,
    /// The body is not a readable XML document.
    InvalidContent(XmlError),
    /// The document is XML but breaks a rule; `element` names the offending element by its
    /// path below `MediaWorkflow`, e.g. `Topology.Nodes.Start.Input.ObjectPrefix`.
    InvalidArgument { element: String, reason: String },
}

impl WorkflowError {
    pub(crate) fn invalid(element: impl Into<String>, reason: impl Into<String>) -> Self {
        WorkflowError::InvalidArgument {
            element: element.into(),
            reason: reason.into(),
        }
    }
}

impl From<XmlError> for WorkflowError {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::Empty => WorkflowError::MissingContent,
            other => WorkflowError::InvalidContent(other),
        }
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkflowError::MissingContent => f.write_str("the request body is empty"),
            WorkflowError::InvalidContent(e) => write!(f, "the request body is invalid: {e}"),
            WorkflowError::InvalidArgument { element, reason } => write!(f, "{element}: {reason}"),
        }
    }
}

impl std::error::Error for WorkflowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WorkflowError::InvalidContent(e) => Some(e),
            WorkflowError::MissingContent | WorkflowError::InvalidArgument { .. } => None,
        }
    }
}
