//! Where things are in a YAML file: the span of every key and value, so that an error about a
//! setting points at it with file:line:column.
//!
//! serde_yaml reads values into docrun's types; [`Places`] reads the same text once more with
//! serde-saphyr, which keeps the position of every node, and answers "where is
//! `steps.install.timeout`". Nothing here decides what a value means.

use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// One step of a path into a YAML document: a mapping key, or a sequence index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Name(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Key<'a> {
    fn from(name: &'a str) -> Self {
        Key::Name(name)
    }
}

impl From<usize> for Key<'_> {
    fn from(index: usize) -> Self {
        Key::Index(index)
    }
}

/// The positions of a YAML document's nodes in the file it is part of.
#[derive(Debug, Clone)]
pub struct Places {
    source: Arc<Source>,
    /// Where the YAML starts in the source (front matter starts after its `---` line).
    base: usize,
    /// The YAML's length in bytes.
    len: usize,
    root: Option<Spanned<Node>>,
}

impl Places {
    /// Reads the YAML at `base..base + len` of `source`. YAML that does not read gives places
    /// that all point at its start: the error reading it is serde_yaml's to report.
    pub fn read(source: Arc<Source>, base: usize, len: usize) -> Places {
        let end = (base + len).min(source.text().len());
        let root = serde_saphyr::from_str::<Spanned<Node>>(&source.text()[base..end]).ok();
        Places {
            source,
            base,
            len: end - base,
            root,
        }
    }

    /// A whole file.
    pub fn of_file(source: Arc<Source>) -> Places {
        let len = source.text().len();
        Places::read(source, 0, len)
    }

    /// The file.
    pub fn source(&self) -> &Arc<Source> {
        &self.source
    }

    /// The span of the value at `path`; when the path goes further than the document, the
    /// deepest node it reaches (the document's start when it reaches none).
    pub fn value(&self, path: &[Key]) -> Span {
        let (node, _) = self.walk(path);
        node.map_or(self.start(), |n| self.span_of(&n.referenced))
    }

    /// The span of the mapping key that ends `path` (`steps.install` → `install:`); when
    /// there is no such key, as [`Places::value`] does.
    pub fn key(&self, path: &[Key]) -> Span {
        match self.walk(path) {
            (_, Some(key)) => key,
            (node, None) => node.map_or(self.start(), |n| self.span_of(&n.referenced)),
        }
    }

