//! Errors of playbook loading, classified as Ansible classifies them.
//!
//! Ansible raises `AnsibleParserError` (exit code 4) for bad YAML, bad keywords and bad task
//! structure, and a plain `AnsibleError` (exit code 1) when something the playbook names cannot
//! be found (a role, an imported file) or uses a removed feature such as the `include` action.
//! Every error carries a [`Diagnostic`] with `file:line:col`, the offending line and a help line.

use oxible_yaml::{Diagnostic, Span};

/// Why a playbook could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed: YAML, keywords, task structure (Ansible's `AnsibleParserError`).
    #[error("{0}")]
    Parse(Box<Diagnostic>),
    /// Something named by the input cannot be found or is no longer supported
    /// (Ansible's `AnsibleError`).
    #[error("{0}")]
    Resolve(Box<Diagnostic>),
}

impl Error {
    /// A parser error at `span` with a help line saying what would be valid.
    pub fn parse(message: impl Into<String>, span: Option<&Span>, help: impl Into<String>) -> Self {
        Error::Parse(Box::new(
            Diagnostic::error(message, span.cloned()).with_help(help),
        ))
    }

    /// A resolution error at `span` with a help line saying what would be valid.
    pub fn resolve(
        message: impl Into<String>,
        span: Option<&Span>,
        help: impl Into<String>,
    ) -> Self {
        Error::Resolve(Box::new(
            Diagnostic::error(message, span.cloned()).with_help(help),
        ))
    }

    /// Whether Ansible reports this class of error as an `AnsibleParserError` (exit code 4)
    /// rather than an `AnsibleError` (exit code 1).
    pub fn is_parser_error(&self) -> bool {
        matches!(self, Error::Parse(_))
    }

    /// The rendered diagnostic.
    pub fn diagnostic(&self) -> &Diagnostic {
        match self {
            Error::Parse(d) | Error::Resolve(d) => d,
        }
    }
}

impl From<oxible_yaml::LoadError> for Error {
    /// YAML that cannot be parsed is a parser error; a file that cannot be read is not.
    fn from(err: oxible_yaml::LoadError) -> Self {
        match err {
            oxible_yaml::LoadError::Invalid(d) => Error::Parse(d),
            io @ oxible_yaml::LoadError::Io { .. } => {
                Error::Resolve(Box::new(Diagnostic::error(io.to_string(), None)))
            }
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
