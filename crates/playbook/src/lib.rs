//! Playbooks as Ansible reads them: YAML → typed plays, blocks, tasks and roles, with spans.
//!
//! Brief overview:
//! - [`Playbook::load`] reads a playbook and everything it names statically: `import_playbook`,
//!   roles (search path, `meta` dependencies, role params), `import_tasks`, `import_role`.
//!   `include_tasks`/`include_role` stay tasks: they are dynamic and expand at run time.
//! - Every keyword is checked against ansible-core 2.19's list for its object ([`keywords`]);
//!   the task's module and arguments are resolved as `ModuleArgsParser` does ([`Action`]).
//! - [`Play::listed_tasks`] and [`TagFilter`] give what `--list-tasks`/`--list-tags` show.
//! - Errors ([`Error`]) point at `file:line:col` with the line, a caret and what would be valid,
//!   and say whether Ansible would exit with 4 (parser error) or 1.
//!
//! ```
//! use oxible_playbook::{LoadOptions, Playbook, TagFilter};
//! # let dir = std::env::temp_dir().join(format!("oxible-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("site.yml");
//! std::fs::write(&path, "- hosts: all\n  tasks:\n    - debug: msg=hi\n      tags: t\n").unwrap();
//! let playbook = Playbook::load(&oxible_playbook::FsLoader, &path, &LoadOptions::default()).unwrap();
//! let tasks = playbook.plays[0].listed_tasks(&TagFilter::default());
//! assert_eq!(tasks[0].display_name(), "debug");
//! assert!(tasks[0].tags.contains("t"));
//! ```
//!
//! **Architecture Invariant:** this crate neither templates (beyond the plain `{{ var }}` names
//! and paths Ansible resolves while loading, through a pluggable [`Templar`]) nor executes;
//! all file access goes through a [`Loader`].
#![deny(missing_docs)]

mod action;
mod block;
mod context;
mod dynamic;
mod error;
pub mod keywords;
mod loader;
mod play;
mod playbook;
mod role;
pub mod role_path;
pub mod splitter;
mod tags;
mod task;
mod template;

pub use action::{Action, is_builtin, short_name};
pub use block::{Block, Entry};
pub use context::LoadOptions;
pub use dynamic::{IncludeSite, RoleInclude, load_included_role, load_included_tasks};
pub use error::{Error, Result};
pub use loader::{FsLoader, Loader};
pub use play::{ListedTask, Play, VarPrompt};
pub use playbook::Playbook;
pub use role::{Role, RoleDef};
pub use tags::TagFilter;
pub use task::{Loop, Task};
pub use template::{SimpleTemplar, Templar, is_template};
