//! Bounded parsing of a UTF-8 document into an [`Element`] tree.

use quick_xml::Reader;
use quick_xml::events::{BytesDecl, BytesStart, Event};

use crate::{Element, Limits, XmlError};

/// Parses `input` and returns its root element.
///
/// Size is checked before anything else; depth and element count are checked as each element
/// opens, so an over-limit document is refused before its tree is built.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if is_blank(text) {
        return Err(XmlError::Empty);
    }

    let mut reader = Reader::from_str(text);
    let mut tree = TreeBuilder::new(limits);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| from_quick(e, reader.error_position()))?;
        match event {
            Event::Start(start) => tree.open(element_of(&start)?)?,
            Event::Empty(start) => {
                tree.open(element_of(&start)?)?;
                tree.close()?;
            }
            Event::End(_) => tree.close()?,
            Event::Text(raw) => {
                let unescaped = raw.unescape().map_err(|e| from_quick(e, 0))?;
                tree.text(&unescaped)?;
            }
            Event::CData(cdata) => tree.text(utf8(&cdata.into_inner())?)?,
            Event::Decl(decl) => tree.declaration(&decl)?,
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    tree.finish()
}

/// Builds the tree from parser events while enforcing the limits.
struct TreeBuilder<'l> {
    limits: &'l Limits,
    /// Open elements, innermost last.
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
    seen_markup: bool,
}

impl<'l> TreeBuilder<'l> {
    fn new(limits: &'l Limits) -> Self {
        TreeBuilder {
            limits,
            stack: Vec::new(),
            root: None,
            elements: 0,
            seen_markup: false,
        }
    }

    fn open(&mut self, element: Element) -> Result<(), XmlError> {
        self.seen_markup = true;
        if self.root.is_some() {
            return Err(malformed("content after the root element"));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep);
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements);
        }
        self.stack.push(element);
        Ok(())
    }

    fn close(&mut self) -> Result<(), XmlError> {
        let mut element = self
            .stack
            .pop()
            .ok_or_else(|| malformed("closing tag without an opening tag"))?;
        if !element.children.is_empty() && is_blank(&element.text) {
            element.text.clear();
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), XmlError> {
        check_chars(text)?;
        match self.stack.last_mut() {
            Some(open) => open.text.push_str(text),
            None if is_blank(text) => {}
            None if self.root.is_some() => return Err(malformed("text after the root element")),
            None => return Err(malformed("text before the root element")),
        }
        Ok(())
    }

    fn declaration(&mut self, decl: &BytesDecl<'_>) -> Result<(), XmlError> {
        if self.seen_markup {
            return Err(malformed("XML declaration is not at the start"));
        }
        self.seen_markup = true;
        match decl.encoding() {
            None => Ok(()),
            Some(Ok(name)) if is_utf8_label(&name) => Ok(()),
            Some(Ok(_)) => Err(XmlError::NotUtf8),
            Some(Err(e)) => Err(malformed(&e.to_string())),
        }
    }

    fn finish(mut self) -> Result<Element, XmlError> {
        if let Some(open) = self.stack.pop() {
            return Err(malformed(&format!("element <{}> is not closed", open.name)));
        }
        self.root.ok_or_else(|| malformed("no root element"))
    }
}

/// The element for a start tag: local name (prefix stripped) and unescaped attributes.
fn element_of(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut element = Element::new(utf8(start.local_name().as_ref())?);
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(&e.to_string()))?;
        let key = utf8(attr.key.as_ref())?.to_owned();
        let value = attr.unescape_value().map_err(|e| from_quick(e, 0))?;
        check_chars(&value)?;
        element.attrs.push((key, value.into_owned()));
    }
    Ok(element)
}

fn from_quick(error: quick_xml::Error, position: u64) -> XmlError {
    match error {
        quick_xml::Error::Escape(e) => XmlError::Entity(e.to_string()),
        quick_xml::Error::Encoding(_) => XmlError::NotUtf8,
        other if position > 0 => malformed(&format!("{other} (near byte {position})")),
        other => malformed(&other.to_string()),
    }
}

/// Refuses characters XML 1.0 does not allow, including those written as `&#0;` and the like.
fn check_chars(text: &str) -> Result<(), XmlError> {
    let bad = text.chars().find(|&c| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    });
    match bad {
        Some(c) => Err(malformed(&format!(
            "character U+{:04X} is not allowed",
            c as u32
        ))),
        None => Ok(()),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)
}

fn is_utf8_label(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"utf-8") || name.eq_ignore_ascii_case(b"utf8")
}

/// True when `text` holds only XML whitespace.
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

fn malformed(detail: &str) -> XmlError {
    XmlError::Malformed(detail.to_owned())
}
