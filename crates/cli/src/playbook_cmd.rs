//! `oxible playbook`: ansible-playbook's command line.

use std::process::ExitCode;

use crate::exit::{Failure, FailureClass};

/// Flags of `oxible playbook`, spelled as ansible-playbook spells them.
#[derive(clap::Args)]
pub struct Args {
    /// Playbook files to run, in order.
    #[arg(required = true)]
    pub playbooks: Vec<std::path::PathBuf>,
    /// Inventory source: a file, a directory, or a comma-separated host list.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Further limit the selected hosts to this pattern (`@file` reads it from a file).
    #[arg(short = 'l', long = "limit")]
    pub limit: Option<String>,
    /// Only run plays and tasks tagged with these values.
    #[arg(short = 't', long = "tags")]
    pub tags: Vec<String>,
    /// Only run plays and tasks whose tags do not match these values.
    #[arg(long = "skip-tags")]
    pub skip_tags: Vec<String>,
    /// Extra variables as `key=value`, YAML/JSON, or `@file`.
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// Check the playbooks' syntax and exit.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// List the hosts each play would run on.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks each play would run.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List the tags of each play.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
}

/// Runs `oxible playbook`.
pub fn run(_args: Args) -> Result<ExitCode, Failure> {
    Err(Failure::new(FailureClass::General, "oxible playbook: not implemented yet"))
}
