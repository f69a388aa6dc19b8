//! Task lists: blocks, tasks, and the static imports expanded into them
//! (Ansible's `load_list_of_blocks` / `load_list_of_tasks`).

use std::path::{Path, PathBuf};

use oxible_yaml::{Span, Value};

use crate::context::{Ctx, Link, MAX_ENTRIES, Scope};
use crate::error::{Error, Result};
use crate::keywords::{self, Keywords, Kind, string_keys};
use crate::loader::{load_yaml, normalize};
use crate::role::{FromFiles, Role, RoleDef, is_truthy};
use crate::tags::parse_tags;
use crate::task::{Task, as_list, scalar_text};

/// One item of a task list.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A task, including dynamic `include_tasks`/`include_role` (expanded at run time).
    Task(Task),
    /// A `block`/`rescue`/`always` block.
    Block(Block),
    /// A static `import_tasks`: the import task (its keywords apply to every imported task)
    /// and the file's tasks.
    ImportTasks {
        /// The `import_tasks` task.
        task: Task,
        /// The file that was imported.
        file: PathBuf,
        /// Its tasks.
        entries: Vec<Entry>,
    },
    /// A static `import_role`: the import task and the role it loaded.
    ImportRole {
        /// The `import_role` task.
        task: Task,
        /// The role, loaded with `tasks_from` etc.
        role: Box<Role>,
    },
}

/// A `block` with its `rescue` and `always` sections.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// `name`, if set.
    pub name: Option<String>,
    /// The tasks of `block`.
    pub block: Vec<Entry>,
    /// The tasks of `rescue`.
    pub rescue: Vec<Entry>,
    /// The tasks of `always`.
    pub always: Vec<Entry>,
    /// The block's own tags (inherited by its tasks).
    pub tags: Vec<String>,
    /// The block's `when` conditions (inherited by its tasks).
    pub when: Vec<Value>,
    /// Every other keyword set on the block.
    pub keywords: Keywords,
    /// Where the block starts.
    pub span: Option<Span>,
}

/// Whether mapping `value` is a block (Ansible's `Block.is_block`).
fn is_block(value: &Value) -> bool {
    ["block", "rescue", "always"]
        .iter()
        .any(|k| value.get(k).is_some())
}

/// Loads a task list (`tasks:`, a task file, a block section). `null` entries are skipped, as
/// Ansible does; `key` is the keyword that held the list, for error positions.
pub(crate) fn load_entries(
    ctx: &mut Ctx<'_>,
    scope: &Scope,
    list: &Value,
    key: Option<&Span>,
) -> Result<Vec<Entry>> {
    if list.is_null() {
        return Ok(Vec::new());
    }
    let items = list.as_seq().ok_or_else(|| {
        Error::parse(
            format!("a list of tasks is required, got a {}", list.type_name()),
            list.span.as_ref().or(key),
            "write each task as a '- ' list item",
        )
    })?;
    let kind = if scope.handlers {
        Kind::Handler
    } else {
        Kind::Task
    };
    let mut entries = Vec::new();
    for item in items.iter().filter(|item| !item.is_null()) {
        ctx.entries += 1;
        if ctx.entries > MAX_ENTRIES {
            return Err(Error::parse(
                format!("the playbook expands to more than {MAX_ENTRIES} tasks"),
                item.span.as_ref().or(list.span.as_ref()),
                "YAML aliases (*name) that repeat task lists multiply them; write the tasks out, or use include_tasks",
            ));
        }
        if item.as_map().is_none() {
            return Err(Error::parse(
                format!("a task must be a mapping, got a {}", item.type_name()),
                item.span.as_ref().or(list.span.as_ref()),
                "write a task as 'module: arguments' plus task keywords",
            ));
        }
        if is_block(item) {
            entries.push(Entry::Block(load_block(ctx, scope, item)?));
            continue;
        }
        let task = Task::load(item, kind)?;
        entries.push(if task.is("import_tasks") {
            import_tasks(ctx, scope, task)?
        } else if task.is("import_role") {
            import_role(ctx, scope, task)?
        } else if task.is("include_role") {
            role_include_args(scope, &task)?;
            Entry::Task(task)
        } else {
            Entry::Task(task)
        });
    }
    Ok(entries)
}

