//! Ansible's variables and Jinja templating, on minijinja.
//!
//! Brief overview:
//! - [`Templar`]: the configured engine. [`Templar::template`] templates values the way
//!   Ansible templates module arguments (native types for single expressions),
//!   [`Templar::evaluate`] and [`Templar::condition`] handle bare expressions (`when`, `until`),
//!   [`Templar::render_text`] renders template files.
//! - [`Scope`]: the variables of one host and task, layered by [`VarSource`] precedence and
//!   templated lazily when read.
//! - [`TemplateError`]: what failed, convertible to a positioned [`oxible_yaml::Diagnostic`].
//!
//! ```
//! use std::sync::Arc;
//! use oxible_template::{Scope, Templar, VarSource};
//! use oxible_yaml::{Map, Value};
//!
//! let templar = Templar::new();
//! let mut vars = Map::new();
//! vars.insert(Value::from("port"), Value::from(8080));
//! vars.insert(Value::from("url"), Value::from("http://localhost:{{ port }}/"));
//! let mut scope = Scope::new(&templar);
//! scope.push(VarSource::PlayVars, Arc::new(vars));
//! let scope = scope.into_shared();
//! assert_eq!(templar.template_str("{{ url }}", &scope).unwrap(), Value::from("http://localhost:8080/"));
//! assert_eq!(templar.template_str("{{ port + 1 }}", &scope).unwrap(), Value::from(8081));
//! ```
//!
//! **Architecture Invariant:** no IO besides what lookups need on the controller, and no
//! knowledge of tasks or hosts: callers build the [`Scope`].
#![deny(missing_docs)]

mod args;
mod convert;
mod datetime;
mod error;
mod filters;
mod lookups;
mod magic;
mod methods;
mod python;
mod scope;
mod templar;
mod tests;

pub use convert::{ConvertError, from_jinja, to_jinja};
pub use error::{TemplateError, TemplateErrorKind};
pub use lookups::run_lookup;
pub use magic::{
    ANSIBLE_MANAGED, ANSIBLE_VERSION, HostScopes, HostVars, MagicVars, OMIT, without_omitted,
};
pub use scope::{Scope, VarSource};
pub use templar::{Templar, TextOptions, empty_scope, is_template};
