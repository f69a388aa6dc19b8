//! The [`Inventory`]: sources loaded into one graph, plus the vars directories beside them,
//! queried by host pattern and merged into per-host variables with Ansible's precedence.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use oxible_yaml::{Diagnostic, Map, Source, Span, Value};

use crate::data::{Graph, Group, Host, LOCALHOST_NAMES};
use crate::error::InventoryError;
use crate::pattern::{dedup, evaluate, split_host_pattern};
use crate::vars_dirs::{Kind, VarsDir};
use crate::{address, ini, yaml_source};

/// File names an inventory directory skips (`IGNORED_ALWAYS` and `INVENTORY_IGNORE_EXTS`).
const IGNORED_NAMES: [&str; 3] = ["host_vars", "group_vars", "vars_plugins"];
const IGNORED_EXTS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];
/// Ansible's default inventory, about which it stays quiet when missing.
const DEFAULT_SOURCE: &str = "/etc/ansible/hosts";
/// The interpreter set on the implicit localhost (Ansible uses its own `sys.executable`).
const IMPLICIT_PYTHON: &str = "/usr/bin/python3";

/// Magic variable names `ansible-inventory` removes from what it prints
/// (`C.INTERNAL_STATIC_VARS`): Ansible computes them, so inventory values for them are ignored.
pub const INTERNAL_VARS: [&str; 33] = [
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "group_names",
    "groups",
    "hostvars",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "play_hosts",
    "playbook_dir",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
];

/// Hosts, groups and their variables, loaded from inventory sources as Ansible loads them.
#[derive(Clone, Debug)]
pub struct Inventory {
    graph: Graph,
    sources: Vec<String>,
    inventory_vars: Vec<VarsDir>,
    playbook_vars: Vec<VarsDir>,
    parsed: bool,
}

/// A loaded inventory and the warnings loading it produced (Ansible prints them and goes on).
#[derive(Debug)]
pub struct Loaded {
    /// The inventory.
    pub inventory: Inventory,
    /// Sources that could not be parsed, skipped YAML keys, suspicious group names…
    pub warnings: Vec<Diagnostic>,
}

/// The hosts a pattern selects, in Ansible's order, and warnings for parts matching nothing.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Host names, in the order Ansible runs them.
    pub hosts: Vec<String>,
    /// "Could not match supplied host pattern" warnings.
    pub warnings: Vec<Diagnostic>,
}

impl Inventory {
    fn empty(sources: &[String]) -> Self {
        Self {
            graph: Graph::default(),
            sources: sources.to_vec(),
            inventory_vars: Vec::new(),
            playbook_vars: Vec::new(),
            parsed: false,
        }
    }

    /// Loads inventory sources as given to `-i`: files, directories, or `a,b,` host lists
    /// (a source holding a comma that is not an existing path). The CLI passes ansible.cfg's
    /// default when there is no `-i`.
    ///
    /// Like `ansible-inventory`, a source that cannot be parsed is skipped with a warning
    /// (naming file:line:col) and the others are kept; when none parses, the inventory holds
    /// only the implicit localhost. Errors are for unreadable or invalid group_vars/host_vars.
    pub fn load(sources: &[String]) -> Result<Loaded, InventoryError> {
        let mut inv = Self::empty(sources);
        let mut warnings = Vec::new();
        for source in sources.iter().filter(|s| !s.is_empty()) {
            let parsed = inv.load_source(source, &mut warnings)?;
            inv.parsed |= parsed;
        }
        inv.finish(&mut warnings)?;
        Ok(Loaded {
            inventory: inv,
            warnings: dedup_warnings(warnings),
        })
    }

    /// Parses INI inventory text without touching the file system (for tests and fuzzing);
    /// `name` is shown in diagnostics.
    pub fn from_ini_text(name: &str, text: &str) -> Result<Loaded, InventoryError> {
        let mut inv = Self::empty(&[]);
        let mut warnings = ini::parse(&mut inv.graph, &Source::new(name, text))?;
        inv.parsed = true;
        warnings.extend(inv.graph.reconcile());
        Ok(Loaded {
            inventory: inv,
            warnings: dedup_warnings(warnings),
        })
    }

