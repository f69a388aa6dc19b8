//! Errors of the inventory crate.

use oxible_yaml::Diagnostic;

use crate::pattern::PatternError;

/// Why an inventory could not be loaded or queried.
///
/// Ansible maps these to exit codes: [`InventoryError::Parse`] is an `AnsibleParserError`
/// (exit 4 from ansible-playbook), the others plain `AnsibleError`s (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A file (inventory source, group_vars/host_vars file) holds something invalid; the
    /// diagnostic names file:line:col and says what would be valid.
    #[error("{0}")]
    Parse(Box<Diagnostic>),
    /// A file or directory could not be read.
    #[error("could not read {path}: {source}")]
    Io {
        /// The path asked for.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A host pattern that cannot be evaluated.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// `--limit @file` naming a missing file or a directory (Ansible's messages).
    #[error("{0}")]
    LimitFile(String),
}

impl From<Diagnostic> for InventoryError {
    fn from(d: Diagnostic) -> Self {
        InventoryError::Parse(Box::new(d))
    }
}
