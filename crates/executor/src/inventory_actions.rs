//! `add_host` and `group_by`: controller actions that change the run's inventory
//! ([`crate::run_inventory::RunInventory`]) for the plays and tasks that follow.

use oxible_yaml::{Map, Value};

use crate::events::Status;
use crate::run_inventory::name_list;
use crate::task::{Ran, TaskRun, failed};

/// `add_host`'s own arguments; every other argument becomes a host variable.
const ADD_HOST_ARGS: &[&str] = &["name", "host", "hostname", "groups", "group", "groupname"];

impl TaskRun<'_, '_> {
    /// `add_host`: a host (`name`, `host:port` sets `ansible_port`) in `groups`, with the
    /// other arguments as its variables.
    pub(crate) fn add_host(&self, args: &Map) -> Ran {
        let arg = |keys: &[&str]| keys.iter().find_map(|k| args.get(&Value::from(*k)));
        let Some(name) = arg(&["name", "host", "hostname"]).map(Value::py_str) else {
            return failed("name is required");
        };
        let groups = name_list(arg(&["groups", "group", "groupname"]));
        let mut vars: Map = args
            .iter()
            .filter(|(k, _)| !k.as_str().is_some_and(|k| ADD_HOST_ARGS.contains(&k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let name = match name.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => {
                vars.insert(Value::from("ansible_port"), Value::from(port));
                host.to_string()
            }
            _ => name,
        };
        self.play.inventory.add_host(&name, &groups, &vars);
        let mut added = Map::new();
        added.insert(Value::from("host_name"), Value::from(name.as_str()));
        let group_values = groups.iter().map(|g| Value::from(g.as_str())).collect();
        added.insert(Value::from("groups"), Value::seq(group_values));
        added.insert(Value::from("host_vars"), Value::map(vars));
        changed(&[("add_host", Value::map(added))])
    }

    /// `group_by`: puts `host` in the group `key` (spaces become dashes).
    pub(crate) fn group_by(&self, args: &Map, host: &str) -> Ran {
        let Some(key) = args.get(&Value::from("key")).map(Value::py_str) else {
            return failed("the 'key' param is required when using group_by");
        };
        let group = key.replace(' ', "-");
        let mut parents = name_list(args.get(&Value::from("parents")));
        if parents.is_empty() {
            parents.push("all".to_string());
        }
        self.play
            .inventory
            .add_host(host, std::slice::from_ref(&group), &Map::new());
        let parent_values = parents.iter().map(|p| Value::from(p.as_str())).collect();
        changed(&[
            ("add_group", Value::from(group)),
            ("parent_groups", Value::seq(parent_values)),
        ])
    }
}

/// A changed result with `fields`.
fn changed(fields: &[(&str, Value)]) -> Ran {
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(true));
    for (key, value) in fields {
        result.insert(Value::from(*key), value.clone());
    }
    Ran {
        status: Status::Changed,
        result,
    }
}