    fn finish(&mut self, warnings: &mut Vec<Diagnostic>) -> Result<(), InventoryError> {
        if self.parsed {
            warnings.extend(self.graph.reconcile());
        } else {
            warnings.push(Diagnostic::warning(
                "No inventory was parsed, only implicit localhost is available",
                None,
            ));
        }
        let mut bases: Vec<PathBuf> = Vec::new();
        for source in &self.sources {
            let path = Path::new(source);
            if is_host_list(source) {
                continue;
            }
            let base = if path.is_dir() {
                path.to_path_buf()
            } else {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let base = absolute(&base);
            if !bases.contains(&base) {
                bases.push(base);
            }
        }
        for base in bases {
            let dir = VarsDir::load(&base, self.entities(), warnings)?;
            self.inventory_vars.push(dir);
        }
        Ok(())
    }

    fn entities(&self) -> Vec<(Kind, &str)> {
        let groups = self.graph.groups.keys().map(|g| (Kind::Group, g.as_str()));
        let hosts = self.graph.hosts.keys().map(|h| (Kind::Host, h.as_str()));
        groups.chain(hosts).collect()
    }

    /// Loads one source; `Ok(false)` when it could not be parsed (warnings say why).
    fn load_source(
        &mut self,
        source: &str,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<bool, InventoryError> {
        let path = Path::new(source);
        if is_host_list(source) {
            return Ok(self.load_host_list(source, warnings));
        }
        if path.is_dir() {
            let io = |e| InventoryError::Io {
                path: source.to_string(),
                source: e,
            };
            let mut names: Vec<String> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect();
            names.sort();
            let mut parsed = false;
            for name in names.iter().filter(|n| !is_ignored(n)) {
                let child = path.join(name).to_string_lossy().into_owned();
                parsed |= self.load_source(&child, warnings)?;
            }
            return Ok(parsed);
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                if source != DEFAULT_SOURCE || path.exists() {
                    warnings.push(
                        Diagnostic::warning(format!("Unable to parse {source} as an inventory source"), None)
                            .with_help(format!("{e}: give an existing file, a directory, or a comma-separated host list like 'host1,host2,'")),
                    );
                }
                return Ok(false);
            }
        };
        let src = Source::new(path, text);
        let mut candidate = self.graph.clone();
        candidate.current_source = Some(absolute(path));
        match parse_file(&mut candidate, &src) {
            Ok(w) => {
                warnings.extend(w);
                candidate.current_source = None;
                self.graph = candidate;
                Ok(true)
            }
            Err(failures) => {
                warnings.extend(failures);
                warnings.push(Diagnostic::warning(
                    format!("Unable to parse {source} as an inventory source"),
                    None,
                ));
                Ok(false)
            }
        }
    }

    /// `-i host1,host2:2222,` (the `host_list` plugin): hosts go to `ungrouped`.
    fn load_host_list(&mut self, list: &str, warnings: &mut Vec<Diagnostic>) -> bool {
        for h in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let (host, port) =
                address::parse_address(h, false).unwrap_or_else(|| (h.to_string(), None));
            if self.graph.hosts.contains_key(&host) {
                continue;
            }
            match self.graph.add_host(&host, Some("ungrouped"), port) {
                Ok(w) => warnings.extend(w.map(|w| Diagnostic::warning(w, None))),
                Err(e) => {
                    warnings.push(Diagnostic::warning(
                        format!("Unable to parse {list} as an inventory source: {e}"),
                        None,
                    ));
                    return false;
                }
            }
        }
        true
    }

    /// Adds the `group_vars/` and `host_vars/` beside a playbook (`dir` is the playbook's
    /// directory); they override the inventory's own vars directories, as in Ansible.
    /// Returns the warnings of reading them (skipped files, unknown names) for the caller to
    /// print.
    pub fn add_playbook_dir(&mut self, dir: &Path) -> Result<Vec<Diagnostic>, InventoryError> {
        let base = absolute(dir);
        let mut warnings = Vec::new();
        if self.playbook_vars.iter().any(|d| d.base == base) {
            return Ok(warnings);
        }
        let loaded = VarsDir::load(&base, self.entities(), &mut warnings)?;
        self.playbook_vars.push(loaded);
        Ok(warnings)
    }

