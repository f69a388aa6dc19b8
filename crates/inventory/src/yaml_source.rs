//! YAML (and JSON) inventory files, read as Ansible's `yaml` inventory plugin reads them
//! (ansible/plugins/inventory/yaml.py).
//!
//! ```yaml
//! all:
//!   hosts: {solo: }
//!   vars: {ntp: time.example.com}
//!   children:
//!     web:
//!       hosts:
//!         web[01:03]: {http_port: 80}
//! ```
//! Top-level keys are groups; each group may hold `hosts`, `vars` and `children` mappings
//! (a single string stands for a one-key mapping). Other keys and non-mapping groups are
//! skipped with Ansible's warnings.

use std::sync::Arc;

use oxible_yaml::{Diagnostic, Map, Source, Span, Value, ValueKind, load_source};

use crate::address::{expand_hostname_range, parse_address};
use crate::data::{Graph, GraphError};

/// Why a file is not a YAML inventory; Ansible then lets the next plugin (INI) try.
#[derive(Debug)]
pub enum NotYaml {
    /// The text is not YAML, or not a mapping: another format may read it.
    Format(Box<Diagnostic>),
    /// The text is a YAML inventory with an error in it.
    Invalid(Box<Diagnostic>),
}

/// The most groups, hosts and variables one file may walk. Aliases (`*name`) make the walk
/// revisit their subtree at each use, as Ansible does; nested aliases (a "billion laughs"
/// document) would otherwise take exponential time.
const MAX_ENTRIES: usize = 10_000_000;

/// Parses YAML inventory text into `graph`, returning warnings.
pub fn parse(graph: &mut Graph, source: &Arc<Source>) -> Result<Vec<Diagnostic>, NotYaml> {
    parse_bounded(graph, source, MAX_ENTRIES)
}

/// [`parse`], walking at most `budget` entries.
fn parse_bounded(
    graph: &mut Graph,
    source: &Arc<Source>,
    budget: usize,
) -> Result<Vec<Diagnostic>, NotYaml> {
    let whole = |message: &str| {
        Box::new(
            Diagnostic::error(message, Some(Span::new(Arc::clone(source), 1, 1))).with_help(
                "a YAML inventory is a mapping of group names, e.g. all: {hosts: {web1: }}",
            ),
        )
    };
    let loaded = load_source(Arc::clone(source)).map_err(|e| match e.diagnostic() {
        Some(d) => NotYaml::Format(Box::new(d.clone())),
        None => NotYaml::Format(whole(&e.to_string())),
    })?;
    let mut warnings = loaded.warnings;
    let data = loaded.value;
    let Some(map) = data.as_map().filter(|m| !m.is_empty()) else {
        let message = if data.is_null() || data.as_map().is_some() {
            "Parsed empty YAML file".to_string()
        } else {
            format!(
                "YAML inventory has invalid structure, it should be a dictionary, got: {}",
                data.type_name()
            )
        };
        return Err(NotYaml::Format(whole(&message)));
    };
    if data.get("plugin").is_some_and(|p| !p.is_null()) {
        return Err(NotYaml::Invalid(Box::new(
            Diagnostic::error("Plugin configuration YAML file, not YAML inventory", span_of(&data, source))
                .with_help("inventory plugins (plugin: …) are not supported by oxible; use a static YAML or INI inventory"),
        )));
    }
    let mut reader = Reader {
        graph,
        source,
        warnings: &mut warnings,
        budget,
    };
    for (name, group) in map.iter() {
        reader
            .group(name, group)
            .map_err(|d| NotYaml::Invalid(Box::new(d)))?;
    }
    Ok(warnings)
}

fn span_of(value: &Value, source: &Arc<Source>) -> Option<Span> {
    value
        .span
        .clone()
        .or_else(|| Some(Span::new(Arc::clone(source), 1, 1)))
}

struct Reader<'a> {
    graph: &'a mut Graph,
    source: &'a Arc<Source>,
    warnings: &'a mut Vec<Diagnostic>,
    /// Entries still allowed to be walked.
    budget: usize,
}

