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
    /// The user interrupted the run (`^C`, SIGINT): ansible-playbook's `KeyboardInterrupt`
    /// handler, exit code 99.
    Interrupted,
}

impl FailureClass {
    fn code(self) -> u8 {
        match self {
            FailureClass::General => 1,
            FailureClass::Parser => 4,
            FailureClass::Options => 5,
            FailureClass::Interrupted => 99,
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

/// ansible-playbook's exit code for an unexpected error (`ExitCode.UNKNOWN_ERROR`), which
/// oxible gives a panic: a bug, never a user's mistake.
const UNEXPECTED_ERROR: u8 = 250;

/// Runs `command`, mapping a panic to exit code 250 as ansible-playbook's catch-all maps an
/// unexpected exception; the panic is reported as one `[ERROR]: ` line naming where it
/// happened instead of Rust's default panic text.
pub fn guard(command: impl FnOnce() -> ExitCode + std::panic::UnwindSafe) -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "[ERROR]: Unexpected error, this is a bug in oxible: {}{place}",
            info.payload_as_str().unwrap_or("panic")
        );
    }));
    std::panic::catch_unwind(command).unwrap_or(ExitCode::from(UNEXPECTED_ERROR))
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
    fn a_panic_exits_with_250() {
        let code = guard(|| panic!("boom"));
        let _ = std::panic::take_hook();
        assert_eq!(code, ExitCode::from(250));
        assert_eq!(guard(|| ExitCode::from(2)), ExitCode::from(2));
        let _ = std::panic::take_hook();
    }

    #[test]
    fn inventory_parse_errors_exit_with_4() {
        let parse = oxible_inventory::InventoryError::from(Diagnostic::error("bad", None));
        assert_eq!(Failure::from(parse).class, FailureClass::Parser);
        let limit = oxible_inventory::InventoryError::LimitFile("gone".into());
        assert_eq!(Failure::from(limit).class, FailureClass::General);
    }
}
