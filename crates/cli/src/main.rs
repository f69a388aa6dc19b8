//! `oxible`: the thin binary that wires oxible's library crates together.
//!
//! It parses the command line (flags spelled as ansible-playbook's and ansible-inventory's),
//! reads ansible.cfg, calls the libraries, prints their results and maps errors to
//! ansible-playbook's exit codes. No Ansible semantics live here.

mod config;
mod exit;
mod extra_vars;
mod inventory_cmd;
mod listing;
mod playbook_cmd;
mod remote;
mod static_templar;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Ansible-compatible playbook executor.
#[derive(Parser)]
#[command(name = "oxible", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run playbooks (ansible-playbook).
    #[command(version)]
    Playbook(Box<playbook_cmd::Args>),
    /// Show the inventory (ansible-inventory).
    #[command(version)]
    Inventory(inventory_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    exit::guard(|| {
        let result = match cli.command {
            Command::Playbook(args) => playbook_cmd::run(*args),
            Command::Inventory(args) => inventory_cmd::run(args),
        };
        match result {
            Ok(code) => code,
            Err(err) => exit::report(&err),
        }
    })
}
