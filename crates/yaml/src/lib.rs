//! YAML as Ansible reads it: YAML 1.1 through PyYAML's `SafeLoader`, with positions.
//!
//! Brief overview:
//! - [`load_file`] / [`load_source`] turn text into a [`Value`] tree plus warnings.
//! - [`Value`] is the workspace's one value type (Python's data model, cheap to clone).
//! - [`Span`] and [`Diagnostic`] carry and render `file:line:col` with the offending line.
//!
//! ```
//! use oxible_yaml::{load_source, Source, Value};
//! let doc = load_source(Source::new("vars.yml", "mode: 0644\nstart: yes\n")).unwrap().value;
//! assert_eq!(doc.get("mode"), Some(&Value::from(420)));
//! assert_eq!(doc.get("start"), Some(&Value::from(true)));
//! ```
//!
//! **Architecture Invariant:** this crate knows nothing of Ansible's playbooks or inventories;
//! it only reproduces the YAML layer they are written in.
#![deny(missing_docs)]

mod load;
mod python;
pub mod resolve;
mod source;
mod value;

pub use load::{LoadError, Loaded, load_file, load_source};
pub use python::{civil_from_days, py_datetime, py_json_string, py_splitlines};
pub use source::{Diagnostic, Severity, Source, Span, did_you_mean, suggest};
pub use value::{Map, Timestamp, Value, ValueKind};
