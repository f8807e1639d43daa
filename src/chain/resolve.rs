//! Where a link leads: the guide file it names on disk, and the section anchor, if any.
//!
//! - Site-absolute links (`/docs/x/`, `/zh/docs/x/`, `https://istio.io/latest/docs/x/`) resolve
//!   against the tree's content root: the `content` folder above the guide, whose children are
//!   language folders. The guide's own language is tried first, then the link's, then `en`.
//! - Relative links resolve from the page's URL as Hugo makes it (`a/index.md` is `a/`,
//!   `a/b.md` is `a/b/`), and as plain paths (`../b.md`).
//! - When neither finds a file, a guide beside this one named by the link's last segment
//!   (`before-you-begin` -> `before-you-begin.zh.md`, own language first) is taken: guides
//!   copied out of their site keep their links working that way.
//!
//! A page is `P/index.md`, `P/_index.md` or `P.md`, with the language before `.md` where the
//! site names files that way (`index.zh.md`).

use std::path::{Component, Path, PathBuf};

/// A link resolved to a guide on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: PathBuf,
    /// The section anchor after `#`, if any.
    pub anchor: Option<String>,
}

/// What a link target is, before looking on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another site, mail, an image, a shortcode: not a guide.
    External,
    /// A section of the same guide (`#anchor`).
    SameGuide(String),
    /// A page of the site: a path (site-absolute or relative) and maybe an anchor.
    Page {
        path: String,
        absolute: bool,
        anchor: Option<String>,
    },
}

/// Hosts whose links are links into the site itself.
const SITE_HOSTS: &[&str] = &["istio.io", "preliminary.istio.io"];

/// Splits a link target into what it names.
pub fn parse_target(target: &str) -> Target {
    let target = target.trim().trim_start_matches('<').trim_end_matches('>');
    if target.is_empty() || target.contains("{{") {
        return Target::External;
    }
    let (rest, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a.to_owned()).filter(|a| !a.is_empty())),
        None => (target, None),
    };
    let rest = rest.split('?').next().unwrap_or("");
    if rest.is_empty() {
        return match anchor {
            Some(a) => Target::SameGuide(a),
            None => Target::External,
        };
    }
    let path = if let Some(after) = rest
        .strip_prefix("https://")
        .or_else(|| rest.strip_prefix("http://"))
    {
        let (host, path) = after.split_once('/').unwrap_or((after, ""));
        if !SITE_HOSTS.contains(&host) {
            return Target::External;
        }
        // istio.io's versioned prefixes: /latest/docs/..., /v1.26/docs/...
        let path = path
            .split_once('/')
            .filter(|(first, _)| *first == "latest" || first.starts_with('v'))
            .map_or(path, |(_, p)| p);
        format!("/{path}")
    } else if rest.contains(':') {
        return Target::External; // mailto:, ftp:, ...
    } else {
        rest.to_owned()
    };
    let lower = path.to_lowercase();
    const NOT_PAGES: &[&str] = &[
        ".png", ".svg", ".jpg", ".gif", ".yaml", ".yml", ".sh", ".json", ".txt", ".zip", ".gz",
    ];
    if NOT_PAGES.iter().any(|ext| lower.ends_with(ext)) {
        return Target::External;
    }
    Target::Page {
        absolute: path.starts_with('/'),
        path,
        anchor,
    }
}

/// The language of a guide: `zh` for `x.zh.md`, else the language folder under its content
/// root (`content/zh/...`), else none.
pub fn guide_language(guide: &Path) -> Option<String> {
    let name = guide.file_name()?.to_str()?;
    let stem = name.strip_suffix(".md")?;
    if let Some((_, lang)) = stem.rsplit_once('.') {
        if is_language(lang) {
            return Some(lang.to_owned());
        }
    }
    content_root(guide).and_then(|(_, lang)| lang)
}

fn is_language(s: &str) -> bool {
    let (main, region) = s.split_once('-').unwrap_or((s, ""));
    main.len() == 2
        && main.chars().all(|c| c.is_ascii_lowercase())
        && region.len() <= 4
        && region.chars().all(|c| c.is_ascii_alphabetic())
}

/// The `content` folder above a guide and the language folder the guide is under, if any. A
/// guide named from inside the content folder (`docrun test .` in `content/en/docs`) has no
/// `content` among its components: its absolute path is looked at then, and the root given
/// relative to the current folder (`../..`), so that what it leads to is named as the tree's
/// walk names it (see [`named_like`]).
fn content_root(guide: &Path) -> Option<(PathBuf, Option<String>)> {
    if let Some(found) = content_root_in(guide) {
        return Some(found);
    }
    if guide.is_absolute() {
        return None;
    }
    let cwd = current_dir()?;
    let (root, lang) = content_root_in(&normalize(&cwd.join(guide)))?;
    let below = cwd.strip_prefix(&root).ok()?;
    let up: PathBuf = below.components().map(|_| Component::ParentDir).collect();
    Some((up, lang))
}

