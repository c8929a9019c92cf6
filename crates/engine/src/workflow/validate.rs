//! Rules on the whole workflow (spec §3.1, §3.8, §5.2).

use std::collections::HashMap;

use super::error::WorkflowError;
use super::model::{END, START, Workflow};
use super::node_type::NodeType;

type Result<T> = std::result::Result<T, WorkflowError>;

/// `Name` holds at most this many characters.
pub const MAX_NAME_CHARS: usize = 128;

/// `Name`: 1–128 characters among Chinese characters, ASCII letters and digits, `-` and `_`.
///
/// The vendor documents the dash as `—` (an em dash) while every example uses `-`; both are
/// accepted.
pub fn check_name(name: &str) -> Result<()> {
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        let reason = format!("has {count} characters; at most {MAX_NAME_CHARS} are allowed");
        return Err(WorkflowError::invalid("Name", reason));
    }
    if let Some(bad) = name.chars().find(|&c| !is_name_char(c)) {
        let reason = format!(
            "may contain only Chinese characters, letters, digits, '-' and '_', not {bad:?}"
        );
        return Err(WorkflowError::invalid("Name", reason));
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '—') || is_chinese(c)
}

/// CJK unified ideographs (basic block and extensions A–G) and compatibility ideographs.
fn is_chinese(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

/// The topology as a whole: every name defined, every node ending in `End`, no cycles, every
/// node reachable from Start, and every edge allowed by the successor table.
pub(crate) fn check_topology(workflow: &Workflow) -> Result<()> {
    let graph = Graph::new(workflow)?;
    graph.check_dead_ends()?;
    graph.check_acyclic()?;
    graph.check_reachable()?;
    graph.check_successor_types()
}

/// The nodes as indices into `Workflow::nodes`, with each node's successors (End left out).
struct Graph<'w> {
    workflow: &'w Workflow,
    /// `None` for a node without a `Dependencies` entry.
    edges: Vec<Option<Vec<usize>>>,
    /// Node indices by name.
    index: HashMap<&'w str, usize>,
}

impl<'w> Graph<'w> {
    /// Resolves every `Dependencies` name to a node, refusing names that are not nodes.
    fn new(workflow: &'w Workflow) -> Result<Self> {
        let index: HashMap<&str, usize> = workflow
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name(), i))
            .collect();
        let mut edges = vec![None; workflow.nodes.len()];
        for dependency in &workflow.dependencies {
            let path = format!("Topology.Dependencies.{}", dependency.node);
            let &from = index.get(dependency.node.as_str()).ok_or_else(|| {
                let reason = if dependency.node == END {
                    "End closes a branch and cannot have successors".to_owned()
                } else {
                    format!("{} is not defined under Topology.Nodes", dependency.node)
                };
                WorkflowError::invalid(&path, reason)
            })?;
            let mut successors = Vec::with_capacity(dependency.successors.len());
            for name in dependency.successors.iter().filter(|s| *s != END) {
                let &to = index.get(name.as_str()).ok_or_else(|| {
                    let reason = format!("successor {name} is not defined under Topology.Nodes");
                    WorkflowError::invalid(&path, reason)
                })?;
                successors.push(to);
            }
            edges[from] = Some(successors);
        }
        Ok(Graph {
            workflow,
            edges,
            index,
        })
    }

    fn name(&self, node: usize) -> &'w str {
        self.workflow.nodes[node].name()
    }

    /// Every node has at least one successor, so (without cycles) every path reaches End.
    fn check_dead_ends(&self) -> Result<()> {
        if let Some(empty) = self
            .workflow
            .dependencies
            .iter()
            .find(|d| d.successors.is_empty())
        {
            let path = format!("Topology.Dependencies.{}", empty.node);
            let reason = "lists no successor; every branch must end in End";
            return Err(WorkflowError::invalid(path, reason));
        }
        if let Some(missing) = self.edges.iter().position(Option::is_none) {
            let path = format!("Topology.Dependencies.{}", self.name(missing));
            let reason = "is missing; every node needs successors and every branch must end in End";
            return Err(WorkflowError::invalid(path, reason));
        }
        Ok(())
    }

    /// No node can be reached again from itself (iterative depth-first search).
    fn check_acyclic(&self) -> Result<()> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; self.edges.len()];
        for root in 0..self.edges.len() {
            if marks[root] != Mark::New {
                continue;
            }
            // Each frame is a node on the current path and how many of its edges were followed.
            let mut path = vec![(root, 0usize)];
            marks[root] = Mark::OnPath;
            while let Some((node, followed)) = path.last_mut() {
                let (node, edges) = (*node, self.successors_of(*node));
                let Some(&next) = edges.get(*followed) else {
                    marks[node] = Mark::Done;
                    path.pop();
                    continue;
                };
                *followed += 1;
                match marks[next] {
                    Mark::OnPath => return Err(self.cycle_error(node, next)),
                    Mark::New => {
                        marks[next] = Mark::OnPath;
                        path.push((next, 0));
                    }
                    Mark::Done => {}
                }
            }
        }
        Ok(())
    }

    fn cycle_error(&self, from: usize, to: usize) -> WorkflowError {
        let (from, to) = (self.name(from), self.name(to));
        let path = format!("Topology.Dependencies.{from}");
        let reason = format!("{from} -> {to} closes a cycle; a workflow must not loop");
        WorkflowError::invalid(path, reason)
    }

    /// Every node is reachable from Start.
    fn check_reachable(&self) -> Result<()> {
        let mut seen = vec![false; self.edges.len()];
        let mut queue = vec![self.workflow.start];
        seen[self.workflow.start] = true;
        while let Some(node) = queue.pop() {
            for &next in self.successors_of(node) {
                if !seen[next] {
                    seen[next] = true;
                    queue.push(next);
                }
            }
        }
        match seen.iter().position(|s| !s) {
            Some(lost) => {
                let path = format!("Topology.Nodes.{}", self.name(lost));
                Err(WorkflowError::invalid(
                    path,
                    format!("is not reachable from {START}"),
                ))
            }
            None => Ok(()),
        }
    }

    /// Every edge is allowed by the documented successor table (spec §5.2).
    fn check_successor_types(&self) -> Result<()> {
        for dependency in &self.workflow.dependencies {
            let from = self.node_type(&dependency.node);
            for next in &dependency.successors {
                let next_type = self.node_type(next);
                if !from.may_precede(next_type) {
                    let path = format!("Topology.Dependencies.{}", dependency.node);
                    let reason =
                        format!("a {from} node cannot be followed by {next} ({next_type})");
                    return Err(WorkflowError::invalid(path, reason));
                }
            }
        }
        Ok(())
    }

    /// The type of node `name`; names that are not nodes can only be `End` by now.
    fn node_type(&self, name: &str) -> NodeType {
        self.index
            .get(name)
            .map_or(NodeType::End, |&i| self.workflow.nodes[i].node_type())
    }

    fn successors_of(&self, node: usize) -> &[usize] {
        self.edges[node].as_deref().unwrap_or_default()
    }
}
