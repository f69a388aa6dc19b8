//! `oxible inventory`: ansible-inventory's command line (`--list`, `--graph`, `--host`).
//!
//! Output matches ansible-inventory's: JSON with sorted keys and 4-space indents, the graph
//! drawn with `|--`, warnings on stderr, exit code 5 for bad options, 4 for invalid vars files.

use std::path::PathBuf;
use std::process::ExitCode;

use oxible_inventory::{INTERNAL_VARS, Inventory};
use oxible_yaml::{Map, Value};
use serde_json::Value as Json;

use crate::config::Config;
use crate::exit::{Failure, FailureClass};

/// Flags of `oxible inventory`, spelled as ansible-inventory spells them.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory source: a file, a directory, or a comma-separated host list.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Print the whole inventory as JSON.
    #[arg(long = "list")]
    pub list: bool,
    /// Print the group tree, from GROUP (default `all`).
    #[arg(long = "graph")]
    pub graph: bool,
    /// Print the variables of one host.
    #[arg(long = "host")]
    pub host: Option<String>,
    /// With --graph, also print variables.
    #[arg(long = "vars")]
    pub vars: bool,
    /// Also read group_vars/ and host_vars/ beside this directory (a playbook's).
    #[arg(long = "playbook-dir")]
    pub playbook_dir: Option<PathBuf>,
    /// With --list, only these hosts (a host pattern; `@file` reads it from a file).
    #[arg(short = 'l', long = "limit")]
    pub limit: Option<String>,
    /// The group --graph starts from.
    pub group: Option<String>,
}

/// Runs `oxible inventory`.
pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let options = |msg: &str| Failure::new(FailureClass::Options, msg);
    let actions = [args.list, args.graph, args.host.is_some()]
        .iter()
        .filter(|a| **a)
        .count();
    if actions == 0 {
        return Err(options(
            "No action selected, at least one of --host, --graph or --list needs to be specified.",
        ));
    }
    if actions > 1 {
        return Err(options(
            "Conflicting options used, only one of --host, --graph or --list can be used at the same time.",
        ));
    }
    let sources = if args.inventory.is_empty() {
        Config::load().inventory
    } else {
        args.inventory.clone()
    };
    let loaded = Inventory::load(&sources)?;
    let mut inventory = loaded.inventory;
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    if let Some(dir) = &args.playbook_dir {
        for w in inventory.add_playbook_dir(dir)? {
            eprintln!("{w}");
        }
    }
    let output = if let Some(host) = &args.host {
        let selection = inventory.select(host, None)?;
        selection.warnings.iter().for_each(|w| eprintln!("{w}"));
        let [name] = selection.hosts.as_slice() else {
            return Err(options(
                "You must pass a single valid host to --host parameter",
            ));
        };
        dump(&vars_json(&inventory.host_vars(name).unwrap_or_default()))
    } else if args.graph {
        let start = args.group.as_deref().unwrap_or("all");
        if inventory.group(start).is_none() {
            return Err(options(
                "Pattern must be valid group name when using --graph",
            ));
        }
        let mut lines = Vec::new();
        graph(&inventory, start, 0, args.vars, &mut lines);
        lines.join("\n")
    } else {
        dump(&list(&inventory, args.limit.as_deref())?)
    };
    println!("{output}");
    Ok(ExitCode::SUCCESS)
}

/// `--list`: groups with their direct hosts and children, and `_meta.hostvars`.
fn list(inv: &Inventory, limit: Option<&str>) -> Result<Json, Failure> {
    let hosts = inv.select("all", limit)?;
    hosts.warnings.iter().for_each(|w| eprintln!("{w}"));
    let mut out = serde_json::Map::new();
    let mut seen = std::collections::HashSet::new();
    list_group(inv, "all", &hosts.hosts, &mut seen, &mut out);
    let mut hostvars = serde_json::Map::new();
    for h in &hosts.hosts {
        let vars = vars_json(&inv.host_vars(h).unwrap_or_default());
        if vars.as_object().is_some_and(|m| !m.is_empty()) {
            hostvars.insert(h.clone(), vars);
        }
    }
    let meta = serde_json::json!({"hostvars": hostvars, "profile": "inventory_legacy"});
    out.insert("_meta".into(), meta);
    Ok(Json::Object(out))
}

fn list_group(
    inv: &Inventory,
    name: &str,
    available: &[String],
    seen: &mut std::collections::HashSet<String>,
    out: &mut serde_json::Map<String, Json>,
) {
    let Some(group) = inv.group(name) else { return };
    let mut entry = serde_json::Map::new();
    if name != "all" {
        let hosts: Vec<Json> = group
            .hosts
            .iter()
            .filter(|h| available.contains(h))
            .map(|h| Json::from(h.as_str()))
            .collect();
        if !hosts.is_empty() {
            entry.insert("hosts".into(), Json::Array(hosts));
        }
    }
    let children: Vec<Json> = group
        .children
        .iter()
        .map(|c| Json::from(c.as_str()))
        .collect();
    if !children.is_empty() {
        entry.insert("children".into(), Json::Array(children));
    }
    if !entry.is_empty() {
        out.insert(name.into(), Json::Object(entry));
    }
    for child in &group.children {
        if seen.insert(child.clone()) {
            list_group(inv, child, available, seen, out);
        }
    }
}

/// `--graph`: `@group:` lines, child groups first, then hosts (not under `all`).
fn graph(inv: &Inventory, name: &str, depth: usize, show_vars: bool, lines: &mut Vec<String>) {
    let Some(group) = inv.group(name) else { return };
    lines.push(graph_line(&format!("@{name}:"), depth));
    for child in &group.children {
        graph(inv, child, depth + 1, show_vars, lines);
    }
    if name != "all" {
        for host in &group.hosts {
            lines.push(graph_line(host, depth + 1));
            if show_vars {
                vars_lines(&inv.host_vars(host).unwrap_or_default(), depth + 2, lines);
            }
        }
    }
    if show_vars {
        let mut vars = inv.group_vars(name).unwrap_or_default();
        if group.priority != 1 {
            vars.insert(
                Value::from("ansible_group_priority"),
                Value::from(group.priority),
            );
        }
        vars_lines(&vars, depth + 1, lines);
    }
}

fn graph_line(text: &str, depth: usize) -> String {
    if depth == 0 {
        text.to_string()
    } else {
        format!("{}--{text}", "  |".repeat(depth))
    }
}

fn vars_lines(vars: &Map, depth: usize, lines: &mut Vec<String>) {
    let mut items: Vec<(String, String)> = public_vars(vars)
        .map(|(k, v)| (k.py_str(), v.py_str()))
        .collect();
    items.sort();
    lines.extend(
        items
            .into_iter()
            .map(|(k, v)| graph_line(&format!("{{{k} = {v}}}"), depth)),
    );
}

/// Variables without the magic names Ansible strips from its output.
fn public_vars(vars: &Map) -> impl Iterator<Item = (&Value, &Value)> {
    vars.iter()
        .filter(|(k, _)| !k.as_str().is_some_and(|k| INTERNAL_VARS.contains(&k)))
}

fn vars_json(vars: &Map) -> Json {
    let public: Map = public_vars(vars)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::to_value(Value::map(public)).unwrap_or(Json::Null)
}

/// Python's `json.dumps(…, sort_keys=True, indent=4)`.
fn dump(value: &Json) -> String {
    use serde::Serialize;
    let sorted = sort_keys(value.clone());
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    match sorted.serialize(&mut ser) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    }
}

fn sort_keys(value: Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}
