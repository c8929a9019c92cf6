//! The parsed, validated `MediaWorkflow` and the queries the server and scheduler run on it.

use bucketflow_xml::Element;

use super::node_type::NodeType;

/// The name that ends a branch in `Dependencies`; never a node under `Nodes`.
pub const END: &str = "End";

/// The name of the entry node, both under `Nodes` and as a key of `Dependencies`.
pub const START: &str = "Start";

/// A validated `MediaWorkflow`: its name, requested state and topology.
///
/// The topology is kept as sent: `Dependencies` entries and `Nodes` in document order, node
/// names verbatim, and every node's element tree (with leaf text trimmed) so elements this
/// server does not interpret are stored and echoed unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub(crate) name: String,
    pub(crate) state: WorkflowState,
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) nodes: Vec<Node>,
    /// Index of the Start node in `nodes`.
    pub(crate) start: usize,
    /// The Start node's `Input`, interpreted.
    pub(crate) input: Input,
}

/// `Active` or `Paused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowState {
    Active,
    Paused,
}

/// One `Dependencies` entry: `<Node>Succ1,Succ2</Node>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub node: String,
    /// Successor names in the order written; `End` closes the branch.
    pub successors: Vec<String>,
}

/// One child of `Nodes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub(crate) node_type: NodeType,
    /// `Operation.ImageInspect` with defaults applied; set for ImageInspect nodes only.
    pub(crate) image_inspect: Option<ImageInspect>,
    /// The node's element as stored: its name is the node name.
    pub(crate) element: Element,
}

/// The Start node's `Input` (spec §3.2), interpreted. Other children (`QueueId`, …) are kept
/// only in the node's element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// `ObjectPrefix` as written (a leading `/` is ignored when matching).
    pub object_prefix: String,
    /// `None` when `NotifyConfig` is absent or holds only empty elements.
    pub notify_config: Option<NotifyConfig>,
    /// `None` when `ExtFilter` is absent or holds only empty elements.
    pub ext_filter: Option<ExtFilter>,
}

/// `NotifyConfig` (spec §3.3), defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub notify_type: NotifyType,
    /// The callback URL, `http://` or `https://`.
    pub url: String,
    /// The events to report, without duplicates, in the order written.
    pub events: Vec<NotifyEvent>,
    /// `ResultFormat`; default `XML`.
    pub result_format: ResultFormat,
    /// `State` (`On`/`Off`, default `On`): `Off` keeps the settings but sends nothing.
    pub enabled: bool,
}

/// `NotifyConfig.Type`. Only `Url` is supported by this server; `TDMQ` and `Kafka` are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyType {
    Url,
}

/// One entry of `NotifyConfig.Event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyEvent {
    /// A message per task (node) of an execution when it ends.
    TaskFinish,
    /// A message per execution when it ends.
    WorkflowFinish,
}

/// `NotifyConfig.ResultFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultFormat {
    Xml,
    Json,
}

/// `ExtFilter` (spec §3.4), defaults applied. How it selects uploads is described on
/// [`Workflow::matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtFilter {
    /// `State` is `On`; when off, the filter lets everything through.
    pub enabled: bool,
    pub video: bool,
    pub audio: bool,
    pub image: bool,
    /// `ContentType`: judge Video/Audio/Image by the upload's Content-Type.
    pub content_type: bool,
    pub custom: bool,
    /// `CustomExts` split on `/`, lower-cased, without leading dots.
    pub custom_exts: Vec<String>,
    pub all_file: bool,
}

/// `Operation.ImageInspect` of an ImageInspect node (spec §3.6), defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageInspect {
    /// Act on an abnormal image automatically; default `false`.
    pub auto_process: bool,
    /// What to do when `auto_process` is set; default `BackupObject`.
    pub process_type: ProcessType,
}

/// `ImageInspect.ProcessType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessType {
    /// Move the object under `abnormal_images_backup/`.
    BackupObject,
    /// Make the object's ACL private.
    SwitchObjectToPrivate,
    /// Delete the object.
    DeleteObject,
}

