//! Reading a `MediaWorkflow` document into a [`Workflow`] (spec §3.1–3.6).
//!
//! Each step checks what it reads and names the offending element on failure; the topology as
//! a whole is checked afterwards by [`super::validate`].

use std::collections::HashSet;

use bucketflow_xml::{Element, Limits};

use super::error::WorkflowError;
use super::input::{parse_image_inspect, parse_input};
use super::model::{Dependency, END, Node, START, Workflow, WorkflowState};
use super::node_type::{NodeType, runnable_list};
use super::validate;

type Result<T> = std::result::Result<T, WorkflowError>;

impl Workflow {
    /// Parses and validates a create/update body: `<Request><MediaWorkflow>…`.
    pub fn parse(body: &[u8]) -> Result<Workflow> {
        let root = bucketflow_xml::parse(body, &Limits::default())?;
        if root.name != "Request" {
            let reason = format!("the root element must be Request, not {}", root.name);
            return Err(WorkflowError::invalid("Request", reason));
        }
        let media_workflow = root
            .get("MediaWorkflow")
            .ok_or_else(|| WorkflowError::invalid("MediaWorkflow", "is required"))?;
        Workflow::from_element(media_workflow)
    }

    /// Reads a workflow written by [`Workflow::to_stored`], checking it like a new body.
    pub fn from_stored(stored: &str) -> Result<Workflow> {
        let root = bucketflow_xml::parse(stored.as_bytes(), &Limits::default())?;
        if root.name != "MediaWorkflow" {
            let reason = format!(
                "a stored workflow starts with MediaWorkflow, not {}",
                root.name
            );
            return Err(WorkflowError::invalid("MediaWorkflow", reason));
        }
        Workflow::from_element(&root)
    }

    /// Reads and validates a `MediaWorkflow` element.
    pub fn from_element(media_workflow: &Element) -> Result<Workflow> {
        let name = parse_name(media_workflow)?;
        let state = parse_state(media_workflow)?;
        let topology = required(media_workflow, "Topology", "Topology")?;
        let dependencies = required(topology, "Dependencies", "Topology.Dependencies")?;
        let dependencies = parse_dependencies(dependencies)?;
        let nodes = parse_nodes(required(topology, "Nodes", "Topology.Nodes")?)?;
        let start = find_start(&nodes)?;
        let input = parse_input(&nodes[start].element)?;
        let workflow = Workflow {
            name,
            state,
            dependencies,
            nodes,
            start,
            input,
        };
        validate::check_topology(&workflow)?;
        Ok(workflow)
    }
}

/// The child `name` of `parent`, which must exist and hold something; `path` names it in errors.
fn required<'a>(parent: &'a Element, name: &str, path: &str) -> Result<&'a Element> {
    match parent.get(name) {
        Some(e) if !e.children.is_empty() || e.value().is_some() => Ok(e),
        _ => Err(WorkflowError::invalid(path, "is required")),
    }
}

fn parse_name(media_workflow: &Element) -> Result<String> {
    let name = media_workflow
        .text_of("Name")
        .ok_or_else(|| WorkflowError::invalid("Name", "is required"))?;
    validate::check_name(name)?;
    Ok(name.to_owned())
}

fn parse_state(media_workflow: &Element) -> Result<WorkflowState> {
    match media_workflow.text_of("State") {
        None => Ok(WorkflowState::Paused),
        Some(s) => WorkflowState::from_name(s).ok_or_else(|| {
            WorkflowError::invalid("State", format!("must be Active or Paused, not {s:?}"))
        }),
    }
}

fn parse_dependencies(dependencies: &Element) -> Result<Vec<Dependency>> {
    let mut parsed: Vec<Dependency> = Vec::with_capacity(dependencies.children.len());
    let mut seen = HashSet::new();
    for entry in &dependencies.children {
        let path = format!("Topology.Dependencies.{}", entry.name);
        if !seen.insert(entry.name.as_str()) {
            return Err(WorkflowError::invalid(path, "appears more than once"));
        }
        parsed.push(Dependency {
            node: entry.name.clone(),
            successors: parse_successors(entry, &path)?,
        });
    }
    Ok(parsed)
}

