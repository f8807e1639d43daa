//! Where things are in a YAML file: the span of every key and value, so that an error about a
//! setting points at it with file:line:column.
//!
//! serde_yaml reads values into docrun's types; [`Places`] reads the same text once more with
//! serde-saphyr, which keeps the position of every node, and answers "where is
//! `steps.install.timeout`". Nothing here decides what a value means.
//!
//! Every YAML docrun reads (front matter, overlays, `docrun.yaml`, values files, kubeconfigs)
//! is a stranger's, and aliases let a small file stand for a huge value: one anchored string of
//! a megabyte named by a thousand aliases is a gigabyte to whoever expands it. [`within_budget`]
//! measures what the aliases add, in one pass over the parser's events, before anything
//! expands them; [`Places::read`] and every serde_yaml read of these files go through it.

use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// What a node costs when an alias repeats it, besides its text: about what a parsed node
/// takes in memory.
const NODE_COST: u64 = 16;

/// The least expansion budget, so that small files may use aliases freely.
pub const MIN_BUDGET: u64 = 1024 * 1024;

/// The most that aliases may add to a YAML text of `len` bytes: 4 times its size, and at least
/// [`MIN_BUDGET`].
pub fn budget(len: usize) -> u64 {
    (4 * len as u64).max(MIN_BUDGET)
}

/// Why a YAML text is not read: its aliases expand it past its [`budget`], or it cannot be
/// checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverBudget {
    /// At the alias at byte `offset`, the aliases so far add `added` bytes, over `budget`.
    Expands {
        offset: usize,
        added: u64,
        budget: u64,
    },
    /// The text defines anchors and uses aliases, but does not parse here, so what they add
    /// cannot be measured; `offset` is where it stops parsing.
    Unchecked { offset: usize, reason: String },
}

impl OverBudget {
    /// The byte offset in the YAML text the error points at.
    pub fn offset(&self) -> usize {
        match self {
            OverBudget::Expands { offset, .. } | OverBudget::Unchecked { offset, .. } => *offset,
        }
    }

    /// A hint for the user.
    pub fn help(&self) -> &'static str {
        match self {
            OverBudget::Expands { .. } => {
                "write the value out where it is needed, or use fewer aliases of large anchors"
            }
            OverBudget::Unchecked { .. } => {
                "fix the YAML, or write the values out instead of using anchors"
            }
        }
    }
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverBudget::Expands { added, budget, .. } => write!(
                f,
                "its aliases expand to {added} bytes by this one, over the limit of {budget} \
                 (4 times the file's size, at least 1 MiB)"
            ),
            OverBudget::Unchecked { reason, .. } => write!(
                f,
                "it uses anchors and aliases but does not parse, so what they expand to cannot \
                 be measured: {reason}"
            ),
        }
    }
}

