//! INI inventory files, read as Ansible's `ini` inventory plugin reads them
//! (ansible/plugins/inventory/ini.py).
//!
//! ```text
//! host1 ansible_port=2222 x="a b"     # before any section: group `ungrouped`
//! [web]
//! web[01:10]:2222 role=front
//! [web:vars]
//! http_port = 80                       # whole rest of the line, Python-literal typed
//! [prod:children]
//! web
//! ```
//! Values are typed with Python literal rules ([`crate::pyliteral`]); host lines are split with
//! POSIX shell quoting ([`oxible_shell::split`]). `[g:vars]` and `[g:children]` may name groups
//! declared further down; a group that is never declared is an error at the line naming it.

use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use oxible_yaml::{Diagnostic, Source, Span};
use regex::Regex;

use crate::address::{expand_hostname_range, parse_address};
use crate::data::{Graph, GraphError};
use crate::pyliteral::ini_value;

static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
        .unwrap_or_else(|e| unreachable!("built-in regex: {e}"))
});
static GROUP_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").unwrap_or_else(|e| unreachable!("built-in regex: {e}"))
});

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A group named before it was declared, waiting for its `[group]` or `[group:children]`.
struct Pending {
    line: u32,
    /// 0-based character offset of the name.
    col: usize,
    state: State,
    /// The `[parent:children]` sections naming the group, with where each named it.
    parents: Vec<NamedIn>,
}

/// A `[parent:children]` entry naming a group not declared yet.
#[derive(Clone)]
struct NamedIn {
    parent: String,
    line: u32,
    /// 0-based character offset of the entry.
    col: usize,
}

/// Parses INI inventory text into `graph`, returning warnings, or the first error with its
/// position. On error `graph` may be half-updated: callers parse into a copy.
pub fn parse(graph: &mut Graph, source: &Arc<Source>) -> Result<Vec<Diagnostic>, Diagnostic> {
    let mut parser = Parser {
        graph,
        source,
        warnings: Vec::new(),
        line: 0,
    };
    parser.run()?;
    Ok(parser.warnings)
}

struct Parser<'a> {
    graph: &'a mut Graph,
    source: &'a Arc<Source>,
    warnings: Vec<Diagnostic>,
    line: u32,
}

