//! Host patterns (`all`, `web*`, `a:b`, `a:&b`, `a:!b`, `~regex`, `g[0]`, `g[1:3]`) as
//! Ansible's `InventoryManager.get_hosts` evaluates them (ansible/inventory/manager.py).
//!
//! Order is Ansible's: plain patterns first (in the order written), then `&` intersections,
//! then `!` exclusions; hosts come in group order, duplicates dropped at the very end.

use std::sync::LazyLock;

use indexmap::IndexSet;
use oxible_yaml::Diagnostic;
use regex::Regex;

use crate::address::parse_address;
use crate::data::{Graph, LOCALHOST_NAMES};

/// Why a pattern cannot be evaluated (Ansible raises `AnsibleError` for these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A `~regex` that does not compile.
    #[error("Invalid host list pattern: {pattern}: {reason}")]
    Regex {
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler said.
        reason: String,
    },
    /// A subscript past the end of what the pattern matched.
    #[error("No hosts matched the subscripted pattern '{0}'")]
    Subscript(String),
}

static SUBSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
        .unwrap_or_else(|e| unreachable!("built-in regex: {e}"))
});
static WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
        .unwrap_or_else(|e| unreachable!("built-in regex: {e}"))
});

/// Splits a pattern string into single patterns (`split_host_pattern`): on commas when there
/// are any, else on colons outside brackets unless the whole is a host address (`h:22`).
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<&str> = if pattern.contains(',') {
        pattern.split(',').collect()
    } else if parse_address(pattern, true).is_some() {
        vec![pattern]
    } else {
        WORDS.find_iter(pattern).map(|m| m.as_str()).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// Plain patterns, then `&` ones, then `!` ones; `all` when there is no plain one.
fn order_patterns(patterns: &[String]) -> Vec<&str> {
    let plain: Vec<&str> = patterns
        .iter()
        .map(String::as_str)
        .filter(|p| !p.starts_with(['&', '!']))
        .collect();
    let mut out = if plain.is_empty() { vec!["all"] } else { plain };
    out.extend(
        patterns
            .iter()
            .map(String::as_str)
            .filter(|p| p.starts_with('&')),
    );
    out.extend(
        patterns
            .iter()
            .map(String::as_str)
            .filter(|p| p.starts_with('!')),
    );
    out
}

/// Evaluates single patterns against `graph`, returning hosts (possibly repeated, Ansible
/// removes repeats only at the end) and warnings for patterns that matched nothing.
pub fn evaluate(
    graph: &Graph,
    patterns: &[String],
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<String>, PatternError> {
    let mut hosts: Vec<String> = Vec::new();
    for p in order_patterns(patterns) {
        if graph.hosts.contains_key(p) {
            hosts.push(p.to_string());
            continue;
        }
        let that = match_one(graph, p, warnings)?;
        if p.starts_with('!') {
            let that: IndexSet<&String> = that.iter().collect();
            hosts.retain(|h| !that.contains(h));
        } else if p.starts_with('&') {
            let that: IndexSet<&String> = that.iter().collect();
            hosts.retain(|h| that.contains(h));
        } else {
            let existing: IndexSet<String> = hosts.iter().cloned().collect();
            hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
        }
    }
    Ok(hosts)
}

/// Removes repeats, keeping first occurrences (`deduplicate_list`).
pub fn dedup(hosts: Vec<String>) -> Vec<String> {
    hosts
        .into_iter()
        .collect::<IndexSet<_>>()
        .into_iter()
        .collect()
}

/// One pattern without its `&`/`!`: groups or hosts it names, then its subscript.
fn match_one(
    graph: &Graph,
    pattern: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<String>, PatternError> {
    let pattern = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
    let (expr, subscript) = split_subscript(pattern);
    let hosts = enumerate(graph, expr, warnings)?;
    apply_subscript(hosts, subscript).ok_or_else(|| PatternError::Subscript(pattern.into()))
}

/// `(start, end)` of `[i]` (end `None`) or `[i:j]` / `[i:]` (end `-1`) subscripts.
type Subscript = (i64, Option<i64>);

fn split_subscript(pattern: &str) -> (&str, Option<Subscript>) {
    if pattern.starts_with('~') {
        return (pattern, None);
    }
    let Some(c) = SUBSCRIPT.captures(pattern) else {
        return (pattern, None);
    };
    let expr = c.get(1).map_or(pattern, |m| m.as_str());
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    let subscript = match num(2) {
        Some(idx) => (idx, None),
        None => (num(3).unwrap_or(0), Some(num(5).unwrap_or(-1))),
    };
    (expr, Some(subscript))
}

/// Python's `hosts[start:end + 1]` / `[hosts[start]]`; `None` for an index out of range.
fn apply_subscript(hosts: Vec<String>, subscript: Option<Subscript>) -> Option<Vec<String>> {
    let Some((start, end)) = subscript else {
        return Some(hosts);
    };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len() as i64;
    match end {
        Some(end) if end != 0 => {
            let end = if end == -1 { len - 1 } else { end };
            let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            let (s, e) = (clamp(start), clamp(end.saturating_add(1)));
            Some(if s < e {
                hosts[s..e].to_vec()
            } else {
                Vec::new()
            })
        }
        _ => {
            let i = if start < 0 { len + start } else { start };
            let i = usize::try_from(i).ok()?;
            hosts.get(i).map(|h| vec![h.clone()])
        }
    }
}

/// Hosts of groups whose name matches, then hosts whose name matches (`_enumerate_matches`).
fn enumerate(
    graph: &Graph,
    pattern: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<String>, PatternError> {
    let re = compile(pattern)?;
    let groups: Vec<&String> = graph.groups.keys().filter(|g| re.is_match(g)).collect();
    let mut results: Vec<String> = groups.iter().flat_map(|g| graph.group_hosts(g)).collect();
    let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        results.extend(graph.hosts.keys().filter(|h| re.is_match(h)).cloned());
    }
    if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
        results.push(
            graph
                .localhost
                .clone()
                .unwrap_or_else(|| pattern.to_string()),
        );
    }
    if results.is_empty() && groups.is_empty() && pattern != "all" {
        warnings.push(Diagnostic::warning(
            format!("Could not match supplied host pattern, ignoring: {pattern}"),
            None,
        ));
    }
    Ok(results)
}

/// `~regex` as a regex anchored at the start (Python's `re.match`), else a shell glob.
fn compile(pattern: &str) -> Result<Regex, PatternError> {
    let source = match pattern.strip_prefix('~') {
        Some(re) => format!("^(?:{re})"),
        None => glob_to_regex(pattern),
    };
    Regex::new(&source).map_err(|e| PatternError::Regex {
        pattern: pattern.into(),
        reason: e.to_string(),
    })
}

/// Whether `text` matches the shell pattern `pattern`, as Python's `fnmatch.fnmatchcase`.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    Regex::new(&glob_to_regex(pattern)).is_ok_and(|re| re.is_match(text))
}

/// Python's `fnmatch.translate`, written for Rust's regex syntax.
fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::from("^(?s:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                if !out.ends_with(".*") {
                    out.push_str(".*");
                }
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                    continue;
                }
                out.push_str(&char_class(&chars[i..j]));
                i = j + 1;
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(")$");
    out
}

