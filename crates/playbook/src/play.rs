//! Plays (Ansible's `Play`), and the task listing `--list-tasks` shows for them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oxible_yaml::{Map, Span, Value, ValueKind};

use crate::block::{Entry, load_entries};
use crate::context::{Ctx, Scope};
use crate::error::{Error, Result};
use crate::keywords::{self, Keywords, Kind, string_keys};
use crate::role::{FromFiles, Role, RoleDef};
use crate::tags::parse_tags;
use crate::task::{Task, as_list, scalar_text};

/// A `vars_prompt` entry: oxible never prompts, so these must come from `-e` when a play runs.
#[derive(Clone, Debug)]
pub struct VarPrompt {
    /// The variable the prompt would set.
    pub name: String,
    /// Where the prompt is declared.
    pub span: Option<Span>,
}

/// A play after static loading: roles found and loaded, static imports expanded.
#[derive(Clone, Debug, Default)]
pub struct Play {
    /// `hosts`, as Ansible's list of patterns (a string is one pattern, commas included).
    pub hosts: Vec<String>,
    /// `name`, rendered statically when it is a simple template.
    pub name: Option<String>,
    /// The play's tags, including those an `import_playbook` adds.
    pub tags: Vec<String>,
    /// Whether `tags` is set (in the play, or by an `import_playbook`) rather than defaulted:
    /// only then does an importing `vars: {tags: ..}` add to it, as in Ansible.
    pub(crate) tags_set: bool,
    /// `vars` (with the importing `import_playbook`'s vars over them, `tags` taken out).
    pub vars: Map,
    /// `vars_prompt` entries.
    pub vars_prompt: Vec<VarPrompt>,
    /// `roles:`, loaded.
    pub roles: Vec<Role>,
    /// `pre_tasks`.
    pub pre_tasks: Vec<Entry>,
    /// `tasks`.
    pub tasks: Vec<Entry>,
    /// `post_tasks`.
    pub post_tasks: Vec<Entry>,
    /// `handlers`.
    pub handlers: Vec<Entry>,
    /// `when` conditions of the `import_playbook` entries that imported this play.
    pub import_when: Vec<Value>,
    /// Every other keyword.
    pub keywords: Keywords,
    /// The directory of the playbook file that defines the play.
    pub basedir: PathBuf,
    /// Where the play starts.
    pub span: Option<Span>,
}

/// A task as `--list-tasks` shows it: with its role and effective tags.
#[derive(Clone, Debug)]
pub struct ListedTask<'a> {
    /// The task.
    pub task: &'a Task,
    /// The role it belongs to.
    pub role: Option<&'a Role>,
    /// Its own tags plus every inherited one (blocks, imports, roles, play).
    pub tags: BTreeSet<String>,
}

impl ListedTask<'_> {
    /// The task's name as Ansible's listing prints it: [`Task::shown_name`] for named tasks
    /// (`role : name` in a role, but an `include_role` task's name alone), and the module as
    /// written for unnamed tasks.
    pub fn display_name(&self) -> String {
        match self.task.name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => self
                .task
                .shown_name(Some(name), self.role.map(|r| r.name.as_str())),
            None => self.task.module().to_string(),
        }
    }
}

