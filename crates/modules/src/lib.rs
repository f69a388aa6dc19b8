//! Modules: Rust on the controller that inspects and changes a target through shell commands.
//!
//! Brief overview:
//! - [`Module`]: one Ansible module (`command`, `file`, `copy` …): its argument spec and an
//!   async `run` that reads the target's state, decides, and changes it unless in check mode.
//! - [`ArgSpec`] / [`Args`]: declared parameters, validated before a module runs (unknown,
//!   missing, mistyped and mutually exclusive parameters are errors that list what is valid).
//! - [`Target`]: the connection plus the task's settings (check mode, diff, become, environment).
//! - [`Outcome`]: what a module did, turned into the result dict Ansible's module returns.
//! - [`find`]: the module for a task's action name (short, `ansible.builtin.*`, known FQCNs).
//!
//! **Architecture Invariant:** no Python and no files copied to targets: every module is shell
//! commands over the host's one connection, as few round trips as possible. Modules know
//! nothing of plays, strategies or templating (the executor templates arguments first).
#![deny(missing_docs)]

/// Declares a module type: `module!(/// docs \n pub Copy = "copy", SPEC, run);` defines the
/// unit struct and its [`Module`] impl, whose `run` awaits `run(target, args, extra…)`, so every
/// module file holds only its spec and its logic.
macro_rules! module {
    ($(#[$doc:meta])* $vis:vis $ty:ident = $name:literal, $spec:expr, $run:path $(, $extra:expr)* $(,)?) => {
        $(#[$doc])*
        $vis struct $ty;

        impl $crate::Module for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn spec(&self) -> &'static [$crate::ArgSpec] {
                $spec
            }

            fn run<'a>(
                &'a self,
                target: &'a $crate::Target,
                args: $crate::Args,
            ) -> oxible_connection::BoxFuture<'a, Result<$crate::Outcome, $crate::ModuleError>> {
                Box::pin($run(target, args $(, $extra)*))
            }
        }
    };
}

mod alternatives;
mod apt;
mod apt_key;
mod apt_repository;
mod archive;
mod args;
mod authorized_key;
mod blockinfile;
mod command;
mod copy;
mod cron;
mod dnf;
mod edit;
mod fetch;
mod file;
mod find;
mod fs;
mod get_url;
mod git;
mod group;
mod hostname;
mod htpasswd;
mod http;
mod ini_file;
mod iptables;
mod lineinfile;
mod mount;
mod outcome;
mod package;
mod ping;
mod pip;
mod pkg;
mod postgresql;
mod postgresql_db;
mod postgresql_ping;
mod postgresql_privs;
mod postgresql_query;
mod postgresql_user;
mod pyre;
mod raw;
mod registry;
mod replace;
mod rpm_key;
mod selinux;
mod service;
mod service_facts;
mod setup;
mod slurp;
mod stat;
mod sudoers;
mod sysctl;
mod system;
mod target;
mod tempfile;
mod unarchive;
mod uri;
mod user;
mod yum_repository;

pub use args::{ArgDefault, ArgSpec, ArgType, Args};
pub use outcome::{Outcome, module_error_result};
pub use registry::{find, names, qualified_name};
pub use target::Target;

use oxible_connection::{BoxFuture, ConnectionError};

/// Why a module could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// The task's arguments do not fit the module (the message says what would).
    #[error("{0}")]
    Args(String),
    /// The module ran but failed on the target (the message says why).
    #[error("{0}")]
    Failed(String),
    /// The target could not be reached or used.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// One Ansible module implemented in Rust.
pub trait Module: Send + Sync {
    /// The short name (`command`).
    fn name(&self) -> &'static str;
    /// The parameters the module accepts.
    fn spec(&self) -> &'static [ArgSpec];
    /// Runs the module on `target` with validated `args`.
    fn run<'a>(
        &'a self,
        target: &'a Target,
        args: Args,
    ) -> BoxFuture<'a, Result<Outcome, ModuleError>>;
}