impl Reader<'_> {
    /// Counts `n` more walked entries at `at`, failing once the budget is spent.
    fn spend(&mut self, n: usize, at: &Value) -> Result<(), Diagnostic> {
        self.budget = self.budget.checked_sub(n).ok_or_else(|| {
            Diagnostic::error(
                format!("YAML inventory too large: more than {MAX_ENTRIES} groups, hosts and variables to read (each use of an alias reads its subtree again)"),
                span_of(at, self.source),
            )
            .with_help("use each alias of a group body or a hosts mapping once, or list the shared group under children instead of repeating it")
        })?;
        Ok(())
    }

    fn name<'v>(&self, key: &'v Value, what: &str) -> Result<&'v str, Diagnostic> {
        key.as_str().ok_or_else(|| {
            Diagnostic::error(
                format!(
                    "Invalid {what} name supplied, expected a string but got {}",
                    key.type_name()
                ),
                span_of(key, self.source),
            )
            .with_help("quote the name, e.g. \"1\":")
        })
    }

    /// Reads group `key` with body `body`, returning the group's name when it is one.
    fn group(&mut self, key: &Value, body: &Value) -> Result<Option<String>, Diagnostic> {
        let name = self.name(key, "group")?.to_string();
        self.spend(1, key)?;
        let Some(body) = (match &body.kind {
            ValueKind::Null => Some(None),
            ValueKind::Map(m) => Some(Some(m)),
            _ => None,
        }) else {
            self.warnings.push(
                Diagnostic::warning(
                    format!("Skipping '{name}' as this is not a valid group definition"),
                    span_of(body, self.source),
                )
                .with_help("a group is a mapping with optional hosts, vars and children keys"),
            );
            return Ok(None);
        };
        let at = |v: &Value| span_of(v, self.source);
        self.graph.add_group(&name).map_err(|e| {
            let help = e.help();
            Diagnostic::error(format!("Unable to add group {name}: {e}"), at(key)).with_help(help)
        })?;
        let Some(body) = body else {
            return Ok(Some(name));
        };
        let mut sections: Vec<(&Value, Map)> = Vec::new();
        for (k, v) in body.iter() {
            let section = k.as_str().unwrap_or_default();
            let is_section = matches!(section, "vars" | "children" | "hosts");
            let entries = match (&v.kind, is_section) {
                (ValueKind::Str(s), true) => Some(Map::from_iter([(
                    Value::string(&**s).with_span(v.span.clone()),
                    Value::null(),
                )])),
                (ValueKind::Map(m), _) => Some((**m).clone()),
                (ValueKind::Null, _) => None,
                (_, true) => {
                    return Err(Diagnostic::error(
                        format!("Invalid \"{section}\" entry for \"{name}\" group, requires a dictionary, found \"{}\" instead.", v.type_name()),
                        at(v),
                    )
                    .with_help(format!("write {section} as a mapping, e.g. {section}: {{name: …}}")));
                }
                (_, false) => {
                    self.warnings.push(Diagnostic::warning(
                        format!("Skipping key ({}) in group ({name}) as it is not a mapping, it is a {}", display_key(k), v.type_name()),
                        at(v),
                    ).with_help("a group holds only hosts, vars and children; put variables under vars:"));
                    continue;
                }
            };
            if let Some(entries) = entries {
                self.spend(entries.len(), k)?;
                sections.push((k, entries));
            }
        }
        for (k, entries) in sections {
            match k.as_str() {
                Some("vars") => {
                    for (var, value) in entries.iter() {
                        let var = self.name(var, "variable")?;
                        self.graph.set_variable(&name, var, value.clone()).map_err(|e| graph_error(e, at(value)))?;
                    }
                }
                Some("children") => {
                    for (child, body) in entries.iter() {
                        if let Some(child) = self.group(child, body)? {
                            self.graph.add_child(&name, &child).map_err(|e| graph_error(e, at(k)))?;
                        }
                    }
                }
                Some("hosts") => {
                    for (pattern, vars) in entries.iter() {
                        self.hosts(&name, pattern, vars)?;
                    }
                }
                _ => self.warnings.push(
                    Diagnostic::warning(
                        format!("Skipping unexpected key ({}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid", display_key(k)),
                        at(k),
                    )
                    .with_help(suggest_section(k)),
                ),
            }
        }
        Ok(Some(name))
    }

    fn hosts(&mut self, group: &str, pattern: &Value, vars: &Value) -> Result<(), Diagnostic> {
        let at = span_of(pattern, self.source);
        let text = pattern.as_str().ok_or_else(|| {
            Diagnostic::error(
                format!(
                    "Host pattern {} must be a string. Enclose integers/floats in quotation marks.",
                    display_key(pattern)
                ),
                at.clone(),
            )
            .with_help("quote the host name")
        })?;
        let (name, port) = parse_address(text, true).unwrap_or_else(|| (text.to_string(), None));
        let hosts = expand_hostname_range(&name).map_err(|e| {
            Diagnostic::error(format!("invalid host range in '{text}': {e}"), at.clone())
                .with_help(e.help())
        })?;
        let vars = match &vars.kind {
            ValueKind::Null => Map::new(),
            ValueKind::Map(m) => (**m).clone(),
            _ => {
                return Err(Diagnostic::error(
                    format!(
                        "Invalid data from file, expected dictionary and got: {}",
                        vars.type_name()
                    ),
                    span_of(vars, self.source),
                )
                .with_help("host variables are a mapping: host: {name: value}"));
            }
        };
        self.spend(hosts.len().saturating_mul(1 + vars.len()), pattern)?;
        for host in hosts {
            if let Some(w) = self
                .graph
                .add_host(&host, Some(group), port)
                .map_err(|e| graph_error(e, at.clone()))?
            {
                self.warnings.push(
                    Diagnostic::warning(w, at.clone())
                        .with_help("list localhost (or 127.0.0.1, ::1) under one name only"),
                );
            }
            for (k, v) in vars.iter() {
                let k = self.name(k, "variable")?;
                self.graph
                    .set_variable(&host, k, v.clone())
                    .map_err(|e| graph_error(e, at.clone()))?;
            }
        }
        Ok(())
    }
}

