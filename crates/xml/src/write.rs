//! Serialisation: compact XML with a declaration, as the CI service answers.

use crate::Element;

const DECLARATION: &str = "<?xml version='1.0' encoding='utf-8' ?>\n";

impl Element {
    /// The element as a full document: the declaration the CI service sends, a newline, then
    /// compact XML with text and attribute values escaped.
    pub fn to_document(&self) -> String {
        let mut out = String::from(DECLARATION);
        self.write_compact(&mut out);
        out
    }

    /// The element as compact XML without a declaration.
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write_compact(&mut out);
        out
    }

    fn write_compact(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_into(v, true, out);
            out.push('"');
        }
        out.push('>');
        escape_into(&self.text, false, out);
        for child in &self.children {
            child.write_compact(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Escapes markup characters; in attribute values also quotes and line breaks, which a parser
/// would otherwise normalise away.
fn escape_into(s: &str, attribute: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
}
