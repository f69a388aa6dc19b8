//! `delegate_to` and `delegate_facts`: the task keeps the original host's variables but runs
//! over the delegated host's connection; results say where they ran (Ansible's
//! `_ansible_delegated_vars`, which the output shows as `[h1 -> localhost]`); with
//! `delegate_facts`, facts the task sets go to the delegated host.

use std::sync::Arc;

use oxible_connection::Connection;
use oxible_template::{Scope, TemplateError};
use oxible_yaml::{Map, Value};

use crate::host::HostState;
use crate::task::TaskRun;

/// The result key naming the host a delegated task ran on.
pub(crate) const DELEGATED_VARS: &str = "_ansible_delegated_vars";

impl TaskRun<'_, '_> {
    /// The host `host` delegates this task to (`delegate_to`, templated), unless it is itself.
    pub(crate) fn delegate(
        &self,
        host: &HostState,
        scope: &Arc<Scope>,
    ) -> Result<Option<String>, TemplateError> {
        let Some(target) = self.task.keywords.get("delegate_to") else {
            return Ok(None);
        };
        let name = self.play.templar.template(target, scope)?.py_str();
        Ok((!name.is_empty() && name != host.name).then_some(name))
    }

    /// The connection to the delegated host `name`, as the host's own would be made.
    pub(crate) fn delegated_connection(&self, name: &str) -> Result<Arc<dyn Connection>, String> {
        let play = self.play;
        let scope = crate::connections::Connections::play_scope(
            play.inventory,
            play.play,
            play.options,
            play.templar,
            name,
        );
        play.connections
            .get(&scope, play.options, play.templar, name)
    }

    /// Marks `result` as run on the delegated host `name`.
    pub(crate) fn mark_delegated(&self, result: &mut Map, name: &str) {
        let ansible_host = self
            .play
            .inventory
            .host_vars(name)
            .and_then(|vars| vars.get(&Value::from("ansible_host")).map(Value::py_str))
            .unwrap_or_else(|| name.to_string());
        let mut vars = Map::new();
        vars.insert(Value::from("ansible_host"), Value::from(ansible_host));
        vars.insert(Value::from("ansible_delegated_host"), Value::from(name));
        result.insert(Value::from(DELEGATED_VARS), Value::map(vars));
    }

    /// Gives `facts` to the host they belong to: `host` itself, or with `delegate_facts` the
    /// delegated host (handed over once every host has run the task).
    pub(crate) fn keep_facts(&self, host: &mut HostState, facts: &Map, delegate: Option<&str>) {
        // set_fact's values are the results of templating: never templated again.
        let facts: Map = facts
            .iter()
            .map(|(k, v)| (k.clone(), v.untrusted()))
            .collect();
        match delegate.filter(|_| self.truthy("delegate_facts", Some(host), None)) {
            Some(target) => host.delegated_facts.push((target.to_string(), facts)),
            None => host.set_facts.extend(facts),
        }
    }
}

/// Hands facts set with `delegate_facts` to their hosts among `hosts`.
pub(crate) fn deliver_facts(hosts: &mut [HostState]) {
    let parcels: Vec<(String, Map)> = hosts
        .iter_mut()
        .flat_map(|h| std::mem::take(&mut h.delegated_facts))
        .collect();
    for (target, facts) in parcels {
        if let Some(host) = hosts.iter_mut().find(|h| h.name == target) {
            host.set_facts.extend(facts);
        }
    }
}