    /// The hosts `pattern` selects, restricted by `limit` (same syntax; `@file` reads one
    /// pattern per line), in Ansible's order (`InventoryManager.get_hosts` with a subset).
    pub fn select(&self, pattern: &str, limit: Option<&str>) -> Result<Selection, InventoryError> {
        let mut warnings = Vec::new();
        let mut hosts = evaluate(&self.graph, &split_host_pattern(pattern), &mut warnings)?;
        if let Some(limit) = limit {
            let subset = limit_patterns(limit)?;
            let allowed = evaluate(&self.graph, &subset, &mut warnings)?;
            hosts.retain(|h| allowed.contains(h));
        }
        Ok(Selection {
            hosts: dedup(hosts),
            warnings: dedup_warnings(warnings),
        })
    }

    /// Whether any source was parsed (else only the implicit localhost exists).
    pub fn parsed_any(&self) -> bool {
        self.parsed
    }

    /// The sources as given to [`Inventory::load`] (`ansible_inventory_sources`).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// All groups, in the order first seen (`all` and `ungrouped` first).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.graph.groups.values()
    }

    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.graph.groups.get(name)
    }

    /// All hosts, in the order first seen (without the implicit localhost).
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.graph.hosts.values()
    }

    /// The host named `name` (not the implicit localhost).
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.graph.hosts.get(name)
    }

    /// The hosts of `group` and its descendants, in Ansible's order.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        self.graph.group_hosts(group)
    }

    /// The `groups` magic variable: every group with its hosts (`get_groups_dict`).
    pub fn groups_dict(&self) -> IndexMap<String, Vec<String>> {
        self.graph
            .groups
            .keys()
            .map(|g| (g.clone(), self.graph.group_hosts(g)))
            .collect()
    }

    /// The `group_names` magic variable: the host's groups except `all`, sorted.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .graph
            .host_groups(host)
            .into_iter()
            .filter(|g| g != "all")
            .collect();
        names.sort();
        names
    }

    /// The variables of `host` merged with Ansible's precedence (lowest first): `all`'s
    /// inventory vars, other groups' inventory vars (by depth, priority, name), `all`'s
    /// group_vars files beside inventories then playbooks, other groups' group_vars files
    /// beside inventories then playbooks, the host's inventory vars, its host_vars files
    /// beside inventories then playbooks. `None` for an unknown host; the implicit localhost
    /// gets `ansible_connection: local`.
    pub fn host_vars(&self, host: &str) -> Option<Map> {
        let implicit = !self.graph.hosts.contains_key(host);
        if implicit && !LOCALHOST_NAMES.contains(&host) {
            return None;
        }
        let mut groups: Vec<&Group> = self
            .graph
            .host_groups(host)
            .iter()
            .filter(|g| *g != "all")
            .filter_map(|g| self.graph.groups.get(g))
            .collect();
        groups.sort_by_cached_key(|g| {
            let g: &Group = g;
            (self.graph.depth(&g.name), g.priority, g.name.clone())
        });
        let mut vars = self
            .group("all")
            .map(|g| g.vars.clone())
            .unwrap_or_default();
        for g in &groups {
            vars.extend(g.vars.clone());
        }
        let files = |dirs: &[VarsDir], kind: Kind, name: &str, vars: &mut Map| {
            for dir in dirs {
                vars.extend(dir.get(kind, name).cloned().unwrap_or_default());
            }
        };
        files(&self.inventory_vars, Kind::Group, "all", &mut vars);
        files(&self.playbook_vars, Kind::Group, "all", &mut vars);
        for dirs in [&self.inventory_vars, &self.playbook_vars] {
            for dir in dirs.iter() {
                for g in &groups {
                    vars.extend(dir.get(Kind::Group, &g.name).cloned().unwrap_or_default());
                }
            }
        }
        match self.graph.hosts.get(host) {
            Some(h) => vars.extend(h.vars.clone()),
            None => {
                vars.insert(
                    Value::from("ansible_python_interpreter"),
                    Value::from(IMPLICIT_PYTHON),
                );
                vars.insert(Value::from("ansible_connection"), Value::from("local"));
            }
        }
        files(&self.inventory_vars, Kind::Host, host, &mut vars);
        files(&self.playbook_vars, Kind::Host, host, &mut vars);
        Some(vars)
    }

    /// The variables of `group` as `ansible-inventory --graph --vars` shows them: its
    /// inventory vars, then its group_vars files beside inventories and playbooks.
    pub fn group_vars(&self, group: &str) -> Option<Map> {
        let mut vars = self.graph.groups.get(group)?.vars.clone();
        for dir in self.inventory_vars.iter().chain(&self.playbook_vars) {
            vars.extend(dir.get(Kind::Group, group).cloned().unwrap_or_default());
        }
        Some(vars)
    }
}

