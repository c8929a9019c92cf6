//! The workflow as the API answers it (spec §3.7, §4.1–4.4) and as the server stores it.

use bucketflow_xml::Element;

use super::model::{Node, Workflow, WorkflowState};
use super::node_type::NodeType;
use crate::time::format_ci_time;

/// What the server knows about a stored workflow besides its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowMeta {
    /// `WorkflowId`: `w` + 32 lowercase hex.
    pub id: String,
    /// `BucketId`: the bucket name with its APPID, e.g. `examplebucket-1250000000`.
    pub bucket: String,
    /// The current state, which `?active` / `?paused` change without touching the document.
    pub state: WorkflowState,
    /// Unix seconds.
    pub create_time: i64,
    /// Unix seconds.
    pub update_time: i64,
}

/// The `MediaWorkflow` element of create, update and update-state answers: `Name`, `State`,
/// `WorkflowId`, `BucketId`, `CreateTime`, `UpdateTime` and the `Topology` from
/// [`render_topology`]. Rename it to `MediaWorkflowList` for a list item.
pub fn render_media_workflow(workflow: &Workflow, meta: &WorkflowMeta) -> Element {
    Element::new("MediaWorkflow")
        .child(Element::with_text("Name", workflow.name()))
        .child(Element::with_text("State", meta.state.as_str()))
        .child(Element::with_text("WorkflowId", &meta.id))
        .child(Element::with_text("BucketId", &meta.bucket))
        .child(Element::with_text(
            "CreateTime",
            format_ci_time(meta.create_time),
        ))
        .child(Element::with_text(
            "UpdateTime",
            format_ci_time(meta.update_time),
        ))
        .child(render_topology(workflow))
}

/// `Topology` as stored, with documented defaults filled in.
///
/// Every element that was sent is echoed, unknown ones included, in the order sent. Inside a
/// container that was sent, fields with a documented default are written with their effective
/// value: `NotifyConfig.ResultFormat` (`XML`), `ExtFilter.State` (`Off`) and its `Video`,
/// `Audio`, `Image`, `ContentType`, `Custom`, `AllFile` flags (`false`). An ImageInspect node
/// always shows `Operation.ImageInspect.AutoProcess` (`false`) and `ProcessType`
/// (`BackupObject`). Empty elements without a default (`MqRegion`, …) are echoed empty.
pub fn render_topology(workflow: &Workflow) -> Element {
    let mut nodes = Element::new("Nodes");
    for node in workflow.nodes() {
        nodes.push(node_with_defaults(workflow, node));
    }
    Element::new("Topology")
        .child(render_dependencies(workflow))
        .child(nodes)
}

impl Workflow {
    /// The document as sent (leaf text trimmed), with `State` made explicit; no defaults added.
    pub fn to_element(&self) -> Element {
        let mut nodes = Element::new("Nodes");
        for node in self.nodes() {
            nodes.push(node.element().clone());
        }
        let topology = Element::new("Topology")
            .child(render_dependencies(self))
            .child(nodes);
        Element::new("MediaWorkflow")
            .child(Element::with_text("Name", self.name()))
            .child(Element::with_text("State", self.state().as_str()))
            .child(topology)
    }

    /// The stored form: compact XML of [`Workflow::to_element`], read back by
    /// [`Workflow::from_stored`].
    pub fn to_stored(&self) -> String {
        self.to_element().to_compact()
    }
}

fn render_dependencies(workflow: &Workflow) -> Element {
    let mut dependencies = Element::new("Dependencies");
    for dependency in workflow.dependencies() {
        let successors = dependency.successors.join(",");
        dependencies.push(Element::with_text(&dependency.node, successors));
    }
    dependencies
}

fn node_with_defaults(workflow: &Workflow, node: &Node) -> Element {
    let mut element = node.element().clone();
    match node.node_type() {
        NodeType::Start => fill_input_defaults(workflow, &mut element),
        NodeType::ImageInspect => fill_image_inspect_defaults(node, &mut element),
        _ => {}
    }
    element
}

fn fill_input_defaults(workflow: &Workflow, start: &mut Element) {
    let input = workflow.input();
    let Some(input_element) = child_mut(start, "Input") else {
        return;
    };
    if let (Some(notify), Some(e)) = (
        &input.notify_config,
        child_mut(input_element, "NotifyConfig"),
    ) {
        fill(e, "ResultFormat", notify.result_format.as_str());
    }
    if let (Some(filter), Some(e)) = (&input.ext_filter, child_mut(input_element, "ExtFilter")) {
        fill(e, "State", if filter.enabled { "On" } else { "Off" });
        for (name, on) in [
            ("Video", filter.video),
            ("Audio", filter.audio),
            ("Image", filter.image),
            ("ContentType", filter.content_type),
            ("Custom", filter.custom),
            ("AllFile", filter.all_file),
        ] {
            fill(e, name, if on { "true" } else { "false" });
        }
    }
}

fn fill_image_inspect_defaults(node: &Node, element: &mut Element) {
    let options = node.image_inspect().unwrap_or_default();
    let operation = child_or_insert(element, "Operation");
    let image_inspect = child_or_insert(operation, "ImageInspect");
    let auto_process = if options.auto_process {
        "true"
    } else {
        "false"
    };
    fill(image_inspect, "AutoProcess", auto_process);
    fill(image_inspect, "ProcessType", options.process_type.as_str());
}

/// Gives child `name` the text `value` when it is absent or empty.
fn fill(parent: &mut Element, name: &str, value: &str) {
    let child = child_or_insert(parent, name);
    if child.value().is_none() && child.children.is_empty() {
        child.text = value.to_owned();
    }
}

fn child_mut<'a>(parent: &'a mut Element, name: &str) -> Option<&'a mut Element> {
    parent.children.iter_mut().find(|c| c.name == name)
}

fn child_or_insert<'a>(parent: &'a mut Element, name: &str) -> &'a mut Element {
    let index = match parent.children.iter().position(|c| c.name == name) {
        Some(index) => index,
        None => {
            parent.push(Element::new(name));
            parent.children.len() - 1
        }
    };
    &mut parent.children[index]
}