fn load_block(ctx: &mut Ctx<'_>, scope: &Scope, value: &Value) -> Result<Block> {
    let map = keywords::expect_map(value, Kind::Block, None)?;
    let mut block = Block {
        span: value.span.clone(),
        ..Default::default()
    };
    for (name, key, v) in string_keys(map, Kind::Block)? {
        match name {
            "block" => block.block = load_entries(ctx, scope, v, key.span.as_ref())?,
            "rescue" => block.rescue = load_entries(ctx, scope, v, key.span.as_ref())?,
            "always" => block.always = load_entries(ctx, scope, v, key.span.as_ref())?,
            "name" => block.name = scalar_text(v),
            "tags" => block.tags = parse_tags(v)?,
            "when" => block.when = as_list(v),
            _ if Kind::Block.accepts(name) => block.keywords.insert(name, v.clone()),
            _ => return Err(keywords::unknown(Kind::Block, name, key.span.as_ref())),
        }
    }
    Ok(block)
}

/// The arguments an `import_*` task accepts; any other is an error, as in Ansible.
fn check_args(task: &Task, valid: &[&str]) -> Result<()> {
    for key in task.action.args.keys() {
        let name = key.as_str().unwrap_or_default();
        if !valid.contains(&name) {
            return Err(Error::parse(
                format!("Invalid options for {}: {name}", task.module()),
                key.span.as_ref().or(task.action.span.as_ref()),
                format!("valid options: {}", valid.join(", ")),
            ));
        }
    }
    Ok(())
}

/// A string argument of an import, templated statically.
fn import_arg(ctx: &Ctx<'_>, scope: &Scope, task: &Task, key: &str) -> Result<Option<String>> {
    let Some(value) = task.arg(key) else {
        return Ok(None);
    };
    let text = scalar_text(value).unwrap_or_default();
    ctx.options.templar.render(&text, &scope.vars).map(Some).map_err(|why| {
        Error::parse(
            format!("Error when evaluating variable in import path '{text}': {why}"),
            task.span.as_ref(),
            "When using static imports, ensure that any variables used in their names are defined in vars/vars_files or extra-vars passed in from the command line.",
        )
    })
}

/// Expands `import_tasks`: finds the file as Ansible does and loads its tasks.
fn import_tasks(ctx: &mut Ctx<'_>, scope: &Scope, task: Task) -> Result<Entry> {
    check_args(&task, &["_raw_params", "file"])?;
    if task.looping.is_some() {
        return Err(Error::parse(
            "You cannot use loops on 'import_tasks' statements. You should use 'include_tasks' instead.",
            task.span.as_ref(),
            "replace import_tasks with include_tasks to loop over it",
        ));
    }
    let target = match import_arg(ctx, scope, &task, "_raw_params")? {
        Some(t) => Some(t),
        None => import_arg(ctx, scope, &task, "file")?,
    }
    .ok_or_else(|| {
        Error::parse(
            "No file specified for import_tasks",
            task.span.as_ref(),
            "write 'import_tasks: path/to/tasks.yml'",
        )
    })?;
    let candidates = import_candidates(scope, &target);
    let file = candidates
        .iter()
        .find(|p| ctx.loader.exists(p))
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            Error::resolve(
                format!("could not find the file '{target}' to import"),
                task.span.as_ref(),
                format!("tried: {}", tried.join(", ")),
            )
        })?;
    let link = Link::File(file.clone());
    if scope.chain.contains(&link) {
        return Err(Error::parse(
            format!(
                "'{}' imports itself (through a cycle of import_tasks)",
                file.display()
            ),
            task.span.as_ref(),
            "break the cycle, or use include_tasks with a condition",
        ));
    }
    let (data, warnings) = load_yaml(ctx.loader, &file, task.span.as_ref())?;
    ctx.warnings.extend(warnings);
    let mut inner = scope.clone();
    inner.chain.push(link);
    let entries = if data.is_null() {
        ctx.warnings.push(oxible_yaml::Diagnostic::warning(
            format!(
                "file {} is empty and had no tasks to include",
                file.display()
            ),
            task.span.clone(),
        ));
        Vec::new()
    } else if data.as_seq().is_none() {
        return Err(Error::parse(
            "included task files must contain a list of tasks",
            data.span.as_ref(),
            "write the file as a YAML list of tasks",
        ));
    } else {
        load_entries(ctx, &inner, &data, task.span.as_ref())?
    };
    Ok(Entry::ImportTasks {
        task,
        file,
        entries,
    })
}