/// A path found from a relative guide's links, named as a walk from the current folder names
/// it: `../../en/docs/x/index.md` from `content/en/docs` is `./x/index.md` when the guide is
/// `./y/index.md`, `x/index.md` when it is `y/index.md`. A path outside the current folder is
/// left as it is.
fn named_like(found: PathBuf, guide: &Path) -> PathBuf {
    if guide.is_absolute() || !found.starts_with("..") {
        return found;
    }
    let Some(cwd) = current_dir() else {
        return found;
    };
    let whole = normalize(&cwd.join(&found));
    let Ok(inside) = whole.strip_prefix(cwd) else {
        return found;
    };
    if guide.starts_with(".") {
        Path::new(".").join(inside)
    } else {
        inside.to_path_buf()
    }
}

/// The current folder, asked once: it does not change while docrun reads guides.
fn current_dir() -> Option<&'static Path> {
    static CWD: std::sync::LazyLock<Option<PathBuf>> =
        std::sync::LazyLock::new(|| std::env::current_dir().ok());
    CWD.as_deref()
}

fn content_root_in(guide: &Path) -> Option<(PathBuf, Option<String>)> {
    let mut root = PathBuf::new();
    let mut components = guide.components().peekable();
    while let Some(c) = components.next() {
        root.push(c);
        if c.as_os_str() == "content" && components.peek().is_some() {
            let lang = components
                .peek()
                .and_then(|c| c.as_os_str().to_str())
                .filter(|s| is_language(s))
                .map(str::to_owned);
            return Some((root, lang));
        }
    }
    None
}

/// Resolves a link of `guide` to a guide file that exists, or `None`.
pub fn resolve(guide: &Path, target: &str) -> Option<Resolved> {
    let Target::Page {
        path,
        absolute,
        anchor,
    } = parse_target(target)
    else {
        return None;
    };
    let own = guide_language(guide);
    let found = if absolute {
        resolve_absolute(guide, &path, own.as_deref())
    } else {
        resolve_relative(guide, &path, own.as_deref())
    };
    // A link or `requires:` entry that leads out of the documentation tree, or to anything but
    // a regular file, is no guide of this tree.
    let root = crate::boundary::root(guide);
    found
        .or_else(|| beside(guide, &path, own.as_deref()))
        .map(|p| named_like(p, guide))
        .filter(|p| p.as_path() != guide)
        .filter(|p| crate::boundary::resolve(&root, p, target).is_ok())
        .map(|path| Resolved { path, anchor })
}

