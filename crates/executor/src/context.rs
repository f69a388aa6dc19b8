//! What a task inherits from the play, roles and blocks around it: keywords (innermost wins),
//! `when` conditions (all must hold), block variables, the enclosing role.

use std::sync::Arc;

use oxible_playbook::Role;
use oxible_playbook::keywords::Keywords;
use oxible_yaml::{Map, Value};

/// The surroundings of a task, built while walking the play.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inherited<'p> {
    /// Keyword sets from the outside in (play, role, blocks, imports).
    pub keywords: Vec<&'p Keywords>,
    /// `when` conditions of enclosing roles, blocks and imports.
    pub when: Vec<Value>,
    /// `vars:` of enclosing blocks and imports, outside in.
    pub block_vars: Vec<Arc<Map>>,
    /// The role the task belongs to.
    pub role: Option<&'p Role>,
    /// The roles around `role`, outside in: those it is a dependency of, or that import or
    /// include it (ansible-core's dependency chain, which file searches walk).
    pub outer_roles: Vec<&'p Role>,
    /// Whether the tasks are handlers.
    pub handler: bool,
}

impl<'p> Inherited<'p> {
    /// The same surroundings inside an object with `keywords`, `when` and `vars`.
    pub fn inside(&self, keywords: &'p Keywords, when: &[Value]) -> Self {
        let mut inner = self.clone();
        inner.keywords.push(keywords);
        inner.when.extend(when.iter().cloned());
        if let Some(vars) = keywords.get("vars").and_then(Value::as_map) {
            inner.block_vars.push(Arc::new(vars.clone()));
        }
        inner
    }

    /// The same surroundings inside `role`.
    pub fn in_role(&self, role: &'p Role) -> Self {
        let mut inner = self.inside(&role.def.keywords, &role.def.when);
        inner.outer_roles.extend(inner.role);
        inner.role = Some(role);
        inner
    }

    /// The innermost value of keyword `key`, `task`'s own first.
    pub fn keyword<'a>(&'a self, task: &'a Keywords, key: &str) -> Option<&'a Value> {
        task.get(key)
            .or_else(|| self.keywords.iter().rev().find_map(|k| k.get(key)))
    }
}
