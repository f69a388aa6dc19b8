//! Exit codes and error printing, matching ansible-playbook's `cli_executor`.

use std::process::ExitCode;

/// A failure that ends the command, tagged with the class Ansible gives it.
#[derive(Debug)]
pub struct Failure {
    /// Which exit code the failure maps to.
    pub class: FailureClass,
    /// What to print on stderr (a rendered diagnostic or a plain message).
    pub message: String,
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
    /// A failure of `class` reported as `message`.
    pub fn new(class: FailureClass, message: impl std::fmt::Display) -> Self {
        Self {
            class,
            message: message.to_string(),
        }
    }
}

/// Prints `failure` on stderr and returns its exit code.
pub fn report(failure: &Failure) -> ExitCode {
    eprintln!("{}", failure.message);
    ExitCode::from(failure.class.code())
}