/// `A,B` → `["A", "B"]`; an empty entry has no successors.
fn parse_successors(entry: &Element, path: &str) -> Result<Vec<String>> {
    let Some(list) = entry.value() else {
        return Ok(Vec::new());
    };
    let mut successors: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for item in list.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(WorkflowError::invalid(path, "has an empty successor name"));
        }
        if !seen.insert(item) {
            let reason = format!("lists successor {item} more than once");
            return Err(WorkflowError::invalid(path, reason));
        }
        successors.push(item.to_owned());
    }
    Ok(successors)
}

fn parse_nodes(nodes: &Element) -> Result<Vec<Node>> {
    let mut parsed: Vec<Node> = Vec::with_capacity(nodes.children.len());
    let mut seen = HashSet::new();
    for element in &nodes.children {
        let path = format!("Topology.Nodes.{}", element.name);
        if !seen.insert(element.name.as_str()) {
            return Err(WorkflowError::invalid(path, "appears more than once"));
        }
        parsed.push(parse_node(element, &path)?);
    }
    Ok(parsed)
}

fn parse_node(element: &Element, path: &str) -> Result<Node> {
    if element.name == END {
        let reason = "End only closes a branch in Dependencies and cannot be a node";
        return Err(WorkflowError::invalid(path, reason));
    }
    let node_type = parse_node_type(element, path)?;
    let element = trimmed(element);
    let image_inspect = match node_type {
        NodeType::ImageInspect => Some(parse_image_inspect(&element, path)?),
        _ => None,
    };
    Ok(Node {
        node_type,
        image_inspect,
        element,
    })
}

/// `Type`: a documented node type other than `End`, and one this server runs.
fn parse_node_type(node: &Element, node_path: &str) -> Result<NodeType> {
    let path = format!("{node_path}.Type");
    let written = node
        .text_of("Type")
        .ok_or_else(|| WorkflowError::invalid(&path, "is required"))?;
    let supported = runnable_list();
    let node_type = NodeType::from_name(written).ok_or_else(|| {
        let reason = format!("unknown node type {written:?}; supported types: {supported}");
        WorkflowError::invalid(&path, reason)
    })?;
    if node_type == NodeType::End {
        let reason = "End only closes a branch in Dependencies and cannot be a node type";
        return Err(WorkflowError::invalid(path, reason));
    }
    if !node_type.is_runnable() {
        let reason = format!(
            "node type {written} is not supported by this server; supported types: {supported}"
        );
        return Err(WorkflowError::invalid(path, reason));
    }
    Ok(node_type)
}

/// The index of the single node of type Start, which must be named `Start`.
fn find_start(nodes: &[Node]) -> Result<usize> {
    let mut starts = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.node_type == NodeType::Start);
    let Some((index, start)) = starts.next() else {
        if nodes.iter().any(|n| n.name() == START) {
            let reason = "the node named Start must have Type Start";
            return Err(WorkflowError::invalid("Topology.Nodes.Start.Type", reason));
        }
        let reason = "needs a node named Start of Type Start";
        return Err(WorkflowError::invalid("Topology.Nodes", reason));
    };
    if let Some((_, second)) = starts.next() {
        let path = format!("Topology.Nodes.{}", second.name());
        return Err(WorkflowError::invalid(
            path,
            "is a second Start node; only one is allowed",
        ));
    }
    if start.name() != START {
        let path = format!("Topology.Nodes.{}", start.name());
        return Err(WorkflowError::invalid(
            path,
            "the node of Type Start must be named Start",
        ));
    }
    Ok(index)
}

/// A copy of `element` with every text trimmed: values are compared and echoed trimmed.
fn trimmed(element: &Element) -> Element {
    Element {
        name: element.name.clone(),
        attrs: element.attrs.clone(),
        text: element.text.trim().to_owned(),
        children: element.children.iter().map(trimmed).collect(),
    }
}
