//! Python's `re` for the places Ansible uses it (the `regex_*` filters and tests, and the
//! `lineinfile`, `replace` and `find` modules): Python's pattern syntax translated to
//! fancy-regex's, which has what Python has beyond the `regex` crate (lookarounds,
//! backreferences, atomic and conditional groups); `$` matching before a final newline;
//! `re.finditer`'s rules for empty matches; and Python's replacement templates.

mod pattern;
mod replacement;
mod search;

pub use fancy_regex::{Captures, Regex};
pub use pattern::{Anchor, compile, translate};
pub use replacement::Replacement;
pub use search::{is_match, matches, search};

/// Why a pattern or a replacement template cannot be used, or a match gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Python's own syntax errors (`bad escape \q`, `invalid group reference 3`…).
    #[error("{0}")]
    Syntax(String),
    /// A Python construct with no equivalent here.
    #[error(
        "{what} in pattern '{pattern}' is not supported (Python re constructs without an equivalent in oxible's regex engine)"
    )]
    Unsupported {
        /// The construct.
        what: String,
        /// The whole pattern.
        pattern: String,
    },
    /// The translated pattern does not compile.
    #[error("invalid regular expression '{pattern}': {reason}")]
    Invalid {
        /// The pattern as written.
        pattern: String,
        /// fancy-regex's reason.
        reason: String,
    },
    /// Matching stopped at fancy-regex's backtracking limit.
    #[error("the regular expression could not be matched: {0}")]
    GaveUp(String),
}

/// A failed match attempt (fancy-regex's only runtime error: its backtracking limit).
impl From<fancy_regex::Error> for PatternError {
    fn from(e: fancy_regex::Error) -> Self {
        PatternError::GaveUp(e.to_string())
    }
}