fn resolve_absolute(guide: &Path, link: &str, own: Option<&str>) -> Option<PathBuf> {
    let (root, _) = content_root(guide)?;
    let mut segments: Vec<&str> = link.split('/').filter(|s| !s.is_empty()).collect();
    let mut link_lang = None;
    if let Some(first) = segments.first() {
        // `/zh/docs/...` (and `/zh-cn/...`): the language the link names, if the site has it.
        if is_language(first) {
            link_lang = Some(first.to_string());
            segments.remove(0);
        }
    }
    let rel: PathBuf = segments.iter().collect();
    let mut langs: Vec<&str> = Vec::new();
    for lang in [own, link_lang.as_deref(), Some("en")]
        .into_iter()
        .flatten()
    {
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    for lang in &langs {
        if let Some(p) = page(&root.join(lang).join(&rel), own) {
            return Some(p);
        }
    }
    // A content root without language folders.
    page(&root.join(&rel), own)
}

fn resolve_relative(guide: &Path, link: &str, own: Option<&str>) -> Option<PathBuf> {
    let dir = guide.parent()?;
    let name = guide.file_name()?.to_str()?;
    let is_index = name.starts_with("index.") || name.starts_with("_index.");
    // The page's URL as Hugo makes it: `a/b.md` is served at `a/b/`.
    let page_dir = if is_index {
        dir.to_path_buf()
    } else {
        dir.join(name.split('.').next().unwrap_or(name))
    };
    let plain = normalize(&dir.join(link));
    if link.ends_with(".md") && plain.is_file() {
        return Some(plain);
    }
    page(&normalize(&page_dir.join(link)), own).or_else(|| page(&plain, own))
}

/// A guide beside `guide` named by the link's last segment.
fn beside(guide: &Path, link: &str, own: Option<&str>) -> Option<PathBuf> {
    let last = link
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .trim_end_matches(".md");
    if last.is_empty() || last == ".." || last == "." {
        return None;
    }
    page(&guide.parent()?.join(last), own)
}

/// The guide file of a page path: `P/index.md`, `P/_index.md` or `P.md`, in the language given
/// first (`index.zh.md`, `P.zh.md`), then without one, then English.
fn page(p: &Path, lang: Option<&str>) -> Option<PathBuf> {
    let mut names: Vec<String> = Vec::new();
    for l in [lang, None, Some("en")] {
        let suffix = l.map(|l| format!(".{l}.md")).unwrap_or(".md".to_owned());
        names.push(suffix);
    }
    for suffix in &names {
        for candidate in [
            p.join(format!("index{suffix}")),
            p.join(format!("_index{suffix}")),
            PathBuf::from(format!("{}{suffix}", p.display())),
        ] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `a/b/../c` -> `a/c`, without touching the disk (links name pages that are folders or not).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_split_into_what_they_name() {
        assert_eq!(
            parse_target("/docs/examples/bookinfo/#deploying-the-application"),
            Target::Page {
                path: "/docs/examples/bookinfo/".into(),
                absolute: true,
                anchor: Some("deploying-the-application".into())
            }
        );
        assert_eq!(
            parse_target("#cleanup"),
            Target::SameGuide("cleanup".into())
        );
        assert_eq!(
            parse_target("https://istio.io/latest/docs/setup/getting-started/"),
            Target::Page {
                path: "/docs/setup/getting-started/".into(),
                absolute: true,
                anchor: None
            }
        );
        assert_eq!(
            parse_target("https://kubernetes.io/docs/"),
            Target::External
        );
        assert_eq!(parse_target("mailto:a@b.c"), Target::External);
        assert_eq!(parse_target("arch.svg"), Target::External);
        assert_eq!(
            parse_target("../bookinfo/"),
            Target::Page {
                path: "../bookinfo/".into(),
                absolute: false,
                anchor: None
            }
        );
    }

    /// A documentation tree (a git work tree) of `files`.
    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "# x\n").unwrap();
        }
        dir
    }

    #[test]
    fn site_absolute_links_take_the_guides_language_first() {
        let dir = tree(&[
            "content/en/docs/a/index.md",
            "content/en/docs/b/index.md",
            "content/zh/docs/a/index.md",
            "content/zh/docs/b/index.md",
            "content/en/docs/c/index.md",
        ]);
        let root = dir.path();
        let zh_a = root.join("content/zh/docs/a/index.md");
        let en_a = root.join("content/en/docs/a/index.md");
        assert_eq!(
            resolve(&zh_a, "/docs/b/#x").unwrap(),
            Resolved {
                path: root.join("content/zh/docs/b/index.md"),
                anchor: Some("x".into())
            }
        );
        assert_eq!(
            resolve(&en_a, "/zh/docs/b/").unwrap().path,
            root.join("content/en/docs/b/index.md")
        );
        // No Chinese page: the English one.
        assert_eq!(
            resolve(&zh_a, "/zh/docs/c").unwrap().path,
            root.join("content/en/docs/c/index.md")
        );
        assert_eq!(resolve(&en_a, "/docs/nowhere/"), None);
        // A link to itself is no prerequisite.
        assert_eq!(resolve(&en_a, "/docs/a/"), None);
    }

    #[test]
    fn relative_links_and_guides_copied_out_of_their_site() {
        let dir = tree(&[
            "content/en/docs/tasks/a/index.md",
            "content/en/docs/tasks/b/index.md",
            "seed/before-you-begin.zh.md",
            "seed/before-you-begin.en.md",
            "seed/multi-primary.zh.md",
            "plain/a.md",
            "plain/b.md",
        ]);
        let root = dir.path();
        assert_eq!(
            resolve(&root.join("content/en/docs/tasks/a/index.md"), "../b/")
                .unwrap()
                .path,
            root.join("content/en/docs/tasks/b/index.md")
        );
        assert_eq!(
            resolve(
                &root.join("seed/multi-primary.zh.md"),
                "/zh/docs/setup/install/multicluster/before-you-begin"
            )
            .unwrap()
            .path,
            root.join("seed/before-you-begin.zh.md")
        );
        assert_eq!(
            resolve(&root.join("plain/a.md"), "b.md#run").unwrap(),
            Resolved {
                path: root.join("plain/b.md"),
                anchor: Some("run".into())
            }
        );
        assert_eq!(
            guide_language(&root.join("seed/multi-primary.zh.md")).as_deref(),
            Some("zh")
        );
        assert_eq!(
            guide_language(&root.join("content/en/docs/tasks/a/index.md")).as_deref(),
            Some("en")
        );
    }
}