/// Where Ansible looks for an imported task file: next to the enclosing imported files
/// (innermost first), then the role's `tasks/` (or `handlers/`) directory and the role itself,
/// then the playbook's directory.
pub(crate) fn import_candidates(scope: &Scope, target: &str) -> Vec<PathBuf> {
    let target_path = Path::new(target);
    if target_path.is_absolute() {
        return vec![normalize(target_path)];
    }
    let mut out: Vec<PathBuf> = scope.import_dirs().map(|d| d.join(target)).collect();
    if let Some(role) = scope.role() {
        let sub = if scope.handlers { "handlers" } else { "tasks" };
        out.push(role.join(sub).join(target));
        out.push(role.join(target));
    }
    out.push(scope.basedir.join(target));
    let mut unique = Vec::new();
    for path in out.into_iter().map(|p| normalize(&p)) {
        if !unique.contains(&path) {
            unique.push(path);
        }
    }
    unique
}

/// The `*_from` arguments of `import_role`/`include_role` (Ansible's `IncludeRole.FROM_ARGS`).
const FROM_ARGS: [&str; 4] = ["tasks_from", "vars_from", "defaults_from", "handlers_from"];

/// Checks an `import_role`/`include_role` task as Ansible's `IncludeRole.load` does and returns
/// the role name (`name`, or its alias `role`).
fn role_include_args<'t>(scope: &Scope, task: &'t Task) -> Result<&'t Value> {
    const VALID: &[&str] = &[
        "name",
        "role",
        "tasks_from",
        "vars_from",
        "defaults_from",
        "handlers_from",
        "apply",
        "public",
        "allow_duplicates",
        "rolespec_validate",
    ];
    let module = task.module();
    let span = task.span.as_ref();
    if scope.handlers {
        return Err(Error::parse(
            format!("Using '{module}' as a handler is not supported."),
            span,
            "move the role to tasks, and notify handlers the role defines",
        ));
    }
    let name = task
        .arg("name")
        .or_else(|| task.arg("role"))
        .filter(|name| !name.is_null())
        .ok_or_else(|| {
            Error::parse(
                format!("'name' is a required field for {module}."),
                span,
                format!("write '{module}: {{name: <role>}}'"),
            )
        })?;
    check_args(task, VALID)?;
    for key in FROM_ARGS {
        if let Some(value) = task.arg(key).filter(|v| v.as_str().is_none()) {
            return Err(Error::parse(
                format!(
                    "Expected a string for {key} but got a {} instead",
                    value.type_name()
                ),
                value.span.as_ref().or(span),
                format!("write '{key}: <file name>'"),
            ));
        }
    }
    if let Some(apply) = task.arg("apply") {
        if is_truthy(apply) && task.is("import_role") {
            return Err(Error::parse(
                format!("Invalid options for {module}: apply"),
                span,
                "set the keywords on the import_role task itself, or use include_role",
            ));
        }
        if apply.as_map().is_none() {
            return Err(Error::parse(
                format!(
                    "Expected a dict for apply but got a {} instead",
                    apply.type_name()
                ),
                apply.span.as_ref().or(span),
                "write 'apply:' followed by task keywords, e.g. 'apply: {tags: [t]}'",
            ));
        }
    }
    Ok(name)
}

/// Expands `import_role`: loads the role (with `tasks_from`, `vars_from` etc.) in place.
fn import_role(ctx: &mut Ctx<'_>, scope: &Scope, task: Task) -> Result<Entry> {
    let name = role_include_args(scope, &task)?.clone();
    if task.looping.is_some() {
        return Err(Error::parse(
            "You cannot use loops on 'import_role' statements. You should use 'include_role' instead.",
            task.span.as_ref(),
            "replace import_role with include_role to loop over it",
        ));
    }
    // Ansible templates the `*_from` names with the play's vars; an undefined one is an
    // AnsibleError, not a parser error.
    let render = |key: &str| -> Result<Option<String>> {
        let Some(text) = task.arg(key).and_then(Value::as_str) else {
            return Ok(None);
        };
        ctx.options
            .templar
            .render(text, &scope.vars)
            .map(Some)
            .map_err(|why| {
                Error::resolve(
                    why,
                    task.span.as_ref(),
                    "define the variable in vars/vars_files or with -e",
                )
            })
    };
    let from = FromFiles {
        tasks: render("tasks_from")?,
        handlers: render("handlers_from")?,
        vars: render("vars_from")?,
        defaults: render("defaults_from")?,
    };
    let def = RoleDef::from_name(name, task.span.clone());
    let role = Role::load(ctx, scope, def, &from, None)?;
    Ok(Entry::ImportRole {
        task,
        role: Box::new(role),
    })
}