impl Play {
    /// Loads play mapping `value` defined in a playbook in `basedir`.
    pub(crate) fn load(ctx: &mut Ctx<'_>, value: &Value, basedir: &Path) -> Result<Play> {
        let map = keywords::expect_map(value, Kind::Play, None)?;
        let keys = string_keys(map, Kind::Play)?;
        ctx.role_deps.clear();
        let mut play = Play {
            basedir: basedir.to_path_buf(),
            span: value.span.clone(),
            ..Default::default()
        };
        if value.get("user").is_some() && value.get("remote_user").is_some() {
            return Err(Error::parse(
                "both 'user' and 'remote_user' are set for this play. The use of 'user' is deprecated, and should be removed",
                value.span.as_ref(),
                "keep 'remote_user' only",
            ));
        }
        // First pass: what later keywords depend on (vars for templating).
        for (name, _, v) in &keys {
            if *name == "vars" {
                play.vars = load_vars(v)?;
            }
        }
        let mut vars = play.vars.clone();
        vars.extend(
            ctx.options
                .extra_vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let scope = Scope::play(basedir, vars);
        let mut hosts_seen = false;
        for (name, key, v) in keys {
            let at = key.span.as_ref();
            match name {
                "hosts" => {
                    hosts_seen = true;
                    play.hosts = load_hosts(ctx, &scope, v, at)?;
                }
                "name" => {
                    play.name = scalar_text(v)
                        .map(|n| ctx.options.templar.render(&n, &scope.vars).unwrap_or(n));
                }
                "tags" => {
                    play.tags = parse_tags(v)?;
                    play.tags_set = true;
                }
                "vars" => {}
                "vars_prompt" => play.vars_prompt = load_prompts(v)?,
                "roles" => {
                    for item in as_list(v).iter().filter(|i| !i.is_null()) {
                        let def = RoleDef::parse(item)?;
                        play.roles
                            .push(Role::load(ctx, &scope, def, &FromFiles::default(), None)?);
                    }
                }
                "pre_tasks" => play.pre_tasks = load_entries(ctx, &scope, v, at)?,
                "tasks" => play.tasks = load_entries(ctx, &scope, v, at)?,
                "post_tasks" => play.post_tasks = load_entries(ctx, &scope, v, at)?,
                "handlers" => {
                    let mut handlers = scope.clone();
                    handlers.handlers = true;
                    play.handlers = load_entries(ctx, &handlers, v, at)?;
                }
                "user" => play.keywords.insert("remote_user", v.clone()),
                _ if Kind::Play.accepts(name) => play.keywords.insert(name, v.clone()),
                "include" => {
                    return Err(Error::parse(
                        "'include' is not a valid keyword for a Play: playbook-level 'include' was removed from ansible-core",
                        at,
                        "use 'import_playbook: <file>' to include another playbook",
                    ));
                }
                _ => return Err(keywords::unknown(Kind::Play, name, at)),
            }
        }
        if !hosts_seen {
            return Err(Error::parse(
                "The field 'hosts' is required but was not set.",
                value.span.as_ref(),
                "add 'hosts: <pattern>' (e.g. 'hosts: all')",
            ));
        }
        Ok(play)
    }

    /// The play's name as Ansible shows it: `name`, else the host patterns joined by commas.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(name) if !name.is_empty() => name.clone(),
            _ => self.hosts.join(","),
        }
    }

    /// The tasks `--list-tasks` shows, in order: `pre_tasks`, each role (dependencies first),
    /// `tasks`, `post_tasks`, with inherited tags, keeping those `filter` selects.
    ///
    /// Mirrors ansible-playbook's listing: only the `block` section of blocks is walked (never
    /// `rescue`/`always`), every role instance is listed (no de-duplication), and dynamic
    /// includes appear as one task each.
    pub fn listed_tasks(&self, filter: &crate::TagFilter) -> Vec<ListedTask<'_>> {
        let mut out = Vec::new();
        let base: BTreeSet<String> = self.tags.iter().cloned().collect();
        walk(&self.pre_tasks, None, &base, &mut out);
        for role in &self.roles {
            walk_role(role, &base, &mut out);
        }
        walk(&self.tasks, None, &base, &mut out);
        walk(&self.post_tasks, None, &base, &mut out);
        out.retain(|t| filter.selects(&t.tags));
        out
    }
}

fn with(tags: &BTreeSet<String>, more: &[String]) -> BTreeSet<String> {
    tags.iter().chain(more).cloned().collect()
}

