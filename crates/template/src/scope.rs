//! Variables as a task sees them: layered by Ansible's precedence and templated lazily.
//!
//! Ansible flattens every source of variables into one dict (higher precedence wins, whole
//! values replaced, not merged) and templates a value only when it is read, so a variable may
//! refer to any other in scope, whatever its level. [`Scope`] keeps each source as its own
//! layer instead of copying, answers a name from the highest layer that has it, templates the
//! value on first read and remembers the result. A variable that reaches itself again while
//! being resolved is an error naming the chain, as Ansible's "recursive loop detected".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value as Jinja};
use minijinja::{Error as JinjaError, ErrorKind as JinjaErrorKind};
use oxible_yaml::{Map, Value, ValueKind};

use crate::convert::to_jinja;
use crate::templar::Templar;

/// Where variables come from, lowest precedence first, as Ansible documents the order.
///
/// Inventory levels arrive already merged by `oxible-inventory` (group_vars all → parents →
/// children, then host vars); role defaults and role vars of every role in the play are
/// visible play-wide, as in Ansible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VarSource {
    /// `roles/x/defaults/main.yml`.
    RoleDefaults,
    /// Inventory and playbook `group_vars`/`host_vars` and inventory-file vars, merged.
    Inventory,
    /// Gathered facts and cached `set_fact` values.
    Facts,
    /// The play's `vars:`.
    PlayVars,
    /// The play's `vars_files:`.
    PlayVarsFiles,
    /// `roles/x/vars/main.yml`.
    RoleVars,
    /// A block's `vars:`.
    BlockVars,
    /// The task's `vars:`.
    TaskVars,
    /// `include_vars`.
    IncludeVars,
    /// `set_fact` and `register`.
    SetFact,
    /// Role parameters (`roles: [{role: x, param: 1}]`, `include_role` vars).
    RoleParams,
    /// `-e` extra vars.
    ExtraVars,
    /// Magic variables (`inventory_hostname`, `groups`, `omit`, …), which Ansible adds last.
    Magic,
    /// The loop variable (`item` or `loop_control.loop_var`) and `ansible_loop`.
    Loop,
}

/// A set of variables for one host and task, answering names lazily.
///
/// Build it with [`Scope::new`] and [`Scope::push`]; hand it to the [`Templar`] methods.
pub struct Scope {
    templar: Templar,
    layers: Vec<(VarSource, Arc<Map>)>,
    resolved: Mutex<HashMap<String, Jinja>>,
    resolving: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Scope {
    /// An empty scope whose values are templated with `templar`.
    pub fn new(templar: &Templar) -> Self {
        Self {
            templar: templar.clone(),
            layers: Vec::new(),
            resolved: Mutex::new(HashMap::new()),
            resolving: Mutex::new(Vec::new()),
        }
    }

    /// Adds `vars` at precedence `source`; within one source, later layers win.
    pub fn push(&mut self, source: VarSource, vars: Arc<Map>) -> &mut Self {
        let at = self.layers.partition_point(|(s, _)| *s <= source);
        self.layers.insert(at, (source, vars));
        self.resolved
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self
    }

    /// Finishes building: the scope as shared, ready to be used as a template context.
    pub fn into_shared(self) -> Arc<Scope> {
        Arc::new(self)
    }

    /// The raw (untemplated) value of `name` from the highest layer that defines it.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        let key = Value::string(name);
        self.layers.iter().rev().find_map(|(_, map)| map.get(&key))
    }

    /// The names of every variable in scope, each once, lowest layer first.
    pub fn names(&self) -> Vec<String> {
        let mut seen = indexmap::IndexSet::new();
        for (_, map) in &self.layers {
            for key in map.keys() {
                if let Some(name) = key.as_str() {
                    seen.insert(name.to_string());
                }
            }
        }
        seen.into_iter().collect()
    }

    /// The templated value of `name`, resolving references on the way.
    fn resolve(self: &Arc<Self>, name: &str) -> Option<Jinja> {
        if let Some(done) = lock(&self.resolved).get(name) {
            return Some(done.clone());
        }
        let raw = self.raw(name)?;
        if !needs_templating(raw) {
            let value = to_jinja(raw);
            lock(&self.resolved).insert(name.to_string(), value.clone());
            return Some(value);
        }
        {
            let mut stack = lock(&self.resolving);
            if let Some(at) = stack.iter().position(|n| n == name) {
                let mut chain: Vec<&str> = stack[at..].iter().map(String::as_str).collect();
                chain.push(name);
                return Some(Jinja::from(JinjaError::new(
                    JinjaErrorKind::InvalidOperation,
                    format!(
                        "recursive loop detected in template: {}",
                        chain.join(" -> ")
                    ),
                )));
            }
            stack.push(name.to_string());
        }
        let result = self.templar.template_jinja(raw, self);
        lock(&self.resolving).pop();
        let value = match result {
            Ok(value) => value,
            Err(err) => return Some(Jinja::from(err)),
        };
        lock(&self.resolved).insert(name.to_string(), value.clone());
        Some(value)
    }
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Jinja) -> Option<Jinja> {
        self.resolve(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.names().into_iter().map(Jinja::from).collect())
    }
}

/// Whether a raw value holds a template anywhere (`!unsafe` strings never do).
pub(crate) fn needs_templating(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Str(s) => crate::templar::is_template(s),
        ValueKind::Seq(items) => items.iter().any(needs_templating),
        ValueKind::Map(map) => map
            .iter()
            .any(|(k, v)| needs_templating(k) || needs_templating(v)),
        _ => false,
    }
}

/// Locks a mutex, recovering the data if another thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
