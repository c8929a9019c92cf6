//! A small, bounded XML tree for every XML body bucketflow reads and every XML answer it writes.
//!
//! The COS and CI APIs use element names as data (workflow `Nodes` and `Dependencies` are keyed
//! by node name), so bodies are parsed into a generic [`Element`] tree rather than fixed structs.
//!
//! Parsing is defensive by construction:
//! * the input size, nesting depth and element count are capped by [`Limits`] while parsing;
//! * only UTF-8 is accepted;
//! * DOCTYPE declarations are refused, and only the five predefined entities and numeric
//!   character references are understood, so no entity is ever expanded;
//! * whitespace between elements is ignored, so compact and pretty-printed bodies read the same;
//! * namespace prefixes are stripped from element names (`<ns:Key>` reads as `Key`).
//!
//! An element's `text` is the unescaped concatenation of all its character data (text and CDATA).
//! For an element with children, text made only of whitespace is dropped; other text in mixed
//! content is kept, concatenated in document order.

mod error;
mod parse;
mod write;

#[cfg(test)]
mod tests;

pub use error::XmlError;
pub use parse::parse;

/// One XML element: its local name, attributes, character data and child elements in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

/// Bounds enforced while parsing, before a large tree can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting; the root element is at depth 1.
    pub max_depth: usize,
    /// Most elements accepted in one document, the root included.
    pub max_elements: usize,
}

impl Default for Limits {
    /// 1 MiB, 32 levels, 10 000 elements.
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            max_depth: 32,
            max_elements: 10_000,
        }
    }
}

impl Element {
    /// An element with no attributes, text or children.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Element::default()
        }
    }

    /// A leaf element holding `text`.
    pub fn with_text(name: impl Into<String>, text: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            text: text.into(),
            ..Element::default()
        }
    }

    /// Appends a child and returns `self`, for building answers fluently.
    pub fn child(mut self, e: Element) -> Self {
        self.children.push(e);
        self
    }

    /// Appends a child in place.
    pub fn push(&mut self, e: Element) {
        self.children.push(e);
    }

    /// Adds an attribute and returns `self`.
    pub fn attr(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.attrs.push((k.into(), v.into()));
        self
    }

    /// The first child named `name`.
    pub fn get(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`, in document order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`.
    ///
    /// `None` when the child is absent *or* its text is empty after trimming: the SDKs send
    /// empty elements for unset values, and the API treats both the same way.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Element::value)
    }

    /// This element's trimmed text, or `None` when it is empty ("empty means unset").
    pub fn value(&self) -> Option<&str> {
        let text = self.text.trim();
        (!text.is_empty()).then_some(text)
    }

    /// The attribute value for `key`, if present.
    pub fn attr_value(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
