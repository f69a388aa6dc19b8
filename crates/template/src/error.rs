//! Template errors: what went wrong, in which template text, and where inside it.

use std::ops::Range;

use oxible_yaml::{Diagnostic, Span};

use crate::convert::ConvertError;

/// What kind of template failure happened; decides the help a user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// The template or expression is not valid Jinja.
    Syntax,
    /// A variable or attribute used is not defined.
    Undefined,
    /// A variable refers back to itself.
    Recursion,
    /// A conditional did not give a boolean.
    Conditional,
    /// A filter, test, lookup or operation failed.
    Evaluation,
}

/// A failed templating of `template`, with the failing part when known.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// What kind of failure.
    pub kind: TemplateErrorKind,
    /// What went wrong, in Ansible's words where it has them (`'x' is undefined`).
    pub message: String,
    /// The template text that failed.
    pub template: String,
    /// The byte range inside `template` that failed, when known.
    pub range: Option<Range<usize>>,
}

impl TemplateError {
    fn new(kind: TemplateErrorKind, message: String, template: &str) -> Self {
        Self {
            kind,
            message,
            template: template.to_string(),
            range: None,
        }
    }

    /// `'name' is undefined` for `template`.
    pub(crate) fn undefined(name: &str, template: &str) -> Self {
        Self::new(
            TemplateErrorKind::Undefined,
            format!("'{name}' is undefined"),
            template,
        )
    }

    /// A conditional whose result is not a boolean, which ansible-core 2.19 refuses.
    pub(crate) fn conditional_not_bool(template: &str) -> Self {
        Self::new(
            TemplateErrorKind::Conditional,
            format!("conditional result of '{template}' is not a boolean"),
            template,
        )
    }

    /// Translates a minijinja error raised while templating `template`.
    pub(crate) fn from_jinja(err: &minijinja::Error, template: &str) -> Self {
        use minijinja::ErrorKind as K;
        let range = err.range().filter(|r| template.get(r.clone()).is_some());
        let part = range.clone().and_then(|r| template.get(r)).map(str::trim);
        let (kind, message) = match (err.kind(), err.detail()) {
            (K::SyntaxError, detail) => (
                TemplateErrorKind::Syntax,
                format!(
                    "template syntax error: {}",
                    detail.unwrap_or("invalid syntax")
                ),
            ),
            (K::UndefinedError, Some(detail)) => (TemplateErrorKind::Undefined, detail.to_string()),
            (K::UndefinedError, None) => (
                TemplateErrorKind::Undefined,
                match part {
                    Some(part) => format!("'{}' is undefined", undefined_name(part)),
                    None => "a variable is undefined".to_string(),
                },
            ),
            (_, Some(detail)) if detail.starts_with("recursive loop detected") => {
                (TemplateErrorKind::Recursion, detail.to_string())
            }
            (_, Some(detail)) => (TemplateErrorKind::Evaluation, detail.to_string()),
            (kind, None) => (TemplateErrorKind::Evaluation, kind.to_string()),
        };
        Self {
            kind,
            message,
            template: template.to_string(),
            range,
        }
    }

    /// A value that could not leave the template engine (undefined, opaque or invalid).
    pub(crate) fn from_convert(err: ConvertError, template: &str) -> Self {
        match err {
            ConvertError::Undefined => Self::undefined(template.trim(), template),
            ConvertError::Invalid(message) => {
                Self::new(TemplateErrorKind::Evaluation, message, template)
            }
            ConvertError::Opaque(_) => {
                Self::new(TemplateErrorKind::Evaluation, err.to_string(), template)
            }
        }
    }

    /// The same failure as a minijinja error, to travel through lazily resolved variables.
    pub(crate) fn into_jinja(self) -> minijinja::Error {
        let kind = match self.kind {
            TemplateErrorKind::Syntax => minijinja::ErrorKind::SyntaxError,
            TemplateErrorKind::Undefined => minijinja::ErrorKind::UndefinedError,
            _ => minijinja::ErrorKind::InvalidOperation,
        };
        minijinja::Error::new(kind, self.message)
    }

    /// A diagnostic pointing at `span` (the YAML string the template came from).
    pub fn diagnostic(&self, span: Option<Span>) -> Diagnostic {
        let help = match self.kind {
            TemplateErrorKind::Syntax => {
                "check the Jinja syntax: {{ expression }}, {% statement %}, {# comment #}"
            }
            TemplateErrorKind::Undefined => {
                "define the variable (vars, group_vars, -e …) or give it a fallback with `| default(…)`"
            }
            TemplateErrorKind::Recursion => "a variable cannot be defined in terms of itself",
            TemplateErrorKind::Conditional => {
                "a conditional must give true or false: compare explicitly (`x | length > 0`, `x | bool`)"
            }
            TemplateErrorKind::Evaluation => {
                "check the filter, test or lookup arguments in this template"
            }
        };
        let place = match self.range.clone().and_then(|r| self.template.get(r)) {
            Some(part) if part.trim() != self.template.trim() => format!(" (in `{}`)", part.trim()),
            _ => String::new(),
        };
        Diagnostic::error(
            format!(
                "{}{place} while templating '{}'",
                self.message, self.template
            ),
            span,
        )
        .with_help(help)
    }
}

/// The variable an undefined error is about: the expression up to its first filter or test.
fn undefined_name(part: &str) -> &str {
    part.split(['|', ' ']).next().unwrap_or(part).trim()
}