fn walk_role<'a>(role: &'a Role, inherited: &BTreeSet<String>, out: &mut Vec<ListedTask<'a>>) {
    let tags = with(inherited, &role.def.tags);
    for dep in &role.dependencies {
        walk_role(dep, &tags, out);
    }
    walk(&role.tasks, Some(role), &tags, out);
}

fn walk<'a>(
    entries: &'a [Entry],
    role: Option<&'a Role>,
    inherited: &BTreeSet<String>,
    out: &mut Vec<ListedTask<'a>>,
) {
    for entry in entries {
        match entry {
            Entry::Task(task) => out.push(ListedTask {
                task,
                role,
                tags: with(inherited, &task.tags),
            }),
            Entry::Block(block) => walk(&block.block, role, &with(inherited, &block.tags), out),
            Entry::ImportTasks { task, entries, .. } => {
                walk(entries, role, &with(inherited, &task.tags), out)
            }
            Entry::ImportRole { task, role } => walk_role(role, &with(inherited, &task.tags), out),
        }
    }
}

/// `vars:` as a mapping (a list of mappings is merged, as Ansible allows).
fn load_vars(value: &Value) -> Result<Map> {
    let mut out = Map::new();
    let bad = || {
        Error::parse(
            format!(
                "Vars in a Play must be specified as a dictionary, got a {}",
                value.type_name()
            ),
            value.span.as_ref(),
            "write 'vars:' followed by 'name: value' lines",
        )
    };
    match (&value.kind, value.as_seq()) {
        (ValueKind::Null, _) => {}
        (ValueKind::Map(map), _) => out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
        (_, Some(items)) => {
            for item in items {
                let map = item.as_map().ok_or_else(bad)?;
                out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        _ => return Err(bad()),
    }
    Ok(out)
}

/// `hosts:` as a list of patterns, templated statically when it can be.
fn load_hosts(
    ctx: &Ctx<'_>,
    scope: &Scope,
    value: &Value,
    key: Option<&Span>,
) -> Result<Vec<String>> {
    let render = |text: String| {
        ctx.options
            .templar
            .render(&text, &scope.vars)
            .unwrap_or(text)
    };
    let items: Vec<String> = match (&value.kind, value.as_seq()) {
        (ValueKind::Str(s) | ValueKind::Unsafe(s), _) => vec![render(s.to_string())],
        (_, Some(items)) => items
            .iter()
            .map(|item| match &item.kind {
                ValueKind::Str(s) | ValueKind::Unsafe(s) => Ok(render(s.to_string())),
                ValueKind::Int(_) | ValueKind::Float(_) => {
                    Ok(scalar_text(item).unwrap_or_default())
                }
                _ => Err(Error::parse(
                    format!(
                        "Hosts list contains an invalid host pattern: a {}",
                        item.type_name()
                    ),
                    item.span.as_ref().or(key),
                    "write host patterns as strings",
                )),
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(Error::parse(
                "Hosts list must be a sequence or string. Please check your playbook.",
                value.span.as_ref().or(key),
                "write 'hosts: all', 'hosts: web:db' or a list of patterns",
            ));
        }
    };
    if items.is_empty() || items.iter().all(|h| h.is_empty()) {
        return Err(Error::parse(
            "Hosts list cannot be empty. Please check your playbook",
            value.span.as_ref().or(key),
            "write 'hosts: all', 'hosts: web:db' or a list of patterns",
        ));
    }
    Ok(items)
}

/// `vars_prompt:` entries, each a mapping with `name`.
fn load_prompts(value: &Value) -> Result<Vec<VarPrompt>> {
    as_list(value)
        .iter()
        .map(|item| {
            let name = item.get("name").and_then(scalar_text).ok_or_else(|| {
                Error::parse(
                    "Invalid vars_prompt data structure, missing 'name' key",
                    item.span.as_ref().or(value.span.as_ref()),
                    "write each prompt as '- name: <var>' with 'prompt: <text>'",
                )
            })?;
            Ok(VarPrompt {
                name,
                span: item.span.clone(),
            })
        })
        .collect()
}
