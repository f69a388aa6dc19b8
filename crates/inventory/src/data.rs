//! The inventory graph: hosts, groups and their relations, kept as Ansible's `InventoryData`,
//! `Group` and `Host` keep them (ansible/inventory/data.py, group.py, host.py).
//!
//! Order matters everywhere: groups and hosts keep the order they were first seen, because
//! `--list`, `--graph` and host patterns all report them in that order.

use std::path::PathBuf;

use indexmap::{IndexMap, IndexSet};
use oxible_yaml::{Diagnostic, Map, Value, ValueKind};

/// Names Ansible treats as the controller itself (`C.LOCALHOST`).
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// A group: its direct hosts, child and parent groups, own variables and priority.
#[derive(Clone, Debug)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Hosts listed directly in this group, in the order they were added.
    pub hosts: Vec<String>,
    /// Child groups, in the order they were added.
    pub children: Vec<String>,
    /// Parent groups, in the order they were added.
    pub parents: Vec<String>,
    /// Variables set on the group by inventory sources (not group_vars files).
    pub vars: Map,
    /// `ansible_group_priority` (default 1): orders groups of equal depth when merging vars.
    pub priority: i64,
}

/// A host: its own variables and the groups it was put in directly.
#[derive(Clone, Debug)]
pub struct Host {
    /// The inventory hostname.
    pub name: String,
    /// Variables set on the host by inventory sources (not host_vars files).
    pub vars: Map,
    /// Groups that list the host directly.
    pub direct_groups: Vec<String>,
    /// The inventory source the host was first seen in (`inventory_file`); `None` for hosts
    /// from `-i a,b` lists.
    pub source: Option<PathBuf>,
}

/// Why a change to the graph was refused (Ansible's `AnsibleError` messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A host or group named `""`.
    #[error("invalid empty {0} name")]
    EmptyName(&'static str),
    /// A relation to a group that does not exist.
    #[error("could not find group '{0}' in inventory")]
    UnknownGroup(String),
    /// `add_child` of something that is neither a group nor a host.
    #[error("'{0}' is not a known host nor group")]
    UnknownMember(String),
    /// A group made its own child or descendant.
    #[error("adding group '{child}' as child to '{parent}' creates a recursive dependency loop")]
    Loop {
        /// The group being added.
        child: String,
        /// The group it is added to.
        parent: String,
    },
    /// `ansible_group_priority` that is not an integer.
    #[error("ansible_group_priority must be an integer, got '{0}'")]
    Priority(String),
}

impl GraphError {
    /// What would be valid instead, for a diagnostic's help line.
    pub fn help(&self) -> String {
        match self {
            GraphError::EmptyName(what) => format!("give the {what} a non-empty name"),
            GraphError::UnknownGroup(g) => {
                format!(
                    "declare the group '{g}' before using it, e.g. with a [{g}] section or a '{g}:' key"
                )
            }
            GraphError::UnknownMember(m) => {
                format!("declare '{m}' as a host or a group before naming it as a child")
            }
            GraphError::Loop { child, parent } => format!(
                "remove '{child}' from the children of '{parent}': a group cannot contain itself or one of its ancestors"
            ),
            GraphError::Priority(_) => {
                "set ansible_group_priority to a whole number, e.g. ansible_group_priority=10"
                    .into()
            }
        }
    }
}

/// Hosts and groups of one inventory, with Ansible's invariants.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Groups by name, in the order first seen (`all` and `ungrouped` first).
    pub groups: IndexMap<String, Group>,
    /// Hosts by name, in the order first seen.
    pub hosts: IndexMap<String, Host>,
    /// The first localhost-like host of the inventory, if any.
    pub localhost: Option<String>,
    /// The source being parsed, recorded on hosts first seen in it.
    pub current_source: Option<PathBuf>,
}

impl Default for Graph {
    fn default() -> Self {
        let mut graph = Self {
            groups: IndexMap::new(),
            hosts: IndexMap::new(),
            localhost: None,
            current_source: None,
        };
        for name in ["all", "ungrouped"] {
            graph.groups.insert(name.into(), Group::new(name));
        }
        graph.link("all", "ungrouped");
        graph
    }
}

impl Group {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            vars: Map::new(),
            priority: 1,
        }
    }
}

impl Graph {
    /// Adds group `name` unless present (`InventoryData.add_group`).
    pub fn add_group(&mut self, name: &str) -> Result<(), GraphError> {
        if name.is_empty() {
            return Err(GraphError::EmptyName("group"));
        }
        if !self.groups.contains_key(name) {
            self.groups.insert(name.into(), Group::new(name));
        }
        Ok(())
    }

