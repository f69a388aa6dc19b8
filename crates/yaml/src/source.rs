//! Source files, positions inside them, and diagnostics that show the offending line.
//!
//! Every node the loader produces carries a [`Span`], so any later stage (playbook keywords,
//! inventory lines, templating) can report `file:line:col` with the line itself and a caret,
//! as Ansible's `AnsibleError(obj=…)` does, but always pointing at the exact spot.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The text of one loaded file, kept so diagnostics can quote it without reading it again.
#[derive(Debug)]
pub struct Source {
    path: PathBuf,
    text: Arc<str>,
}

impl Source {
    /// Wraps `text` read from `path` (the path is only used for display and relative lookups).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
        })
    }

    /// The path the text was read from, as given by the caller.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of line `line` (1-based), without its line ending; empty past the end.
    pub fn line_text(&self, line: u32) -> &str {
        let idx = line.saturating_sub(1) as usize;
        self.text.lines().nth(idx).unwrap_or("")
    }
}

/// A position in a [`Source`]: 1-based line and 1-based column (in characters).
#[derive(Clone)]
pub struct Span {
    source: Arc<Source>,
    line: u32,
    col: u32,
}

impl Span {
    /// A position at `line`:`col` (both 1-based) of `source`.
    pub fn new(source: Arc<Source>, line: u32, col: u32) -> Self {
        Self { source, line, col }
    }

    /// The file this position is in.
    pub fn source(&self) -> &Arc<Source> {
        &self.source
    }

    /// The path of the file this position is in.
    pub fn path(&self) -> &Path {
        self.source.path()
    }

    /// 1-based line number.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column number, counted in characters.
    pub fn col(&self) -> u32 {
        self.col
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.source.path.display(),
            self.line,
            self.col
        )
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The input cannot be used.
    Error,
    /// The input is used, but probably does not mean what its author intended.
    Warning,
}

/// A message about user input, rendered with the offending line and a caret under the column.
///
/// Rendered form (the `help` line says what would be valid):
/// ```text
/// error: unknown task keyword 'whne'
///   --> site.yml:4:7
///    |
///  4 |       whne: x is defined
///    |       ^
///    = help: did you mean 'when'?
/// ```
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where it is wrong, when known.
    pub span: Option<Span>,
    /// What would be valid instead.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            severity: Severity::Warning,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Adds the "what would be valid" line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}", self.message)?;
        if let Some(span) = &self.span {
            let number = span.line.to_string();
            let pad = " ".repeat(number.len());
            let text = span.source.line_text(span.line);
            let caret_at: String = text
                .chars()
                .take(span.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{pad}--> {span}\n{pad} |\n{number} | {text}\n{pad} | {caret_at}^"
            )?;
            if let Some(help) = &self.help {
                write!(f, "\n{pad} = help: {help}")?;
            }
        } else if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The candidates closest to `word` by edit distance, best first, for "did you mean" help.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, c)| c).collect()
}

/// The "did you mean 'x'?" hint for the nearest of `candidates` to `word` (see [`suggest`]),
/// or `None` when nothing is close.
///
/// ```
/// assert_eq!(
///     oxible_yaml::did_you_mean("hots", ["hosts", "vars"]).as_deref(),
///     Some("did you mean 'hosts'?")
/// );
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let close: Vec<String> = suggest(word, candidates)
        .into_iter()
        .take(3)
        .map(|c| format!("'{c}'"))
        .collect();
    (!close.is_empty()).then(|| format!("did you mean {}?", close.join(" or ")))
}

/// Levenshtein distance counted in characters, with adjacent transpositions costing one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_and_caret() {
        let src = Source::new("site.yml", "- hosts: all\n  tasks:\n    - whne: x\n");
        let d = Diagnostic::error("unknown task keyword 'whne'", Some(Span::new(src, 3, 7)))
            .with_help("did you mean 'when'?");
        assert_eq!(
            d.to_string(),
            "error: unknown task keyword 'whne'\n --> site.yml:3:7\n  |\n3 |     - whne: x\n  |       ^\n  = help: did you mean 'when'?"
        );
    }

    #[test]
    fn suggests_nearest_keywords() {
        assert_eq!(
            suggest("whne", ["when", "name", "with_items"]),
            vec!["when"]
        );
        assert_eq!(
            suggest("becom_user", ["become", "become_user"]),
            vec!["become_user"]
        );
        assert!(suggest("zzzz", ["when"]).is_empty());
    }

    #[test]
    fn did_you_mean_names_the_nearest() {
        assert_eq!(
            did_you_mean("childern", ["hosts", "vars", "children"]).as_deref(),
            Some("did you mean 'children'?")
        );
        assert_eq!(did_you_mean("zzzz", ["hosts"]), None);
    }
}