impl Parser<'_> {
    fn span(&self, col: usize) -> Option<Span> {
        Some(Span::new(
            Arc::clone(self.source),
            self.line,
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        ))
    }

    fn error(&self, col: usize, message: impl Into<String>, help: &str) -> Diagnostic {
        Diagnostic::error(message, self.span(col)).with_help(help)
    }

    fn graph_error(&self, col: usize, e: GraphError) -> Diagnostic {
        self.error(col, e.to_string(), &e.help())
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        let source = Arc::clone(self.source);
        let mut pending: IndexMap<String, Pending> = IndexMap::new();
        let mut group = "ungrouped".to_string();
        let mut state = State::Hosts;
        for raw in source.text().lines() {
            self.line += 1;
            let indent = raw.chars().count() - raw.trim_start().chars().count();
            let line = raw.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(c) = SECTION.captures(line) {
                let name = c[1].to_string();
                state = match c.get(2).map(|m| m.as_str()) {
                    None | Some("hosts") => State::Hosts,
                    Some("children") => State::Children,
                    Some("vars") => State::Vars,
                    Some(other) => {
                        return Err(self.error(
                            indent + name.chars().count() + 2,
                            format!("Section [{name}:{other}] has unknown type: {other}"),
                            "a section is [group], [group:vars] or [group:children]",
                        ));
                    }
                };
                self.warn_group_name(&name, indent + 1);
                if !self.graph.groups.contains_key(&name) {
                    if state == State::Vars && !pending.contains_key(&name) {
                        let p = Pending {
                            line: self.line,
                            col: indent + 1,
                            state,
                            parents: Vec::new(),
                        };
                        pending.insert(name.clone(), p);
                    }
                    self.graph
                        .add_group(&name)
                        .map_err(|e| self.graph_error(indent, e))?;
                }
                if state != State::Vars
                    && let Some(p) = pending.get(&name)
                {
                    if p.state == State::Children {
                        self.add_pending_children(&name, &mut pending)?;
                    } else {
                        pending.shift_remove(&name);
                    }
                }
                group = name;
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                return Err(self.error(
                    indent,
                    format!("Invalid section entry: '{line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"),
                    "a section is [group], [group:vars] or [group:children], with no spaces",
                ));
            }
            match state {
                State::Hosts => self.host_line(line, indent, &group)?,
                State::Vars => {
                    let Some((k, v)) = line.split_once('=') else {
                        return Err(self.error(
                            indent,
                            format!("Expected key=value, got: {line}"),
                            "lines of a [group:vars] section are `name = value`",
                        ));
                    };
                    self.graph
                        .set_variable(&group, k.trim(), ini_value(v.trim()))
                        .map_err(|e| self.graph_error(indent, e))?;
                }
                State::Children => {
                    let Some(c) = GROUP_NAME.captures(line) else {
                        return Err(self.error(
                            indent,
                            format!("Expected group name, got: {line}"),
                            "lines of a [group:children] section are group names, one per line",
                        ));
                    };
                    let child = c[1].to_string();
                    if self.graph.groups.contains_key(&child) {
                        self.graph
                            .add_child(&group, &child)
                            .map_err(|e| self.graph_error(indent, e))?;
                    } else {
                        let named = NamedIn {
                            parent: group.clone(),
                            line: self.line,
                            col: indent,
                        };
                        match pending.get_mut(&child) {
                            Some(p) => p.parents.push(named),
                            None => {
                                let p = Pending {
                                    line: self.line,
                                    col: indent,
                                    state: State::Children,
                                    parents: vec![named],
                                };
                                pending.insert(child, p);
                            }
                        }
                    }
                }
            }
        }
        if let Some((name, p)) = pending.first() {
            self.line = p.line;
            let (message, help) = match p.state {
                State::Vars => (
                    format!("Section [{name}:vars] not valid for undefined group '{name}'."),
                    format!(
                        "declare the group with a [{name}] section, or list it under a [parent:children] section"
                    ),
                ),
                _ => (
                    format!(
                        "Section [{}:children] includes undefined group '{name}'.",
                        p.parents.last().map_or("", |n| n.parent.as_str())
                    ),
                    format!("declare the group with a [{name}] or [{name}:children] section"),
                ),
            };
            return Err(self.error(p.col, message, &help));
        }
        Ok(())
    }

    fn add_pending_children(
        &mut self,
        group: &str,
        pending: &mut IndexMap<String, Pending>,
    ) -> Result<(), Diagnostic> {
        let parents = pending
            .get(group)
            .map(|p| p.parents.clone())
            .unwrap_or_default();
        for named in parents {
            let parent = named.parent;
            if let Err(e) = self.graph.add_child(&parent, group) {
                // Point at the `[parent:children]` entry that named the group.
                self.line = named.line;
                return Err(self.graph_error(named.col, e));
            }
            if pending
                .get(&parent)
                .is_some_and(|p| p.state == State::Children)
            {
                self.add_pending_children(&parent, pending)?;
            }
        }
        pending.shift_remove(group);
        Ok(())
    }

    /// Ansible (with `TRANSFORM_INVALID_GROUP_CHARS=never`) keeps but warns about group names
    /// that are not valid variable names.
    fn warn_group_name(&mut self, name: &str, col: usize) {
        let bad_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_numeric() || !(c.is_alphanumeric() || c == '_'));
        if bad_start || name.chars().any(|c| !(c.is_alphanumeric() || c == '_')) {
            self.warnings.push(Diagnostic::warning(
                "Invalid characters were found in group names but not replaced, use -vvvv to see details",
                self.span(col),
            ).with_help(format!("group '{name}' is not a valid variable name; use letters, digits and '_'")));
        }
    }

    /// `host[:port] [key=value …]` lines of a `[group]` section.
    fn host_line(&mut self, line: &str, indent: usize, group: &str) -> Result<(), Diagnostic> {
        let tokens = oxible_shell::split(line, true).map_err(|e| {
            let at = match e {
                oxible_shell::SplitError::NoClosingQuote(i)
                | oxible_shell::SplitError::NoEscapedChar(i) => i,
            };
            self.error(
                indent + at,
                format!("Error parsing host definition '{line}': {e}"),
                "close the quote, or escape the character with a backslash",
            )
        })?;
        let Some((first, rest)) = tokens.split_first() else {
            return Ok(());
        };
        let (pattern, port) = match parse_address(&first.text, true) {
            Some((host, port)) => (host, port),
            None => (first.text.clone(), None),
        };
        if first.text.trim().ends_with(':') && port.is_none() {
            return Err(self.error(
                indent + first.start,
                format!("Invalid host pattern '{}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.", first.text),
                "write host:port with a numeric port, or drop the ':'",
            ));
        }
        let hosts = expand_hostname_range(&pattern).map_err(|e| {
            self.error(
                indent + first.start,
                format!("invalid host range in '{}': {e}", first.text),
                e.help(),
            )
        })?;
        if hosts.iter().any(|h| h.trim() == "---") {
            return Err(self.error(
                indent + first.start,
                format!("Invalid host pattern '{}' supplied, '---' is normally a sign this is a YAML file.", first.text),
                "give YAML inventories a .yml or .yaml extension",
            ));
        }
        let mut vars = Vec::new();
        for t in rest {
            let Some((k, v)) = t.text.split_once('=') else {
                return Err(self.error(
                    indent + t.start,
                    format!(
                        "Expected key=value host variable assignment, got: {}",
                        t.text
                    ),
                    "host variables are written key=value after the host name",
                ));
            };
            vars.push((k.to_string(), ini_value(v)));
        }
        for host in hosts {
            if let Some(w) = self
                .graph
                .add_host(&host, Some(group), port)
                .map_err(|e| self.graph_error(indent, e))?
            {
                self.warnings
                    .push(Diagnostic::warning(w, self.span(indent)));
            }
            for (k, v) in &vars {
                self.graph
                    .set_variable(&host, k, v.clone())
                    .map_err(|e| self.graph_error(indent, e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use oxible_yaml::Value;

    use super::*;

    fn parse_text(text: &str) -> Result<Graph, Diagnostic> {
        let mut g = Graph::default();
        parse(&mut g, &Source::new("hosts", text))?;
        g.reconcile();
        Ok(g)
    }

    #[test]
    fn sections_ranges_and_vars() {
        let g = parse_text(
            "loose a=1 b=yes c=\"a b\"\n[web]\nweb[01:02]:2222\n[web:vars]\nv = 'q' # c\n[prod:children]\nweb\n[late:children]\nlater\n[later]\nl1\n",
        )
        .unwrap();
        assert_eq!(g.groups["web"].hosts, ["web01", "web02"]);
        assert_eq!(g.groups["prod"].children, ["web"]);
        assert_eq!(g.groups["late"].children, ["later"]);
        assert_eq!(g.groups["ungrouped"].hosts, ["loose"]);
        let loose = &g.hosts["loose"].vars;
        assert_eq!(loose.get(&Value::from("a")), Some(&Value::from(1)));
        assert_eq!(loose.get(&Value::from("b")), Some(&Value::from("yes")));
        assert_eq!(loose.get(&Value::from("c")), Some(&Value::from("a b")));
        assert_eq!(
            g.groups["web"].vars.get(&Value::from("v")),
            Some(&Value::from("q"))
        );
        assert_eq!(
            g.hosts["web02"].vars.get(&Value::from("ansible_port")),
            Some(&Value::from(2222))
        );
    }

    #[test]
    fn pending_child_errors_point_at_the_naming_entry() {
        // A graph where `b` is already an ancestor of `a`; `a` named `b` as a child on line 2,
        // column 3, before `b` was declared (a state only reachable through error paths).
        let mut g = Graph::default();
        g.add_group("a").unwrap();
        g.add_group("b").unwrap();
        g.add_child("b", "a").unwrap();
        let source = Source::new("hosts", "[a:children]\n  b\n[b]\n");
        let mut parser = Parser {
            graph: &mut g,
            source: &source,
            warnings: Vec::new(),
            line: 3,
        };
        let named = NamedIn {
            parent: "a".into(),
            line: 2,
            col: 2,
        };
        let mut pending = IndexMap::new();
        pending.insert(
            "b".to_string(),
            Pending {
                line: 2,
                col: 2,
                state: State::Children,
                parents: vec![named],
            },
        );
        let e = parser.add_pending_children("b", &mut pending).unwrap_err();
        assert!(e.message.contains("recursive dependency loop"), "{e}");
        assert_eq!(e.span.as_ref().map(|s| (s.line(), s.col())), Some((2, 3)));
        assert!(
            e.help
                .as_deref()
                .is_some_and(|h| h.contains("cannot contain")),
            "{e:?}"
        );
    }

    #[test]
    fn huge_range_is_an_error_at_the_entry() {
        let e = parse_text("[web]\n  a[0:9999][0:9999][0:9999]\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| (s.line(), s.col())), Some((2, 3)));
        assert!(e.message.contains("1000000000000 hosts"), "{e}");
        assert!(
            e.help
                .as_deref()
                .is_some_and(|h| h.starts_with("split the range")),
            "{e:?}"
        );
    }

    #[test]
    fn errors_point_at_the_line() {
        let e = parse_text("[web]\nh1 a=1 foo\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| (s.line(), s.col())), Some((2, 8)));
        assert!(
            e.message
                .contains("Expected key=value host variable assignment, got: foo")
        );
        let e = parse_text("[a:vars]\nx=1\n").unwrap_err();
        assert!(
            e.message.contains("not valid for undefined group 'a'"),
            "{e}"
        );
        let e = parse_text("[a:children]\nb\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| (s.line(), s.col())), Some((2, 1)));
        let e = parse_text("[web]\n  [bad\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| (s.line(), s.col())), Some((2, 3)));
        assert!(parse_text("[web: x]\n").is_err());
        assert!(
            parse_text("[web:foo]\n")
                .unwrap_err()
                .message
                .contains("unknown type")
        );
        assert!(
            parse_text("h:\n")
                .unwrap_err()
                .message
                .contains("ending in ':'")
        );
    }
}
