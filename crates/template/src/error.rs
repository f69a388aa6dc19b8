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
            // minijinja names the variable in backticks; Ansible quotes it.
            (K::UndefinedError, Some(detail)) => {
                (TemplateErrorKind::Undefined, detail.replace('`', "'"))
            }
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

    /// The 1-based line and column inside the template where the failing part starts.
    pub fn position(&self) -> Option<(usize, usize)> {
        let start = self.range.as_ref()?.start;
        let before = self.template.get(..start)?;
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }

    /// A diagnostic pointing at `span` (the YAML string or template file the text came from).
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
        let place = match (
            self.range.clone().and_then(|r| self.template.get(r)),
            self.position(),
        ) {
            (Some(part), Some((line, col))) if part.trim() != self.template.trim() => {
                format!(
                    " (at `{}`, line {line} column {col} of the template)",
                    part.trim()
                )
            }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxible_yaml::Source;

    use crate::{Templar, empty_scope};

    #[test]
    fn errors_name_the_variable_and_the_place() {
        let templar = Templar::new();
        let scope = empty_scope(&templar);
        let err = templar
            .template_str("port: {{ web_port }}", &scope)
            .expect_err("undefined");
        assert_eq!(err.message, "'web_port' is undefined");
        let src = Source::new(
            "roles/web/tasks/main.yml",
            "- name: x\n  debug:\n    msg: \"port: {{ web_port }}\"\n",
        );
        let text = err
            .diagnostic(Some(oxible_yaml::Span::new(Arc::clone(&src), 3, 10)))
            .to_string();
        assert!(text.contains("roles/web/tasks/main.yml:3:10"), "{text}");
        assert!(text.contains("'web_port' is undefined"), "{text}");
        assert!(text.contains("default("), "{text}");
    }

    #[test]
    fn syntax_errors_give_line_and_column_inside_the_template() {
        let templar = Templar::new();
        let err = templar
            .render_text(
                "line one\n{% if x %}\n{{ 1 + }}\n{% endif %}\n",
                &empty_scope(&templar),
            )
            .expect_err("syntax error");
        assert_eq!(err.kind, super::TemplateErrorKind::Syntax);
        assert_eq!(err.position().map(|(line, _)| line), Some(3), "{err:?}");
    }
}