    /// Adds host `name` unless present, puts it in `group`, and sets `ansible_port` from
    /// `port` (`InventoryData.add_host`). Returns a warning for a second localhost-like host.
    pub fn add_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<u16>,
    ) -> Result<Option<String>, GraphError> {
        if name.is_empty() {
            return Err(GraphError::EmptyName("host"));
        }
        if let Some(g) = group
            && !self.groups.contains_key(g)
        {
            return Err(GraphError::UnknownGroup(g.into()));
        }
        let mut warning = None;
        if !self.hosts.contains_key(name) {
            let mut vars = Map::new();
            if let Some(port) = port {
                vars.insert(Value::from("ansible_port"), Value::from(i64::from(port)));
            }
            let host = Host {
                name: name.into(),
                vars,
                direct_groups: Vec::new(),
                source: self.current_source.clone(),
            };
            self.hosts.insert(name.into(), host);
            if LOCALHOST_NAMES.contains(&name) {
                match &self.localhost {
                    None => self.localhost = Some(name.into()),
                    Some(first) => {
                        warning = Some(format!(
                            "A duplicate localhost-like entry was found ({name}). First found localhost was {first}"
                        ))
                    }
                }
            }
        }
        if let Some(g) = group {
            self.put_host(g, name);
        }
        Ok(warning)
    }

    /// Makes `child` (a group or a host) a member of group `parent` (`InventoryData.add_child`).
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<(), GraphError> {
        if !self.groups.contains_key(parent) {
            return Err(GraphError::UnknownGroup(parent.into()));
        }
        if self.groups.contains_key(child) {
            if parent == child || self.ancestors(parent).contains(child) {
                return Err(GraphError::Loop {
                    child: child.into(),
                    parent: parent.into(),
                });
            }
            self.link(parent, child);
            Ok(())
        } else if self.hosts.contains_key(child) {
            self.put_host(parent, child);
            Ok(())
        } else {
            Err(GraphError::UnknownMember(child.into()))
        }
    }

    /// Sets a variable on the group or host named `entity` (groups win, as in Ansible).
    ///
    /// `ansible_group_priority` on a group sets its priority instead of a variable.
    pub fn set_variable(
        &mut self,
        entity: &str,
        key: &str,
        value: Value,
    ) -> Result<(), GraphError> {
        if let Some(group) = self.groups.get_mut(entity) {
            if key == "ansible_group_priority" {
                group.priority =
                    python_int(&value).ok_or_else(|| GraphError::Priority(format!("{value:?}")))?;
            } else {
                group.vars.insert(Value::from(key), value);
            }
            Ok(())
        } else if let Some(host) = self.hosts.get_mut(entity) {
            host.vars.insert(Value::from(key), value);
            Ok(())
        } else {
            Err(GraphError::UnknownMember(entity.into()))
        }
    }

    fn link(&mut self, parent: &str, child: &str) {
        if let Some(p) = self.groups.get_mut(parent)
            && !p.children.iter().any(|c| c == child)
        {
            p.children.push(child.into());
        }
        if let Some(c) = self.groups.get_mut(child)
            && !c.parents.iter().any(|p| p == parent)
        {
            c.parents.push(parent.into());
        }
    }

    fn put_host(&mut self, group: &str, host: &str) {
        if let Some(g) = self.groups.get_mut(group)
            && !g.hosts.iter().any(|h| h == host)
        {
            g.hosts.push(host.into());
            if let Some(h) = self.hosts.get_mut(host) {
                h.direct_groups.push(group.into());
            }
        }
    }

    fn remove_host_from(&mut self, group: &str, host: &str) {
        if let Some(g) = self.groups.get_mut(group) {
            g.hosts.retain(|h| h != host);
        }
        if let Some(h) = self.hosts.get_mut(host) {
            h.direct_groups.retain(|g| g != group);
        }
    }

    /// All ancestors of `group` (not itself).
    pub fn ancestors(&self, group: &str) -> IndexSet<String> {
        self.walk(group, |g| &g.parents)
    }

    /// All descendants of `group` (not itself), level by level, as `get_descendants` orders
    /// them when it preserves ordering.
    pub fn descendants(&self, group: &str) -> IndexSet<String> {
        self.walk(group, |g| &g.children)
    }

    fn walk(&self, start: &str, next: impl Fn(&Group) -> &Vec<String>) -> IndexSet<String> {
        let mut seen = IndexSet::new();
        let mut frontier = vec![start.to_string()];
        while !frontier.is_empty() {
            let mut new = Vec::new();
            for name in &frontier {
                for n in self.groups.get(name).map(&next).into_iter().flatten() {
                    if n != start && seen.insert(n.clone()) {
                        new.push(n.clone());
                    }
                }
            }
            frontier = new;
        }
        seen
    }

    /// The depth of `group`: 0 for `all`, else one more than its deepest parent.
    pub fn depth(&self, group: &str) -> usize {
        let mut memo = IndexMap::new();
        self.depth_memo(group, &mut memo)
    }

    fn depth_memo(&self, group: &str, memo: &mut IndexMap<String, usize>) -> usize {
        if let Some(d) = memo.get(group) {
            return *d;
        }
        let parents = self
            .groups
            .get(group)
            .map(|g| g.parents.clone())
            .unwrap_or_default();
        let d = parents
            .iter()
            .map(|p| self.depth_memo(p, memo) + 1)
            .max()
            .unwrap_or(0);
        memo.insert(group.into(), d);
        d
    }

    /// The hosts of `group` and its descendants, in Ansible's order (`Group.get_hosts`).
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut seen = IndexSet::new();
        let own = std::iter::once(group.to_string());
        for g in own.chain(self.descendants(group)) {
            for h in self
                .groups
                .get(&g)
                .map(|g| g.hosts.as_slice())
                .unwrap_or_default()
            {
                seen.insert(h.clone());
            }
        }
        seen.into_iter().collect()
    }

    /// Every group `host` belongs to, directly or through a child group, including `all`,
    /// in inventory order.
    pub fn host_groups(&self, host: &str) -> Vec<String> {
        let mut member: IndexSet<String> = IndexSet::new();
        for g in self
            .hosts
            .get(host)
            .map(|h| h.direct_groups.as_slice())
            .unwrap_or_default()
        {
            member.insert(g.clone());
            member.extend(self.ancestors(g));
        }
        self.groups
            .keys()
            .filter(|g| member.contains(*g))
            .cloned()
            .collect()
    }

    /// Applies Ansible's `reconcile_inventory`: parentless groups go under `all`, hosts in no
    /// group go to `ungrouped`, hosts in another group leave it. Returns warnings.
    pub fn reconcile(&mut self) -> Vec<Diagnostic> {
        let orphans: Vec<String> = self
            .groups
            .values()
            .filter(|g| g.name != "all" && g.parents.is_empty())
            .map(|g| g.name.clone())
            .collect();
        for g in orphans {
            self.link("all", &g);
        }
        let names: Vec<String> = self.hosts.keys().cloned().collect();
        for host in &names {
            let groups = self.host_groups(host);
            let others = groups.iter().any(|g| g != "all" && g != "ungrouped");
            if groups.iter().any(|g| g == "ungrouped") {
                if others {
                    self.remove_host_from("ungrouped", host);
                }
            } else if !others {
                self.put_host("ungrouped", host);
            }
        }
        names
            .iter()
            .filter(|h| self.groups.contains_key(*h))
            .map(|h| {
                Diagnostic::warning(
                    format!("Found both group and host with same name: {h}"),
                    None,
                )
            })
            .collect()
    }
}

