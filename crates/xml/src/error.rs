use std::fmt;

/// Why a body could not be read as XML.
///
/// Callers map [`XmlError::Empty`] to a "missing content" answer and every other variant to an
/// "invalid content" answer; [`XmlError::TooLarge`] may also warrant 413.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The body is empty or holds only whitespace.
    Empty,
    /// The body is larger than [`crate::Limits::max_bytes`].
    TooLarge,
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    TooDeep,
    /// The document has more elements than [`crate::Limits::max_elements`].
    TooManyElements,
    /// The body is not UTF-8, or declares another encoding.
    NotUtf8,
    /// The body carries a DOCTYPE; DTDs are never processed.
    Doctype,
    /// An entity other than the five predefined ones, or a bad character reference.
    Entity(String),
    /// Anything else that is not a single well-formed element.
    Malformed(String),
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::Empty => f.write_str("the XML body is empty"),
            XmlError::TooLarge => f.write_str("the XML body is too large"),
            XmlError::TooDeep => f.write_str("the XML body is nested too deeply"),
            XmlError::TooManyElements => f.write_str("the XML body has too many elements"),
            XmlError::NotUtf8 => f.write_str("the XML body is not UTF-8"),
            XmlError::Doctype => f.write_str("DOCTYPE declarations are not allowed"),
            XmlError::Entity(detail) => write!(f, "unsupported entity reference: {detail}"),
            XmlError::Malformed(detail) => write!(f, "malformed XML: {detail}"),
        }
    }
}

impl std::error::Error for XmlError {}
