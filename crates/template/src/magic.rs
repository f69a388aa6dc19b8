//! Magic variables: the names Ansible defines for every task without anyone writing them
//! (`inventory_hostname`, `groups`, `hostvars`, `omit`, `ansible_check_mode` …).
//!
//! [`MagicVars`] gathers what the executor knows about the play and host and turns it into the
//! [`crate::VarSource::Magic`] layer of a [`crate::Scope`]; `hostvars`, which must be lazy
//! (one host's variables are only templated when read), is the [`HostVars`] object.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as Jinja};
use oxible_yaml::{Map, Value};

use crate::scope::Scope;

/// The ansible-core version whose behaviour oxible reproduces, as `ansible_version` reports it.
pub const ANSIBLE_VERSION: (u32, u32, u32) = (2, 19, 14);

/// The default `ansible_managed` text of ansible-core 2.19.
pub const ANSIBLE_MANAGED: &str = "Ansible managed";

/// The placeholder `omit` expands to; a module parameter equal to it is dropped.
///
/// Ansible adds a random suffix per run; a fixed one is enough for oxible, which compares the
/// templated value with this constant only.
pub const OMIT: &str = "__omit_place_holder__oxible";

/// What the executor knows about the play and host, as magic variables.
#[derive(Debug, Clone, Default)]
pub struct MagicVars {
    /// `inventory_hostname` (and `inventory_hostname_short`, up to the first dot).
    pub inventory_hostname: String,
    /// `groups`: every group with its hosts.
    pub groups: IndexMap<String, Vec<String>>,
    /// `group_names`: the host's groups, sorted, without `all` and `ungrouped`.
    pub group_names: Vec<String>,
    /// `ansible_play_hosts_all`: every host of the play, all batches.
    pub play_hosts_all: Vec<String>,
    /// `ansible_play_hosts`/`play_hosts`: the play's hosts in the current batch.
    pub play_hosts: Vec<String>,
    /// `ansible_play_batch`: the hosts of the current `serial` batch.
    pub play_batch: Vec<String>,
    /// `playbook_dir`: the directory of the playbook being run.
    pub playbook_dir: String,
    /// `inventory_dir` and `inventory_file`: where the host was defined, when known.
    pub inventory_file: Option<String>,
    /// `role_name` and `role_path`, inside a role.
    pub role: Option<(String, String)>,
    /// `ansible_check_mode` (`--check`).
    pub check_mode: bool,
    /// `ansible_diff_mode` (`--diff`).
    pub diff_mode: bool,
    /// `ansible_run_tags` (`--tags`, `all` when none).
    pub run_tags: Vec<String>,
    /// `ansible_skip_tags` (`--skip-tags`).
    pub skip_tags: Vec<String>,
}

impl MagicVars {
    /// The magic variables as a layer for [`crate::VarSource::Magic`].
    pub fn to_map(&self) -> Map {
        let mut map = Map::new();
        let mut set = |name: &str, value: Value| {
            map.insert(Value::from(name), value);
        };
        let strings =
            |items: &[String]| Value::seq(items.iter().map(|s| Value::from(s.as_str())).collect());
        set(
            "inventory_hostname",
            Value::from(self.inventory_hostname.as_str()),
        );
        let short = self
            .inventory_hostname
            .split('.')
            .next()
            .unwrap_or_default();
        set("inventory_hostname_short", Value::from(short));
        let groups = self
            .groups
            .iter()
            .map(|(g, hosts)| (Value::from(g.as_str()), strings(hosts)))
            .collect();
        set("groups", Value::map(groups));
        set("group_names", strings(&self.group_names));
        set("ansible_play_hosts_all", strings(&self.play_hosts_all));
        for name in ["ansible_play_hosts", "play_hosts"] {
            set(name, strings(&self.play_hosts));
        }
        set("ansible_play_batch", strings(&self.play_batch));
        set("playbook_dir", Value::from(self.playbook_dir.as_str()));
        if let Some(file) = &self.inventory_file {
            let dir = std::path::Path::new(file)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            set("inventory_file", Value::from(file.as_str()));
            set("inventory_dir", Value::from(dir));
        }
        if let Some((name, path)) = &self.role {
            set("role_name", Value::from(name.as_str()));
            set("role_path", Value::from(path.as_str()));
        }
        set("ansible_check_mode", Value::from(self.check_mode));
        set("ansible_diff_mode", Value::from(self.diff_mode));
        let run_tags = if self.run_tags.is_empty() {
            vec!["all".to_string()]
        } else {
            self.run_tags.clone()
        };
        set("ansible_run_tags", strings(&run_tags));
        set("ansible_skip_tags", strings(&self.skip_tags));
        set("ansible_version", ansible_version());
        set("ansible_managed", Value::from(ANSIBLE_MANAGED));
        set("omit", Value::from(OMIT));
        map
    }
}

