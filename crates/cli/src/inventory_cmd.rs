//! `oxible inventory`: ansible-inventory's command line.

use std::process::ExitCode;

use crate::exit::{Failure, FailureClass};

/// Flags of `oxible inventory`, spelled as ansible-inventory spells them.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory source: a file, a directory, or a comma-separated host list.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Print the whole inventory as JSON.
    #[arg(long = "list")]
    pub list: bool,
    /// Print the group tree, from GROUP (default `all`).
    #[arg(long = "graph")]
    pub graph: bool,
    /// Print the variables of one host.
    #[arg(long = "host")]
    pub host: Option<String>,
    /// With --graph, also print variables.
    #[arg(long = "vars")]
    pub vars: bool,
    /// The group --graph starts from.
    pub group: Option<String>,
}

/// Runs `oxible inventory`.
pub fn run(_args: Args) -> Result<ExitCode, Failure> {
    Err(Failure::new(FailureClass::General, "oxible inventory: not implemented yet"))
}