/// Tries the YAML reader (for files with no extension or .yml/.yaml/.json), then the INI one,
/// as Ansible's plugin chain does; on failure returns why each reader refused the file.
fn parse_file(graph: &mut Graph, src: &Arc<Source>) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let ext = src
        .path()
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase());
    let mut failures = Vec::new();
    if matches!(ext.as_deref(), None | Some("yml" | "yaml" | "json")) {
        let mut candidate = graph.clone();
        match yaml_source::parse(&mut candidate, src) {
            Ok(w) => {
                *graph = candidate;
                return Ok(w);
            }
            Err(yaml_source::NotYaml::Invalid(d)) => failures.push(*d),
            Err(yaml_source::NotYaml::Format(d)) if ext.is_some() => failures.push(*d),
            Err(yaml_source::NotYaml::Format(_)) => {}
        }
    }
    if ext.as_deref() == Some("toml") {
        failures.push(
            Diagnostic::warning(
                "TOML inventories are not supported by oxible",
                Some(Span::new(Arc::clone(src), 1, 1)),
            )
            .with_help("convert the inventory to INI or YAML"),
        );
        return Err(failures);
    }
    match ini::parse(graph, src) {
        Ok(w) => Ok(w),
        Err(d) => {
            failures.push(d);
            Err(failures.into_iter().map(as_warning).collect())
        }
    }
}

/// The same diagnostic reported as a warning (Ansible's `error_as_warning`).
/// Whether `-i source` is a comma-separated host list rather than a path (the `host_list`
/// plugin's test: a comma, and no such file).
fn is_host_list(source: &str) -> bool {
    source.contains(',') && !Path::new(source).exists()
}

fn as_warning(mut d: Diagnostic) -> Diagnostic {
    d.severity = oxible_yaml::Severity::Warning;
    d
}

/// Whether a directory entry is skipped when reading an inventory directory.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || IGNORED_NAMES.contains(&name)
        || IGNORED_EXTS.iter().any(|e| name.ends_with(e))
}