/// A graph change refused at `span`, with what would be valid.
fn graph_error(e: GraphError, span: Option<Span>) -> Diagnostic {
    let help = e.help();
    Diagnostic::error(e.to_string(), span).with_help(help)
}

/// A key as Ansible's messages show it: strings as they are, anything else as Python's `repr`.
fn display_key(key: &Value) -> String {
    key.as_str().map_or_else(|| key.py_repr(), String::from)
}

fn suggest_section(key: &Value) -> String {
    let word = display_key(key);
    oxible_yaml::did_you_mean(&word, ["hosts", "vars", "children"])
        .unwrap_or_else(|| "valid keys are hosts, vars and children".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_groups_and_hosts() {
        let text = "all:\n  hosts:\n    solo:\n  children:\n    web:\n      hosts:\n        w[1:2]:\n          p: 1\n      vars: {x: 2}\n      children: front\n    bad: 3\n";
        let mut g = Graph::default();
        let w = parse(&mut g, &Source::new("inv.yml", text)).unwrap();
        assert_eq!(g.groups["all"].hosts, ["solo"]);
        assert_eq!(g.groups["web"].hosts, ["w1", "w2"]);
        assert_eq!(g.groups["web"].children, ["front"]);
        assert_eq!(
            g.hosts["w2"].vars.get(&Value::from("p")),
            Some(&Value::from(1))
        );
        assert!(
            w.iter().any(|d| d.message.contains("Skipping 'bad'")),
            "{w:?}"
        );
    }

    #[test]
    fn nested_aliases_are_bounded() {
        // Each level uses the one below three times: 3^12 walks of the innermost group.
        let mut text = String::from("all:\n  children:\n    l0: &l0 {hosts: {h: {v: 1}}}\n");
        for i in 1..=12 {
            text.push_str(&format!(
                "    l{i}: &l{i} {{children: {{a{i}: *l{p}, b{i}: *l{p}, c{i}: *l{p}}}}}\n",
                p = i - 1
            ));
        }
        let mut g = Graph::default();
        let Err(NotYaml::Invalid(d)) =
            parse_bounded(&mut g, &Source::new("inv.yml", text.as_str()), 10_000)
        else {
            panic!("a nested-alias document must be refused");
        };
        assert!(d.message.contains("too large"), "{d}");
        assert!(d.help.is_some());
        // Below the budget, aliases still read like Ansible: each use adds the same members.
        let mut g = Graph::default();
        let small = "all:\n  children:\n    x: &x {hosts: {h: }}\n    y: {children: {x: *x}}\n";
        parse_bounded(&mut g, &Source::new("inv.yml", small), 100).unwrap();
        assert_eq!(g.groups["y"].children, ["x"]);
        assert_eq!(g.groups["x"].hosts, ["h"]);
    }

    #[test]
    fn diagnostics_say_what_is_valid() {
        let mut g = Graph::default();
        let text = "all:\n  hosts: {localhost: , 127.0.0.1: }\n  other: [1]\n";
        let w = parse(&mut g, &Source::new("inv.yml", text)).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().all(|d| d.help.is_some()), "{w:?}");
        let mut g = Graph::default();
        let text = "a:\n  children:\n    b:\n      children:\n        a:\n";
        let Err(NotYaml::Invalid(d)) = parse(&mut g, &Source::new("inv.yml", text)) else {
            panic!("a group loop is an error");
        };
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("cannot contain")),
            "{d:?}"
        );
        let Err(NotYaml::Format(d)) = parse(&mut g, &Source::new("inv.yml", "[1]\n")) else {
            panic!("a list is not a YAML inventory");
        };
        assert!(d.help.is_some());
    }

    #[test]
    fn not_yaml_inventories() {
        let mut g = Graph::default();
        assert!(matches!(
            parse(&mut g, &Source::new("h", "host1\nhost2\n")),
            Err(NotYaml::Format(_))
        ));
        assert!(matches!(
            parse(&mut g, &Source::new("h", "")),
            Err(NotYaml::Format(_))
        ));
        let e = parse(&mut g, &Source::new("h", "all:\n  hosts: [a]\n"));
        assert!(
            matches!(e, Err(NotYaml::Invalid(d)) if d.span.as_ref().map(|s| s.line()) == Some(2))
        );
    }
}