    /// Whether the document has a node at `path`.
    pub fn has(&self, path: &[Key]) -> bool {
        let mut node = match &self.root {
            Some(root) => root,
            None => return false,
        };
        for key in path {
            let next = match (&node.value, key) {
                (Node::Map(entries), Key::Name(name)) => entries
                    .iter()
                    .find(|(k, _)| k.value == *name)
                    .map(|(_, v)| v),
                (Node::Seq(items), Key::Index(i)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    }

    /// The first scalar under `path` that holds `needle` as a whole word (not followed by a
    /// letter, digit or `_`), as the span of the needle when the scalar's first line holds
    /// it, else of the scalar.
    pub fn find(&self, path: &[Key], needle: &str) -> Option<Span> {
        let (node, _) = self.walk(path);
        let found = find_scalar(node?, needle)?;
        let span = self.span_of(&found.referenced);
        let text = &self.source.text()[span.start..];
        let first_line = text.split('\n').next().unwrap_or("");
        Some(match word_at(first_line, needle) {
            Some(at) => Span::new(span.start + at, span.start + at + needle.len()),
            None => span,
        })
    }

    /// An error pointing at `span` of this file.
    pub fn error(&self, span: Span, kind: ErrorKind, label: &'static str) -> SourceError {
        self.source.error(span, kind, label)
    }

    /// The span of serde_yaml's error location (1-based line and column in the YAML), or the
    /// YAML's start.
    pub fn at_line_col(&self, location: Option<serde_yaml::Location>) -> Span {
        let Some(location) = location else {
            return self.start();
        };
        let yaml = &self.source.text()[self.base..self.base + self.len];
        let mut offset = 0;
        for _ in 1..location.line() {
            match yaml[offset..].find('\n') {
                Some(i) => offset += i + 1,
                None => break,
            }
        }
        let line = &yaml[offset..];
        let col: usize = line
            .char_indices()
            .nth(location.column().saturating_sub(1))
            .map_or(line.find('\n').unwrap_or(line.len()), |(i, _)| i);
        let start = self.base + offset + col;
        Span::new(start, start + 1)
    }

    fn start(&self) -> Span {
        Span::new(self.base, self.base)
    }

    fn span_of(&self, location: &serde_saphyr::Location) -> Span {
        let span = location.span();
        match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => {
                let start = self.base + offset as usize;
                Span::new(start, start + (len as usize).max(1))
            }
            _ => self.start(),
        }
    }

    /// The node at `path` (or the deepest one on the way), and the span of the last key
    /// when the path ends at a mapping key.
    fn walk(&self, path: &[Key]) -> (Option<&Spanned<Node>>, Option<Span>) {
        let mut node = match &self.root {
            Some(root) => root,
            None => return (None, None),
        };
        let mut key_span = None;
        for key in path {
            let next = match (&node.value, key) {
                (Node::Map(entries), Key::Name(name)) => entries
                    .iter()
                    .find(|(k, _)| k.value == *name)
                    .map(|(k, v)| (v, Some(self.span_of(&k.referenced)))),
                (Node::Seq(items), Key::Index(i)) => items.get(*i).map(|v| (v, None)),
                _ => None,
            };
            match next {
                Some((v, k)) => {
                    node = v;
                    key_span = k;
                }
                None => return (Some(node), None),
            }
        }
        (Some(node), key_span)
    }
}

/// A YAML node, with the position of every node under it.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

/// Where `needle` is in `text` as a whole word: not followed by a letter, digit or `_`.
fn word_at(text: &str, needle: &str) -> Option<usize> {
    text.match_indices(needle).map(|(i, _)| i).find(|&i| {
        !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn find_scalar<'n>(node: &'n Spanned<Node>, needle: &str) -> Option<&'n Spanned<Node>> {
    match &node.value {
        Node::Scalar(text) => word_at(text, needle).is_some().then_some(node),
        Node::Seq(items) => items.iter().find_map(|n| find_scalar(n, needle)),
        Node::Map(entries) => entries.iter().find_map(|(_, v)| find_scalar(v, needle)),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar(String::new()))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key of any scalar type, as text.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Node::deserialize(deserializer)? {
            Node::Scalar(text) => Ok(KeyText(text)),
            _ => Ok(KeyText(String::new())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(text: &str) -> Places {
        Places::of_file(Arc::new(Source::new("o.yaml", text)))
    }

    fn line_col(p: &Places, span: Span) -> (usize, usize) {
        p.source().line_col(span.start)
    }

    #[test]
    fn keys_values_and_needles_have_their_line_and_column() {
        let p = places("vars:\n  CTX: {kind: kube-context}\nsteps:\n  install-ca:\n    timeout: 5 minutes\n    native:\n      - kind: Secret\n        name: \"cacerts-$NAME\"\n");
        assert_eq!(
            line_col(&p, p.key(&["steps".into(), "install-ca".into()])),
            (4, 3)
        );
        let timeout = ["steps".into(), "install-ca".into(), "timeout".into()];
        assert_eq!(line_col(&p, p.key(&timeout)), (5, 5));
        assert_eq!(line_col(&p, p.value(&timeout)), (5, 14));
        let native = [
            "steps".into(),
            "install-ca".into(),
            "native".into(),
            0.into(),
        ];
        assert_eq!(line_col(&p, p.find(&native, "$NAME").unwrap()), (8, 24));
        assert_eq!(p.find(&native, "$OTHER"), None);
    }

    #[test]
    fn a_path_past_the_document_stops_at_the_deepest_node() {
        let p = places("steps:\n  a: {}\n");
        assert_eq!(line_col(&p, p.key(&["steps".into(), "b".into()])), (2, 3));
        assert_eq!(
            line_col(&p, p.key(&["steps".into(), "a".into(), "x".into()])),
            (2, 6)
        );
        let broken = places("steps: [\n");
        assert_eq!(broken.value(&["steps".into()]), Span::new(0, 0));
    }

    #[test]
    fn front_matter_yaml_is_placed_in_the_guide() {
        let text = "---\ntitle: T\nrunbook:\n  steps:\n    x: {}\n---\n# Guide\n";
        let source = Arc::new(Source::new("g.md", text));
        let p = Places::read(source, 4, text.len() - 4 - "---\n# Guide\n".len());
        let span = p.key(&["runbook".into(), "steps".into(), "x".into()]);
        assert_eq!(line_col(&p, span), (5, 5));
    }
}