impl Workflow {
    /// `Name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `State` as requested in the body; `Paused` when unset.
    pub fn state(&self) -> WorkflowState {
        self.state
    }

    /// `Dependencies` in document order.
    pub fn dependencies(&self) -> &[Dependency] {
        &self.dependencies
    }

    /// `Nodes` in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name() == name)
    }

    /// The Start node; every valid workflow has exactly one.
    pub fn start_node(&self) -> &Node {
        &self.nodes[self.start]
    }

    /// The successors of `name` as written, `End` included; empty for unknown names.
    pub fn successors(&self, name: &str) -> &[String] {
        self.dependencies
            .iter()
            .find(|d| d.node == name)
            .map_or(&[], |d| d.successors.as_slice())
    }

    /// The nodes that list `name` (a node name or `End`) as a successor, in document order.
    pub fn predecessors(&self, name: &str) -> Vec<&str> {
        self.dependencies
            .iter()
            .filter(|d| d.successors.iter().any(|s| s == name))
            .map(|d| d.node.as_str())
            .collect()
    }

    /// The Start node's `Input`.
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// The callback settings, when callbacks are configured and not switched off.
    pub fn notify_config(&self) -> Option<&NotifyConfig> {
        self.input.notify_config.as_ref().filter(|n| n.enabled)
    }

    /// The ImageInspect options of node `name`, if it is an ImageInspect node.
    pub fn image_inspect(&self, name: &str) -> Option<ImageInspect> {
        self.node(name).and_then(Node::image_inspect)
    }
}

impl Node {
    /// The node name (its element name under `Nodes`).
    pub fn name(&self) -> &str {
        &self.element.name
    }

    /// `Type`.
    pub fn node_type(&self) -> NodeType {
        self.node_type
    }

    /// `Operation.ImageInspect` with defaults applied; `None` unless this is an ImageInspect
    /// node.
    pub fn image_inspect(&self) -> Option<ImageInspect> {
        self.image_inspect
    }

    /// The node's element as stored, for node kinds that read their own `Operation`.
    pub fn element(&self) -> &Element {
        &self.element
    }
}

impl WorkflowState {
    /// `Active` or `Paused`, as written in bodies and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::Active => "Active",
            WorkflowState::Paused => "Paused",
        }
    }

    /// The state for a body value spelled exactly `Active` or `Paused`.
    pub fn from_name(s: &str) -> Option<WorkflowState> {
        match s {
            "Active" => Some(WorkflowState::Active),
            "Paused" => Some(WorkflowState::Paused),
            _ => None,
        }
    }

    /// The state for the `?active` / `?paused` query flag, case-insensitively (spec §4.3).
    pub fn from_query_flag(s: &str) -> Option<WorkflowState> {
        if s.eq_ignore_ascii_case("active") {
            Some(WorkflowState::Active)
        } else if s.eq_ignore_ascii_case("paused") {
            Some(WorkflowState::Paused)
        } else {
            None
        }
    }
}

impl NotifyConfig {
    /// Whether `event` is one of the configured events.
    pub fn wants(&self, event: NotifyEvent) -> bool {
        self.events.contains(&event)
    }
}

impl NotifyType {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyType::Url => "Url",
        }
    }
}

impl NotifyEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::TaskFinish => "TaskFinish",
            NotifyEvent::WorkflowFinish => "WorkflowFinish",
        }
    }
}

impl ResultFormat {
    /// `XML` or `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultFormat::Xml => "XML",
            ResultFormat::Json => "JSON",
        }
    }

    /// The Content-Type of a callback body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ResultFormat::Xml => "application/xml",
            ResultFormat::Json => "application/json",
        }
    }
}

impl Default for ImageInspect {
    fn default() -> Self {
        ImageInspect {
            auto_process: false,
            process_type: ProcessType::BackupObject,
        }
    }
}

impl ProcessType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessType::BackupObject => "BackupObject",
            ProcessType::SwitchObjectToPrivate => "SwitchObjectToPrivate",
            ProcessType::DeleteObject => "DeleteObject",
        }
    }
}
