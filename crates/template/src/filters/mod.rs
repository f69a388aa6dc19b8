//! Ansible's filters (ansible.builtin and the Jinja2 built-ins Ansible users rely on), one
//! module per family, each registering its own filters on the templar's environment.

use minijinja::Environment;

mod collections;
mod encoding;
mod ordering;
mod path;
mod query;
mod random;
pub(crate) mod regex;
mod serialize;
mod sets;
mod text;
pub(crate) mod time;
mod units;
mod yaml;

/// Registers every filter oxible provides beside minijinja's built-ins.
pub(crate) fn register(env: &mut Environment<'static>) {
    text::register(env);
    regex::register(env);
    encoding::register(env);
    path::register(env);
    serialize::register(env);
    query::register(env);
    yaml::register(env);
    time::register(env);
    units::register(env);
    collections::register(env);
    ordering::register(env);
    sets::register(env);
    random::register(env);
}