/// Python's `int(value)` for `ansible_group_priority` (an int, or text holding one).
fn python_int(value: &Value) -> Option<i64> {
    match &value.kind {
        ValueKind::Int(i) => Some(*i),
        ValueKind::Bool(b) => Some(i64::from(*b)),
        ValueKind::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        ValueKind::Str(s) => crate::address::python_int_text(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_groups_and_reconcile() {
        let mut g = Graph::default();
        g.add_group("web").unwrap();
        g.add_group("front").unwrap();
        g.add_host("w1", Some("web"), Some(2222)).unwrap();
        g.add_host("f1", Some("front"), None).unwrap();
        g.add_host("solo", Some("ungrouped"), None).unwrap();
        g.add_host("w1", Some("ungrouped"), None).unwrap();
        g.add_child("web", "front").unwrap();
        assert!(matches!(
            g.add_child("front", "web"),
            Err(GraphError::Loop { .. })
        ));
        assert!(g.reconcile().is_empty());
        assert_eq!(g.groups["all"].children, ["ungrouped", "web"]);
        assert_eq!(g.groups["ungrouped"].hosts, ["solo"]);
        assert_eq!(g.group_hosts("all"), ["solo", "w1", "f1"]);
        assert_eq!(g.host_groups("f1"), ["all", "web", "front"]);
        assert_eq!(g.depth("front"), 2);
        assert_eq!(
            g.hosts["w1"].vars.get(&Value::from("ansible_port")),
            Some(&Value::from(2222))
        );
    }

    #[test]
    fn priority_is_not_a_variable() {
        let mut g = Graph::default();
        g.add_group("web").unwrap();
        g.set_variable("web", "ansible_group_priority", Value::from("5"))
            .unwrap();
        assert_eq!(g.groups["web"].priority, 5);
        assert!(g.groups["web"].vars.is_empty());
        assert!(g.set_variable("nope", "x", Value::null()).is_err());
    }
}
