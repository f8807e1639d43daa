//! YAML front matter between `---` lines at the top of a guide.

use crate::error::{ErrorKind, SourceError};
use crate::source::{Source, Span};

/// What a guide's `test:` key says about running it in doc CI.
///
/// YAML reads `yes`/`no` as booleans in some parsers and as strings in others; both spellings
/// mean the same here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestMode {
    Yes,
    No,
    NotApplicable,
    TableOfContents,
    /// No `test:` key.
    Unset,
    /// A value docrun does not know; kept as written.
    Other(String),
}

impl TestMode {
    pub fn as_str(&self) -> &str {
        match self {
            TestMode::Yes => "yes",
            TestMode::No => "no",
            TestMode::NotApplicable => "n/a",
            TestMode::TableOfContents => "table-of-contents",
            TestMode::Unset => "unset",
            TestMode::Other(s) => s,
        }
    }

    fn from_yaml(value: &serde_yaml::Value) -> TestMode {
        match value {
            serde_yaml::Value::Bool(true) => TestMode::Yes,
            serde_yaml::Value::Bool(false) => TestMode::No,
            serde_yaml::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "yes" | "true" => TestMode::Yes,
                "no" | "false" => TestMode::No,
                "n/a" => TestMode::NotApplicable,
                "table-of-contents" => TestMode::TableOfContents,
                _ => TestMode::Other(s.clone()),
            },
            serde_yaml::Value::Null => TestMode::Unset,
            other => TestMode::Other(
                serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            ),
        }
    }
}

/// The parsed front matter. Unknown keys are kept in `raw` (Hugo ignores them; so does docrun,
/// except `runbook:`, which declares checks and settings).
#[derive(Debug, Clone)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    pub test: TestMode,
    /// The `runbook:` key, with the line it starts on.
    pub runbook: Option<(serde_yaml::Value, usize)>,
    pub raw: serde_yaml::Mapping,
    /// The byte span of the whole block, `---` lines included.
    pub span: Span,
}

impl FrontMatter {
    pub(super) fn empty() -> Self {
        FrontMatter {
            title: None,
            description: None,
            test: TestMode::Unset,
            runbook: None,
            raw: serde_yaml::Mapping::new(),
            span: Span::default(),
        }
    }
}

/// Splits the front matter off a guide. Returns it and the offset where the body starts.
///
/// A guide without a leading `---` line has no front matter. An opening `---` without a closing
/// one, YAML that does not parse, or YAML that is not a mapping is an error located in the file.
pub fn parse(src: &Source) -> Result<(FrontMatter, usize), SourceError> {
    let text = src.text();
    let text_body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - text_body.len();
    let first_line_end = text_body.find('\n').unwrap_or(text_body.len());
    if text_body[..first_line_end].trim_end() != "---" {
        return Ok((FrontMatter::empty(), bom));
    }
    let yaml_start = bom + (first_line_end + 1).min(text_body.len());
    let mut pos = yaml_start;
    let mut close = None;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == "---" {
            close = Some((pos, (end + 1).min(text.len())));
            break;
        }
        pos = end + 1;
    }
    let Some((yaml_end, body_start)) = close else {
        return Err(src
            .error(
                Span::new(bom, bom + 3),
                ErrorKind::FrontMatterUnclosed,
                "opened here",
            )
            .with_help("end the front matter with a line of three dashes: ---"));
    };
    let yaml = &text[yaml_start..yaml_end];
    if let Err(over) = crate::yaml::within_budget(yaml) {
        let at = yaml_start + over.offset();
        return Err(src
            .error(
                Span::new(at, at + 1),
                ErrorKind::FrontMatterYaml(over.to_string()),
                "here",
            )
            .with_help(over.help()));
    }
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|err| {
        let at = err
            .location()
            .map_or(yaml_start, |l| yaml_start + l.index().min(yaml.len()));
        let message = err.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        src.error(
            Span::new(at, at + 1),
            ErrorKind::FrontMatterYaml(message),
            "here",
        )
        .with_help(
            "front matter is YAML between two `---` lines; quote values that hold `:` or `#`",
        )
    })?;
    let raw = match value {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => serde_yaml::Mapping::new(),
        _ => {
            return Err(src
                .error(
                    Span::new(yaml_start, yaml_end),
                    ErrorKind::FrontMatterNotMapping,
                    "here",
                )
                .with_help("front matter holds `key: value` lines, e.g. `title: My guide`"))
        }
    };
    let string = |key: &str| raw.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let runbook = raw.get("runbook").map(|v| {
        let line = yaml
            .lines()
            .position(|l| l.starts_with("runbook:"))
            .map_or(src.line_of(yaml_start), |i| src.line_of(yaml_start) + i);
        (v.clone(), line)
    });
    let fm = FrontMatter {
        title: string("title"),
        description: string("description"),
        test: raw.get("test").map_or(TestMode::Unset, TestMode::from_yaml),
        runbook,
        span: Span::new(bom, body_start),
        raw,
    };
    Ok((fm, body_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(text: &str) -> Result<(FrontMatter, usize), SourceError> {
        parse(&Source::new("g.md", text))
    }

    #[test]
    fn test_values_in_every_spelling() {
        let cases = [
            ("test: yes", TestMode::Yes),
            ("test: no", TestMode::No),
            ("test: true", TestMode::Yes),
            ("test: \"yes\"", TestMode::Yes),
            ("test: n/a", TestMode::NotApplicable),
            ("test: table-of-contents", TestMode::TableOfContents),
            ("title: x", TestMode::Unset),
            ("test: maybe", TestMode::Other("maybe".into())),
        ];
        for (line, expected) in cases {
            let (fm, _) = fm(&format!("---\n{line}\n---\nbody\n")).unwrap();
            assert_eq!(fm.test, expected, "{line}");
        }
    }

    #[test]
    fn body_starts_after_the_closing_line_even_without_final_newline() {
        let (front, body) = fm("---\ntitle: T\n---\n# H\n").unwrap();
        assert_eq!(front.title.as_deref(), Some("T"));
        assert_eq!(body, 17);
        let (_, body) = fm("---\ntitle: T\n---").unwrap();
        assert_eq!(body, 16);
        let (front, body) = fm("no front matter\n").unwrap();
        assert_eq!((front.test, body), (TestMode::Unset, 0));
    }

    #[test]
    fn broken_front_matter_points_at_the_line() {
        let err = fm("---\ntitle: a\nkeywords: [a, b\n---\n").unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::FrontMatterYaml(_)),
            "{:?}",
            err.kind()
        );
        assert!(err.line() >= 3, "{}", err.location());
        let err = fm("---\ntitle: a\n").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::FrontMatterUnclosed);
        assert_eq!((err.line_col(), err.span()), ((1, 1), Span::new(0, 3)));
        let err = fm("---\n- a\n---\n").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::FrontMatterNotMapping);
        assert_eq!(err.line_col(), (2, 1));
    }

    #[test]
    fn runbook_key_is_kept_with_its_line() {
        let (front, _) = fm("---\ntitle: a\nrunbook:\n  checks: []\n---\n").unwrap();
        assert_eq!(front.runbook.unwrap().1, 3);
    }
}
