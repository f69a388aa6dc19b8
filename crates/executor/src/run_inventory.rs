//! The inventory as a run changes it: `add_host` and `group_by` add hosts, groups and host
//! variables in a small overlay on top of the loaded inventory (which stays as loaded). Later
//! plays select hosts, and tasks read `groups`, `group_names` and host variables, through it.

use std::sync::{PoisonError, RwLock};

use indexmap::IndexMap;
use oxible_inventory::{Inventory, InventoryError, Selection, split_host_pattern};
use oxible_yaml::{Map, Value};

/// The loaded inventory plus what the run added.
pub(crate) struct RunInventory<'a> {
    base: &'a Inventory,
    added: RwLock<Added>,
}

/// Hosts and group memberships added during the run.
#[derive(Default)]
struct Added {
    /// New hosts, with the variables `add_host` gave them.
    hosts: IndexMap<String, Map>,
    /// Groups and the hosts added to them, in the order they were added.
    groups: IndexMap<String, Vec<String>>,
}

impl<'a> RunInventory<'a> {
    /// The run's view of `base`, unchanged so far.
    pub fn new(base: &'a Inventory) -> Self {
        Self {
            base,
            added: RwLock::default(),
        }
    }

    fn added(&self) -> std::sync::RwLockReadGuard<'_, Added> {
        self.added.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// `add_host`: adds (or updates) `host` with `vars`, in `groups`.
    pub fn add_host(&self, host: &str, groups: &[String], vars: &Map) {
        let mut added = self.added.write().unwrap_or_else(PoisonError::into_inner);
        if self.base.host(host).is_none() || added.hosts.contains_key(host) {
            added
                .hosts
                .entry(host.to_string())
                .or_default()
                .extend(vars.clone());
        } else if !vars.is_empty() {
            added.hosts.insert(host.to_string(), vars.clone());
        }
        for group in groups {
            let members = added.groups.entry(group.clone()).or_default();
            if !members.iter().any(|m| m == host) {
                members.push(host.to_string());
            }
        }
    }

    /// The hosts `pattern` names, narrowed by `limit`, as [`Inventory::select`] with the
    /// run's additions.
    pub fn select(&self, pattern: &str, limit: Option<&str>) -> Result<Selection, InventoryError> {
        if !self.mentions_added(pattern) && limit.is_none_or(|l| !self.mentions_added(l)) {
            return self.base.select(pattern, limit);
        }
        let mut warnings = Vec::new();
        let mut hosts = self.evaluate(pattern, &mut warnings)?;
        if let Some(limit) = limit {
            let allowed = self.evaluate(limit, &mut warnings)?;
            hosts.retain(|h| allowed.contains(h));
        }
        Ok(Selection { hosts, warnings })
    }

    /// Whether `pattern` names a host or group the run added.
    fn mentions_added(&self, pattern: &str) -> bool {
        let added = self.added();
        split_host_pattern(pattern).iter().any(|term| {
            let name = term.trim_start_matches(['&', '!']);
            added.groups.contains_key(name) || added.hosts.contains_key(name)
        })
    }

    /// `pattern` term by term: added groups and hosts resolved here, the rest by the inventory.
    fn evaluate(
        &self,
        pattern: &str,
        warnings: &mut Vec<oxible_yaml::Diagnostic>,
    ) -> Result<Vec<String>, InventoryError> {
        let mut hosts: Vec<String> = Vec::new();
        for term in split_host_pattern(pattern) {
            let (op, name) = match term.chars().next() {
                Some(c @ ('&' | '!')) => (c, &term[1..]),
                _ => (' ', term.as_str()),
            };
            let matched = self.resolve(name, warnings)?;
            match op {
                '&' => hosts.retain(|h| matched.contains(h)),
                '!' => hosts.retain(|h| !matched.contains(h)),
                _ => {
                    for host in matched {
                        if !hosts.contains(&host) {
                            hosts.push(host);
                        }
                    }
                }
            }
        }
        Ok(hosts)
    }

    /// The hosts one pattern term names.
    fn resolve(
        &self,
        name: &str,
        warnings: &mut Vec<oxible_yaml::Diagnostic>,
    ) -> Result<Vec<String>, InventoryError> {
        let added = self.added();
        if let Some(members) = added.groups.get(name) {
            let mut hosts = self.base.group_hosts(name);
            hosts.extend(
                members
                    .iter()
                    .filter(|m| !hosts.contains(m))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            return Ok(hosts);
        }
        if added.hosts.contains_key(name) {
            return Ok(vec![name.to_string()]);
        }
        let mut selection = self.base.select(name, None)?;
        if name == "all" {
            selection.hosts.extend(
                added
                    .hosts
                    .keys()
                    .filter(|h| self.base.host(h).is_none())
                    .cloned(),
            );
        }
        warnings.append(&mut selection.warnings);
        Ok(selection.hosts)
    }

    /// `host`'s variables: the inventory's (for a new host, those of `all` and of its
    /// inventory groups), then what `add_host` gave it.
    pub fn host_vars(&self, host: &str) -> Option<Map> {
        let added = self.added();
        let base = self.base.host_vars(host);
        let own = added.hosts.get(host);
        if base.is_none() && own.is_none() {
            return None;
        }
        let mut vars = base.unwrap_or_else(|| {
            let mut vars = self.base.group_vars("all").unwrap_or_default();
            for (group, members) in &added.groups {
                if members.iter().any(|m| m == host) {
                    vars.extend(self.base.group_vars(group).unwrap_or_default());
                }
            }
            vars
        });
        if let Some(own) = own {
            vars.extend(own.clone());
        }
        Some(vars)
    }

    /// The `groups` magic variable, with the run's additions.
    pub fn groups_dict(&self) -> IndexMap<String, Vec<String>> {
        let added = self.added();
        let mut groups = self.base.groups_dict();
        let new_hosts: Vec<String> = added
            .hosts
            .keys()
            .filter(|h| self.base.host(h).is_none())
            .cloned()
            .collect();
        for (group, members) in &added.groups {
            let entry = groups.entry(group.clone()).or_default();
            entry.extend(
                members
                    .iter()
                    .filter(|m| !entry.contains(m))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        let all = groups.entry("all".to_string()).or_default();
        all.extend(
            new_hosts
                .iter()
                .filter(|h| !all.contains(h))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let ungrouped: Vec<String> = new_hosts
            .into_iter()
            .filter(|h| !added.groups.values().any(|members| members.contains(h)))
            .collect();
        if !ungrouped.is_empty() {
            groups
                .entry("ungrouped".to_string())
                .or_default()
                .extend(ungrouped);
        }
        groups
    }

    /// The `group_names` magic variable, with the run's additions, sorted.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let added = self.added();
        let mut names = self.base.group_names(host);
        for (group, members) in &added.groups {
            if members.iter().any(|m| m == host) && !names.contains(group) {
                names.push(group.clone());
            }
        }
        names.sort();
        names
    }
}

/// A value given as a list or a comma-separated string, as names.
pub(crate) fn name_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(v) => match v.as_seq() {
            Some(items) => items.iter().map(Value::py_str).collect(),
            None => v
                .py_str()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        },
        None => Vec::new(),
    }
}
