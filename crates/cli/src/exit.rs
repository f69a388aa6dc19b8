//! Exit codes and error printing, matching ansible-playbook's `cli_executor`.
//!
//! Every failure is printed in one of two forms: a rendered [`Diagnostic`] (it starts with
//! `error:`, names `file:line:col` and has a help line) or a plain one-line message, which
//! [`report`] prefixes with Ansible's `[ERROR]: `. Messages never carry the prefix themselves.

use std::process::ExitCode;

use oxible_yaml::Diagnostic;

/// A failure that ends the command, tagged with the class Ansible gives it.
#[derive(Debug)]
pub struct Failure {
    /// Which exit code the failure maps to.
    pub class: FailureClass,
    /// What to print on stderr, without the `[ERROR]: ` prefix.
    pub message: String,
    /// Whether `message` is a rendered diagnostic, printed as is.
    rendered: bool,
}

/// Ansible's error classes, each with its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// `AnsibleError`: exit code 1.
    General,
    /// `AnsibleParserError` (bad YAML, bad keywords): exit code 4.
    Parser,
    /// `AnsibleOptionsError` (bad command line): exit code 5.
    Options,
}

impl FailureClass {
    fn code(self) -> u8 {
        match self {
            FailureClass::General => 1,
            FailureClass::Parser => 4,
            FailureClass::Options => 5,
        }
    }
}

impl Failure {
    /// A failure of `class` reported as the plain one-line `message`.
    pub fn new(class: FailureClass, message: impl std::fmt::Display) -> Self {
        Self {
            class,
            message: message.to_string(),
            rendered: false,
        }
    }

    /// A failure of `class` reported as the rendered `diagnostic`.
    pub fn diagnostic(class: FailureClass, diagnostic: &Diagnostic) -> Self {
        Self {
            class,
            message: diagnostic.to_string(),
            rendered: true,
        }
    }

    /// What [`report`] prints on stderr.
    pub fn text(&self) -> String {
        if self.rendered {
            self.message.clone()
        } else {
            format!("[ERROR]: {}", self.message)
        }
    }
}

impl From<oxible_inventory::InventoryError> for Failure {
    /// Invalid inventory files are parser errors (exit code 4); the rest exit with 1.
    fn from(err: oxible_inventory::InventoryError) -> Self {
        match &err {
            oxible_inventory::InventoryError::Parse(d) => {
                Failure::diagnostic(FailureClass::Parser, d)
            }
            _ => Failure::new(FailureClass::General, err),
        }
    }
}

impl From<oxible_playbook::Error> for Failure {
    /// Parser errors exit with 4, resolution errors with 1.
    fn from(err: oxible_playbook::Error) -> Self {
        let class = if err.is_parser_error() {
            FailureClass::Parser
        } else {
            FailureClass::General
        };
        Failure::diagnostic(class, err.diagnostic())
    }
}

impl From<oxible_yaml::LoadError> for Failure {
    /// Invalid YAML is a parser error (exit code 4); an unreadable file exits with 1.
    fn from(err: oxible_yaml::LoadError) -> Self {
        match err.diagnostic() {
            Some(d) => Failure::diagnostic(FailureClass::Parser, d),
            None => Failure::new(FailureClass::General, err),
        }
    }
}

impl From<oxible_executor::RunError> for Failure {
    /// A run that cannot go on: an invalid host pattern exits with 1, as `AnsibleError`; a
    /// play keyword that does not template with 4, as Ansible's parser error.
    fn from(err: oxible_executor::RunError) -> Self {
        match err {
            oxible_executor::RunError::Inventory(err) => err.into(),
            oxible_executor::RunError::PlayKeyword(diagnostic) => {
                Failure::diagnostic(FailureClass::Parser, &diagnostic)
            }
            other => Failure::new(FailureClass::General, other),
        }
    }
}

/// Prints `failure` on stderr and returns its exit code.
pub fn report(failure: &Failure) -> ExitCode {
    eprintln!("{}", failure.text());
    ExitCode::from(failure.class.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_messages_get_the_prefix_and_diagnostics_do_not() {
        let plain = Failure::new(FailureClass::General, "no hosts");
        assert_eq!(plain.text(), "[ERROR]: no hosts");
        let rendered = Failure::diagnostic(FailureClass::Parser, &Diagnostic::error("bad", None));
        assert!(
            rendered.text().starts_with("error: bad"),
            "{}",
            rendered.text()
        );
    }

    #[test]
    fn inventory_parse_errors_exit_with_4() {
        let parse = oxible_inventory::InventoryError::from(Diagnostic::error("bad", None));
        assert_eq!(Failure::from(parse).class, FailureClass::Parser);
        let limit = oxible_inventory::InventoryError::LimitFile("gone".into());
        assert_eq!(Failure::from(limit).class, FailureClass::General);
    }
}