/// A glob `[...]` body as a Rust regex class: `!` negates, `-` between two characters is a
/// range, everything else is literal.
fn char_class(body: &[char]) -> String {
    let (negate, body) = match body.split_first() {
        Some(('!', rest)) => (true, rest),
        _ => (false, body),
    };
    if body.is_empty() {
        return if negate {
            ".".into()
        } else {
            "[^\\s\\S]".into()
        };
    }
    let mut out = String::from(if negate { "[^" } else { "[" });
    for (k, c) in body.iter().enumerate() {
        let is_range = *c == '-' && k > 0 && k + 1 < body.len();
        if is_range {
            out.push('-');
        } else if "\\[]^-&~".contains(*c) {
            out.push('\\');
            out.push(*c);
        } else {
            out.push(*c);
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_patterns_like_ansible() {
        assert_eq!(split_host_pattern("a:b"), ["a", "b"]);
        assert_eq!(split_host_pattern("a, b ,,c"), ["a", "b", "c"]);
        assert_eq!(split_host_pattern("web:&db:!x"), ["web", "&db", "!x"]);
        assert_eq!(split_host_pattern("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split_host_pattern("g[1:3]:h"), ["g[1:3]", "h"]);
        assert_eq!(split_host_pattern("h:22"), ["h:22"]);
        assert_eq!(split_host_pattern("web[1"), ["web", "1"]);
    }

    #[test]
    fn globs_and_subscripts() {
        let re = Regex::new(&glob_to_regex("web[!2-3]*")).unwrap();
        assert!(re.is_match("web1x") && !re.is_match("web2"));
        assert!(Regex::new(&glob_to_regex("a[b")).unwrap().is_match("a[b"));
        assert_eq!(split_subscript("g[-1]"), ("g", Some((-1, None))));
        assert_eq!(split_subscript("g[1:]"), ("g", Some((1, Some(-1)))));
        let hosts: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(
            apply_subscript(hosts.clone(), Some((-1, None))).unwrap(),
            ["c"]
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((1, Some(5)))).unwrap(),
            ["b", "c"]
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((0, Some(0)))).unwrap(),
            ["a"]
        );
        assert_eq!(apply_subscript(hosts, Some((3, None))), None);
    }
}
