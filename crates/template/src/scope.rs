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
    /// Values that are objects rather than data (`hostvars`), above every layer.
    objects: HashMap<String, Jinja>,
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
            objects: HashMap::new(),
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

    /// Defines `name` as a template object (such as [`crate::HostVars`]), above every layer.
    pub fn set_object(&mut self, name: &str, object: Jinja) -> &mut Self {
        self.objects.insert(name.to_string(), object);
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

    /// The first of `names` (aliases, such as `ansible_host` and `ansible_ssh_host`) defined
    /// by the highest layer that defines any of them, with its raw value: an alias a user sets
    /// anywhere beats a default set below it (Ansible adds its connection defaults only when
    /// no alias is set).
    pub fn raw_alias<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &Value)> {
        self.layers.iter().rev().find_map(|(_, map)| {
            names
                .iter()
                .find_map(|name| map.get(&Value::string(*name)).map(|value| (*name, value)))
        })
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
        seen.extend(self.objects.keys().cloned());
        seen.into_iter().collect()
    }

    /// The templated value of `name`, resolving references on the way.
    fn resolve(self: &Arc<Self>, name: &str) -> Option<Jinja> {
        if let Some(object) = self.objects.get(name) {
            return Some(object.clone());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every precedence level, lowest first.
    const LEVELS: [VarSource; 14] = [
        VarSource::RoleDefaults,
        VarSource::Inventory,
        VarSource::Facts,
        VarSource::PlayVars,
        VarSource::PlayVarsFiles,
        VarSource::RoleVars,
        VarSource::BlockVars,
        VarSource::TaskVars,
        VarSource::IncludeVars,
        VarSource::SetFact,
        VarSource::RoleParams,
        VarSource::ExtraVars,
        VarSource::Magic,
        VarSource::Loop,
    ];

    fn layer(pairs: &[(&str, Value)]) -> Arc<Map> {
        Arc::new(
            pairs
                .iter()
                .map(|(k, v)| (Value::from(*k), v.clone()))
                .collect(),
        )
    }

    fn value_of(scope: &Arc<Scope>, templar: &Templar, name: &str) -> Value {
        templar
            .template_str(&format!("{{{{ {name} }}}}"), scope)
            .expect("templates")
    }

    #[test]
    fn each_level_overrides_the_one_below() {
        let templar = Templar::new();
        for pair in LEVELS.windows(2) {
            let (low, high) = (pair[0], pair[1]);
            let mut scope = Scope::new(&templar);
            // Pushed high first, so the order of pushing cannot be what decides.
            scope.push(high, layer(&[("x", Value::from(format!("{high:?}")))]));
            scope.push(low, layer(&[("x", Value::from(format!("{low:?}")))]));
            let scope = scope.into_shared();
            assert_eq!(
                value_of(&scope, &templar, "x"),
                Value::from(format!("{high:?}")),
                "{low:?} < {high:?}"
            );
        }
    }

    #[test]
    fn later_layers_of_one_level_win() {
        let templar = Templar::new();
        let mut scope = Scope::new(&templar);
        scope.push(
            VarSource::RoleDefaults,
            layer(&[("x", Value::from("first role"))]),
        );
        scope.push(
            VarSource::RoleDefaults,
            layer(&[("x", Value::from("second role"))]),
        );
        assert_eq!(
            value_of(&scope.into_shared(), &templar, "x"),
            Value::from("second role")
        );
    }

    #[test]
    fn values_refer_across_levels_and_are_templated_when_read() {
        let templar = Templar::new();
        let mut scope = Scope::new(&templar);
        scope.push(
            VarSource::RoleDefaults,
            layer(&[("url", Value::from("http://{{ host }}:{{ port }}"))]),
        );
        scope.push(VarSource::Inventory, layer(&[("port", Value::from(8080))]));
        scope.push(
            VarSource::ExtraVars,
            layer(&[("host", Value::from("example.org"))]),
        );
        let scope = scope.into_shared();
        assert_eq!(
            value_of(&scope, &templar, "url"),
            Value::from("http://example.org:8080")
        );
    }

    #[test]
    fn reference_loops_name_the_chain() {
        let templar = Templar::new();
        let mut scope = Scope::new(&templar);
        scope.push(
            VarSource::PlayVars,
            layer(&[("a", Value::from("{{ b }}")), ("b", Value::from("{{ a }}"))]),
        );
        let err = templar
            .template_str("{{ a }}", &scope.into_shared())
            .expect_err("loops");
        assert!(err.message.contains("a -> b -> a"), "{}", err.message);
    }

    #[test]
    fn unsafe_values_are_never_templated() {
        let templar = Templar::new();
        let mut scope = Scope::new(&templar);
        let raw = Value::new(ValueKind::Unsafe("{{ not_a_var }}".into()));
        scope.push(VarSource::PlayVars, layer(&[("raw", raw)]));
        assert_eq!(
            value_of(&scope.into_shared(), &templar, "raw"),
            Value::from("{{ not_a_var }}")
        );
    }
}