/// Checks what the aliases of `yaml` add when expanded, without expanding them: one pass over
/// the parser's events, keeping the expanded size of each anchored node (its scalars' bytes
/// plus [`NODE_COST`] per node, aliases inside it counted at their anchor's size). `Err` at
/// the first alias that takes the total added past [`budget`]`(yaml.len())`. Memory and time
/// are linear in the text. YAML that does not parse is left to the reader that reports its
/// error, unless it both defines anchors and uses aliases (then [`OverBudget::Unchecked`]).
pub fn within_budget(yaml: &str) -> Result<(), OverBudget> {
    use granit_parser::{Event, Parser};

    let limit = budget(yaml.len());
    let mut added: u64 = 0;
    // All the nodes read so far, counting repeats; an anchored node's size is the growth of
    // this count over its events.
    let mut expanded: u64 = 0;
    let mut sizes: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    // The open collections: their anchor (0 for none) and `expanded` when they opened.
    let mut open: Vec<(usize, u64)> = Vec::new();
    for event in Parser::new_from_str(yaml) {
        let (event, span) = match event {
            Ok(event) => event,
            Err(err) => {
                if has_anchors_and_aliases(yaml) {
                    return Err(OverBudget::Unchecked {
                        offset: byte_offset(yaml, err.marker().index()),
                        reason: err.info().to_owned(),
                    });
                }
                return Ok(());
            }
        };
        match event {
            Event::Scalar(value, _, anchor, _) => {
                let size = value.len() as u64 + NODE_COST;
                expanded += size;
                if anchor != 0 {
                    sizes.insert(anchor, size);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                open.push((anchor, expanded));
                expanded += NODE_COST;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop() {
                    if anchor != 0 {
                        sizes.insert(anchor, expanded - start);
                    }
                }
            }
            Event::Alias(anchor) => {
                let size = sizes.get(&anchor).copied().unwrap_or(NODE_COST);
                expanded = expanded.saturating_add(size);
                added = added.saturating_add(size);
                if added > limit {
                    return Err(OverBudget::Expands {
                        offset: span.byte_range().map_or(0, |r| r.start),
                        added,
                        budget: limit,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The byte offset of the `chars`-th character of `text`.
fn byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// Whether `text` has what reads as an anchor (`&name`) and an alias (`*name`): the mark
/// after a space, a line start or a flow indicator, followed by a name character.
fn has_anchors_and_aliases(text: &str) -> bool {
    let marked = |mark: u8| {
        let bytes = text.as_bytes();
        bytes.iter().enumerate().any(|(i, &b)| {
            b == mark
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b','))
                && bytes
                    .get(i + 1)
                    .is_some_and(|c| !c.is_ascii_whitespace() && !b",[]{}".contains(c))
        })
    };
    marked(b'&') && marked(b'*')
}

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
    /// Why the YAML is not to be expanded, when it is not ([`within_budget`]).
    over_budget: Option<OverBudget>,
}

impl Places {
    /// Reads the YAML at `base..base + len` of `source`. YAML that does not read gives places
    /// that all point at its start: the error reading it is serde_yaml's to report. YAML over
    /// its alias budget is not expanded here either: [`Places::within_budget`] says why.
    pub fn read(source: Arc<Source>, base: usize, len: usize) -> Places {
        let end = (base + len).min(source.text().len());
        let yaml = &source.text()[base..end];
        let over_budget = within_budget(yaml).err();
        let root = match over_budget {
            None => serde_saphyr::from_str::<Spanned<Node>>(yaml).ok(),
            Some(_) => None,
        };
        Places {
            source,
            base,
            len: end - base,
            root,
            over_budget,
        }
    }

    /// [`within_budget`] for this YAML, as an error of kind `kind(message)` at the alias that
    /// crosses the budget. Call it before handing the text to serde_yaml.
    pub fn within_budget(&self, kind: impl FnOnce(String) -> ErrorKind) -> Result<(), SourceError> {
        match &self.over_budget {
            None => Ok(()),
            Some(over) => {
                let at = self.base + over.offset();
                Err(self
                    .error(Span::new(at, at + 1), kind(over.to_string()), "here")
                    .with_help(over.help()))
            }
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

    /// `n` keys that alias one anchored string of `size` bytes.
    fn aliases_of_one_string(size: usize, n: usize) -> String {
        let mut yaml = format!("big: &a \"{}\"\n", "x".repeat(size));
        for i in 0..n {
            yaml.push_str(&format!("k{i}: *a\n"));
        }
        yaml
    }

    #[test]
    fn aliases_may_add_four_times_the_text_and_at_least_a_mebibyte() {
        // 3 aliases of 100 kB add 300 kB: under the 1 MiB floor.
        assert_eq!(within_budget(&aliases_of_one_string(100_000, 3)), Ok(()));
        // 20 aliases of 100 kB add 2 MB, over max(4 x 100 kB, 1 MiB), at the alias that
        // crosses it (the 11th: 11 x 100 kB > 1 MiB).
        let yaml = aliases_of_one_string(100_000, 20);
        let Err(OverBudget::Expands {
            offset,
            added,
            budget,
        }) = within_budget(&yaml)
        else {
            panic!("not refused");
        };
        assert_eq!(budget, MIN_BUDGET);
        assert!(added > budget && added < budget + 200_000, "{added}");
        assert!(
            yaml[offset..].starts_with("*a\nk11:"),
            "{}",
            &yaml[offset..offset + 8]
        );
        // A large file without aliases is never over: nothing is repeated.
        let plain: String = (0..200_000).map(|i| format!("- [{i}, a, b]\n")).collect();
        assert_eq!(within_budget(&plain), Ok(()));
    }

    #[test]
    fn nested_aliases_count_at_their_expanded_size() {
        // The billion laughs: 9 levels of 10 aliases of the level below, 10^9 nodes.
        let mut yaml = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let below = format!("*l{}", level - 1);
            let items = [below.as_str(); 10].join(", ");
            yaml.push_str(&format!("l{level}: &l{level} [{items}]\n"));
        }
        let over = within_budget(&yaml).unwrap_err();
        let line = yaml[..over.offset()].matches('\n').count() + 1;
        assert!(line <= 6, "refused only at line {line}: {over}");
        // Anchors on a mapping, an alias inside the anchored node: counted once per use.
        assert_eq!(
            within_budget("a: &a {k: &s v, l: *s}\nb: *a\nc: [*a, *s]\n"),
            Ok(())
        );
    }

    #[test]
    fn yaml_that_does_not_parse_is_refused_only_when_it_has_anchors_and_aliases() {
        assert_eq!(within_budget("a: [\n"), Ok(()));
        assert_eq!(within_budget("cmd: a && b *.yaml\n"), Ok(()));
        let over = within_budget("a: &x [1\nb: *x\n  c: ]]\n").unwrap_err();
        assert!(matches!(over, OverBudget::Unchecked { .. }), "{over}");
    }

    #[test]
    fn places_of_yaml_over_budget_are_an_error_of_the_callers_kind_at_the_alias() {
        let p = places(&aliases_of_one_string(400_000, 5));
        let err = p.within_budget(ErrorKind::InvalidOverlay).unwrap_err();
        assert!(matches!(err.kind, ErrorKind::InvalidOverlay(_)));
        // Four aliases of 400 kB stay under 4 times the 400 kB text; the fifth (line 6) does not.
        assert_eq!(err.line_col(), (6, 5));
        assert_eq!(p.value(&["big".into()]), Span::new(0, 0));
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