/// `--limit` patterns, with `@file` entries replaced by the file's lines (`subset`).
fn limit_patterns(limit: &str) -> Result<Vec<String>, InventoryError> {
    let mut out = Vec::new();
    for p in split_host_pattern(limit) {
        let Some(file) = p.strip_prefix('@') else {
            out.push(p);
            continue;
        };
        let path = Path::new(file);
        if !path.exists() {
            return Err(InventoryError::LimitFile(format!(
                "Unable to find limit file {file}"
            )));
        }
        if !path.is_file() {
            return Err(InventoryError::LimitFile(format!(
                "Limit starting with \"@\" must be a file, not a directory: {file}"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Io {
            path: file.into(),
            source,
        })?;
        out.extend(
            text.split('\n')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    Ok(out)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Drops repeated warnings (Ansible's display shows each warning once).
fn dedup_warnings(warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = std::collections::HashSet::new();
    warnings
        .into_iter()
        .filter(|w| seen.insert(w.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(text: &str) -> Inventory {
        Inventory::from_ini_text("hosts", text).unwrap().inventory
    }

    #[test]
    fn patterns_select_in_ansible_order() {
        let i = inv("solo\n[web]\nw[1:3]\n[db]\nw1\nd1\n[prod:children]\nweb\ndb\n");
        let sel = |p: &str| i.select(p, None).unwrap().hosts;
        assert_eq!(sel("all"), ["solo", "w1", "w2", "w3", "d1"]);
        assert_eq!(sel("prod"), ["w1", "w2", "w3", "d1"]);
        assert_eq!(sel("web:&db"), ["w1"]);
        assert_eq!(sel("prod:!db"), ["w2", "w3"]);
        assert_eq!(sel("!db"), ["solo", "w2", "w3"]);
        assert_eq!(sel("~w[23]"), ["w2", "w3"]);
        assert_eq!(sel("web[-1]"), ["w3"]);
        assert_eq!(sel("web[0:1]"), ["w1", "w2"]);
        assert_eq!(sel("localhost"), ["localhost"]);
        assert_eq!(
            i.select("all", Some("web,solo")).unwrap().hosts,
            ["solo", "w1", "w2", "w3"]
        );
        let miss = i.select("nope:web[0]", None).unwrap();
        assert_eq!(miss.hosts, ["w1"]);
        assert!(
            miss.warnings[0]
                .message
                .contains("Could not match supplied host pattern, ignoring: nope")
        );
        assert!(matches!(
            i.select("web[9]", None),
            Err(InventoryError::Pattern(_))
        ));
        assert!(matches!(
            i.select("~(", None),
            Err(InventoryError::Pattern(_))
        ));
        assert!(matches!(
            i.select("all", Some("@/nonexistent/limit")),
            Err(InventoryError::LimitFile(_))
        ));
    }

    #[test]
    fn vars_precedence_and_magic() {
        let i = inv(
            "[web]\nw1 x=host\nw2\n[web:vars]\nx=web\ny=web\n[all:vars]\nx=all\nz=all\n[prod:children]\nweb\n[prod:vars]\ny=prod\n",
        );
        let v = i.host_vars("w2").unwrap();
        assert_eq!(v.get(&Value::from("x")), Some(&Value::from("web")));
        assert_eq!(v.get(&Value::from("y")), Some(&Value::from("web")));
        assert_eq!(v.get(&Value::from("z")), Some(&Value::from("all")));
        assert_eq!(
            i.host_vars("w1").unwrap().get(&Value::from("x")),
            Some(&Value::from("host"))
        );
        assert_eq!(i.group_names("w1"), ["prod", "web"]);
        assert_eq!(i.groups_dict()["all"], ["w1", "w2"]);
        let local = i.host_vars("localhost").unwrap();
        assert_eq!(
            local.get(&Value::from("ansible_connection")),
            Some(&Value::from("local"))
        );
        assert!(i.host_vars("nope").is_none());
    }

    #[test]
    fn playbook_dir_warnings_are_returned() {
        let dir = std::env::temp_dir().join(format!("oxible-playbook-dir-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("group_vars")).unwrap();
        std::fs::write(dir.join("group_vars/all.yml"), "a: 1\na: 2\n").unwrap();
        std::fs::write(dir.join("host_vars"), "not a directory").unwrap();
        let mut i = inv("[web]\nh1\n");
        let warnings = i.add_playbook_dir(&dir).unwrap();
        let text: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            text.iter().any(|w| w.contains("duplicate mapping key 'a'")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|w| w.contains("host_vars that is not a directory")),
            "{text:?}"
        );
        assert_eq!(
            i.host_vars("h1").unwrap().get(&Value::from("a")),
            Some(&Value::from(2))
        );
        // The same directory again is not re-read.
        assert!(i.add_playbook_dir(&dir).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn host_lists_need_a_comma_and_no_such_file() {
        assert!(is_host_list("a,b"));
        assert!(!is_host_list("hosts.ini"));
        assert!(!is_host_list(env!("CARGO_MANIFEST_DIR")));
    }

    #[test]
    fn failed_sources_are_skipped_with_a_warning() {
        let loaded = Inventory::load(&["/nonexistent/oxible/inventory".into()]).unwrap();
        assert!(!loaded.inventory.parsed_any());
        let text: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
        assert!(
            text.iter()
                .any(|w| w.contains("Unable to parse /nonexistent/oxible/inventory")),
            "{text:?}"
        );
        let loaded = Inventory::load(&["a,b:2222,".into()]).unwrap();
        assert_eq!(
            loaded.inventory.group("ungrouped").unwrap().hosts,
            ["a", "b"]
        );
    }
}