/// `ansible_version` as ansible-core reports it.
fn ansible_version() -> Value {
    let (major, minor, revision) = ANSIBLE_VERSION;
    let full = format!("{major}.{minor}.{revision}");
    let mut map = Map::new();
    map.insert(Value::from("full"), Value::from(full.as_str()));
    map.insert(Value::from("major"), Value::from(i64::from(major)));
    map.insert(Value::from("minor"), Value::from(i64::from(minor)));
    map.insert(Value::from("revision"), Value::from(i64::from(revision)));
    map.insert(Value::from("string"), Value::from(full.as_str()));
    Value::map(map)
}

/// Gives `hostvars` one host's variables on demand.
pub trait HostScopes: Send + Sync + std::fmt::Debug {
    /// Every host `hostvars` knows, in inventory order.
    fn host_names(&self) -> Vec<String>;
    /// The variables of `host`, or `None` if it is not in the inventory.
    fn scope(&self, host: &str) -> Option<Arc<Scope>>;
}

/// The lazy `hostvars` mapping: `hostvars['web1'].x` templates web1's `x` only when read.
#[derive(Debug)]
pub struct HostVars(pub Arc<dyn HostScopes>);

impl Object for HostVars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Jinja) -> Option<Jinja> {
        self.0.scope(key.as_str()?).map(Jinja::from_dyn_object)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.host_names().into_iter().map(Jinja::from).collect())
    }
}

/// Module arguments without those whose templated value is `omit`, as Ansible drops them.
pub fn without_omitted(args: &Map) -> Map {
    args.iter()
        .filter(|(_, v)| v.as_str() != Some(OMIT))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Templar, VarSource};

    #[derive(Debug)]
    struct TwoHosts(Templar);

    impl HostScopes for TwoHosts {
        fn host_names(&self) -> Vec<String> {
            vec!["web1.example.org".into(), "db1".into()]
        }

        fn scope(&self, host: &str) -> Option<Arc<Scope>> {
            let port = match host {
                "web1.example.org" => 80,
                "db1" => 5432,
                _ => return None,
            };
            let mut vars = Map::new();
            vars.insert(Value::from("port"), Value::from(port));
            vars.insert(
                Value::from("url"),
                Value::from("{{ inventory_hostname }}:{{ port }}"),
            );
            let magic = MagicVars {
                inventory_hostname: host.into(),
                ..MagicVars::default()
            };
            let mut scope = Scope::new(&self.0);
            scope.push(VarSource::Inventory, Arc::new(vars));
            scope.push(VarSource::Magic, Arc::new(magic.to_map()));
            Some(scope.into_shared())
        }
    }

    fn scope_for(templar: &Templar, host: &str) -> Arc<Scope> {
        let hosts = TwoHosts(templar.clone());
        let mut scope = Arc::try_unwrap(hosts.scope(host).expect("known host")).expect("unshared");
        let mut magic = MagicVars {
            inventory_hostname: host.into(),
            ..MagicVars::default()
        };
        magic
            .groups
            .insert("web".into(), vec!["web1.example.org".into()]);
        scope.push(VarSource::Magic, Arc::new(magic.to_map()));
        scope.set_object("hostvars", Jinja::from_object(HostVars(Arc::new(hosts))));
        scope.into_shared()
    }

    #[test]
    fn magic_variables_and_lazy_hostvars() {
        let templar = Templar::new();
        let scope = scope_for(&templar, "web1.example.org");
        let render = |t: &str| templar.template_str(t, &scope).expect("templates");
        assert_eq!(
            render("{{ inventory_hostname_short }}"),
            Value::from("web1")
        );
        assert_eq!(render("{{ hostvars['db1'].url }}"), Value::from("db1:5432"));
        assert_eq!(
            render("{{ hostvars | list }}"),
            Value::seq(vec!["web1.example.org".into(), "db1".into()])
        );
        assert_eq!(render("{{ groups.web | length }}"), Value::from(1));
        assert_eq!(render("{{ ansible_version.full }}"), Value::from("2.19.14"));
        assert_eq!(
            render("{{ ansible_run_tags }}"),
            Value::seq(vec!["all".into()])
        );
        assert!(
            templar
                .template_str("{{ hostvars['nope'].url }}", &scope)
                .is_err()
        );
    }

    #[test]
    fn omitted_arguments_are_dropped() {
        let templar = Templar::new();
        let scope = scope_for(&templar, "db1");
        let mut args = Map::new();
        args.insert(Value::from("path"), Value::from("/etc/x"));
        args.insert(
            Value::from("mode"),
            Value::from("{{ undefined_mode | default(omit) }}"),
        );
        let templated = templar
            .template(&Value::map(args), &scope)
            .expect("templates");
        let kept = without_omitted(templated.as_map().expect("dict"));
        assert_eq!(
            kept.keys().map(Value::py_str).collect::<Vec<_>>(),
            vec!["path"]
        );
    }
}
