//! Roles: found on disk, their files loaded, their dependencies expanded
//! (Ansible's `RoleDefinition`, `RoleInclude`, `Role.load` and `RoleMetadata`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxible_yaml::{Map, Span, Value, ValueKind};

use crate::block::{Entry, load_entries};
use crate::context::{Ctx, Link, Scope};
use crate::error::{Error, Result};
use crate::keywords::{self, Keywords, Kind, string_keys};
use crate::loader::{Loader, load_yaml};
use crate::role_path;
use crate::tags::parse_tags;
use crate::task::{as_list, scalar_text};

/// A role as a play, a meta dependency or an `import_role` names it, before it is loaded.
#[derive(Clone, Debug)]
pub struct RoleDef {
    /// The role name or path, untemplated (`role:` or `name:`, or the bare string).
    pub name: Value,
    /// Role parameters: every key that is not a role keyword.
    pub params: Map,
    /// `tags` on the entry (inherited by every task of the role).
    pub tags: Vec<String>,
    /// `when` on the entry.
    pub when: Vec<Value>,
    /// Other role keywords (`become`, `vars`, …).
    pub keywords: Keywords,
    /// Where the entry is.
    pub span: Option<Span>,
}

impl RoleDef {
    /// A definition holding only a name (as `import_role` gives it).
    pub(crate) fn from_name(name: Value, span: Option<Span>) -> Self {
        Self {
            name,
            params: Map::new(),
            tags: Vec::new(),
            when: Vec::new(),
            keywords: Keywords::default(),
            span,
        }
    }

    /// Parses a `roles:` item or meta dependency: a name, or a mapping with `role:`/`name:`.
    pub(crate) fn parse(value: &Value) -> Result<Self> {
        if value.as_str().is_some() || matches!(value.kind, oxible_yaml::ValueKind::Int(_)) {
            let name =
                Value::from(scalar_text(value).unwrap_or_default()).with_span(value.span.clone());
            return Ok(Self::from_name(name, value.span.clone()));
        }
        let map = keywords::expect_map(value, Kind::Role, None)?;
        let name = value
            .get("role")
            .or_else(|| value.get("name"))
            .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
            .cloned()
            .ok_or_else(|| {
                Error::resolve(
                    "role definitions must contain a role name",
                    value.span.as_ref(),
                    "write '- role: <name>' (other keys become role parameters)",
                )
            })?;
        let mut def = Self::from_name(name, value.span.clone());
        for (key, _, v) in string_keys(map, Kind::Role)? {
            match key {
                "role" | "name" => {}
                "tags" => def.tags = parse_tags(v)?,
                "when" => def.when = as_list(v),
                _ if Kind::Role.accepts(key) => def.keywords.insert(key, v.clone()),
                _ => {
                    def.params.insert(Value::from(key), v.clone());
                }
            }
        }
        Ok(def)
    }
}

/// The `*_from` arguments of `import_role`/`include_role`: the file of each role subdirectory to
/// load instead of `main` (Ansible's `from_files`).
#[derive(Clone, Debug, Default)]
pub(crate) struct FromFiles {
    /// `tasks_from`.
    pub tasks: Option<String>,
    /// `handlers_from`.
    pub handlers: Option<String>,
    /// `vars_from`.
    pub vars: Option<String>,
    /// `defaults_from`.
    pub defaults: Option<String>,
}

/// A loaded role.
#[derive(Clone, Debug)]
pub struct Role {
    /// The name tasks are prefixed with (`name : task`).
    pub name: String,
    /// The role's directory.
    pub path: PathBuf,
    /// How the role was named (parameters, tags, keywords).
    pub def: RoleDef,
    /// `meta/main.yml` dependencies, loaded, in order; a role reached by several paths in one
    /// play is one shared value.
    pub dependencies: Vec<Arc<Role>>,
    /// `allow_duplicates` from meta.
    pub allow_duplicates: bool,
    /// The tasks (`tasks/main.yml` or `tasks_from`).
    pub tasks: Vec<Entry>,
    /// The handlers (`handlers/main.yml` or `handlers_from`).
    pub handlers: Vec<Entry>,
    /// `defaults/main.yml` (or every file of `defaults/main/`, merged), untemplated.
    pub defaults: Option<Value>,
    /// `vars/main.yml` (or every file of `vars/main/`, merged), untemplated.
    pub vars: Option<Value>,
}

impl Role {
    /// Finds and loads the role `def` names, with its dependencies. `role_basedir` is the
    /// directory holding the role whose meta dependency this is: ansible-core searches it for
    /// meta dependencies only (`RoleMetadata` passes `current_role_path`), never for
    /// `import_role`/`include_role`, even inside a role.
    pub(crate) fn load(
        ctx: &mut Ctx<'_>,
        scope: &Scope,
        def: RoleDef,
        from: &FromFiles,
        role_basedir: Option<&Path>,
    ) -> Result<Role> {
        let raw = scalar_text(&def.name).unwrap_or_default();
        let name = ctx
            .options
            .templar
            .render(&raw, &scope.vars)
            .map_err(|why| {
                Error::resolve(
                    why,
                    def.name.span.as_ref(),
                    "define the variable with -e or play vars",
                )
            })?;
        let found = role_path::find(ctx.loader, &name, &scope.basedir, &ctx.options.roles_path, role_basedir)
            .map_err(|searched| {
                let list: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
                Error::resolve(
                    format!("the role '{name}' was not found in {}", list.join(":")),
                    def.name.span.as_ref().or(def.span.as_ref()),
                    "put the role in one of these directories, or add its directory to roles_path (ansible.cfg or ANSIBLE_ROLES_PATH)",
                )
            })?;
        let link = Link::Role(found.path.clone());
        if scope.chain.contains(&link) {
            return Err(Error::parse(
                format!("role '{name}' depends on itself"),
                def.span.as_ref(),
                "remove the dependency cycle from meta/main.yml",
            ));
        }
        let mut inner = scope.clone();
        inner.handlers = false;
        inner.chain.push(link);

        let mut role = Role {
            name: found.name,
            path: found.path.clone(),
            def,
            dependencies: Vec::new(),
            allow_duplicates: false,
            tasks: Vec::new(),
            handlers: Vec::new(),
            defaults: None,
            vars: None,
        };
        // Ansible's order: vars, defaults, meta (dependencies), tasks, handlers.
        role.vars = load_role_vars(ctx, &role, "vars", from.vars.as_deref())?;
        role.defaults = load_role_vars(ctx, &role, "defaults", from.defaults.as_deref())?;
        if let Some(meta) = load_role_file(ctx, &role, "meta", None, false)? {
            role.load_meta(ctx, &inner, &meta)?;
        }
        if let Some(tasks) = load_role_file(ctx, &role, "tasks", from.tasks.as_deref(), false)? {
            role.tasks = load_entries(ctx, &inner, &tasks, role.def.span.as_ref())?;
        }
        let handlers_from = from.handlers.as_deref();
        if let Some(handlers) = load_role_file(ctx, &role, "handlers", handlers_from, false)? {
            inner.handlers = true;
            role.handlers = load_entries(ctx, &inner, &handlers, role.def.span.as_ref())?;
        }
        Ok(role)
    }

    fn load_meta(&mut self, ctx: &mut Ctx<'_>, scope: &Scope, meta: &Value) -> Result<()> {
        let map = keywords::expect_map(meta, Kind::RoleMeta, None)?;
        for (key, k, v) in string_keys(map, Kind::RoleMeta)? {
            match key {
                "dependencies" => {
                    for (index, dep) in as_list(v).iter().enumerate().filter(|(_, d)| !d.is_null())
                    {
                        let key = (self.path.clone(), index);
                        let loaded = match ctx.role_deps.get(&key) {
                            Some(role) => Arc::clone(role),
                            None => {
                                let def = RoleDef::parse(dep)?;
                                let basedir = self.path.parent();
                                let role =
                                    Role::load(ctx, scope, def, &FromFiles::default(), basedir)?;
                                let role = Arc::new(role);
                                ctx.role_deps.insert(key, Arc::clone(&role));
                                role
                            }
                        };
                        self.dependencies.push(loaded);
                    }
                }
                "allow_duplicates" => self.allow_duplicates = v.as_bool().unwrap_or(false),
                _ if Kind::RoleMeta.accepts(key) => {}
                _ => return Err(keywords::unknown(Kind::RoleMeta, key, k.span.as_ref())),
            }
        }
        Ok(())
    }
}

/// Loads `<role>/<sub>/<from>` (`from` defaults to `main`), trying the extensions Ansible
/// tries (Ansible's `Role._load_role_yaml`); `None` when the role has no such file or it is
/// empty. With `allow_dir` (vars and defaults), a directory of that name gives every file in it,
/// merged in sorted order. A `*_from` file that does not exist is a parser error, but only when
/// `<sub>/` exists.
fn load_role_file(
    ctx: &mut Ctx<'_>,
    role: &Role,
    sub: &str,
    from: Option<&str>,
    allow_dir: bool,
) -> Result<Option<Value>> {
    let dir = crate::loader::normalize(&role.path.join(sub));
    let key = (dir.clone(), from.map(str::to_string));
    if let Some(cached) = ctx.role_files.get(&key) {
        return Ok(cached.clone());
    }
    let span = role.def.span.as_ref();
    let mut found = Vec::new();
    if ctx.loader.is_dir(&dir) {
        let exts: &[&str] = match from {
            None => &[".yml", ".yaml", ".json", ""],
            Some(_) => &["", ".yml", ".yaml", ".json"],
        };
        let stem = from.unwrap_or("main");
        for ext in exts {
            let path = crate::loader::normalize(&dir.join(format!("{stem}{ext}")));
            if !ctx.loader.exists(&path) {
                continue;
            }
            if !ctx.loader.is_dir(&path) {
                found.push(path);
            } else if allow_dir {
                dir_files(ctx.loader, &path, exts, &mut found).map_err(|err| {
                    Error::resolve(
                        format!("could not list '{}': {err}", path.display()),
                        span,
                        "check the directory's permissions",
                    )
                })?;
            } else {
                continue;
            }
            break;
        }
        if let (true, Some(file)) = (found.is_empty(), from) {
            return Err(Error::parse(
                format!("Could not find specified file in role: {sub}/{file}"),
                span,
                format!(
                    "looked for {file}, {file}.yml, {file}.yaml and {file}.json in {}",
                    dir.display()
                ),
            ));
        }
    }
    let mut data: Option<Value> = None;
    for path in found {
        if !path.starts_with(&dir) {
            return Err(Error::parse(
                format!(
                    "Failed loading '{}' for role ({}) as it is not inside the expected role path: '{}'",
                    path.display(),
                    role.name,
                    dir.display()
                ),
                span,
                format!("name a file inside {sub}/ of the role"),
            ));
        }
        let (value, warnings) = load_yaml(ctx.loader, &path, span)?;
        ctx.warnings.extend(warnings);
        if !is_truthy(&value) {
            continue;
        }
        data = Some(match (data, value.as_map()) {
            (Some(old), Some(new)) => {
                let mut merged = old.as_map().cloned().ok_or_else(|| {
                    Error::resolve(
                        format!(
                            "failed to combine variables, expected dicts but got a '{}' and a '{}'",
                            old.type_name(),
                            value.type_name()
                        ),
                        span,
                        format!("every file in {sub}/ must hold 'name: value' lines"),
                    )
                })?;
                merged.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
                Value::map(merged).with_span(old.span.clone())
            }
            _ => value,
        });
    }
    ctx.role_files.insert(key, data.clone());
    Ok(data)
}

/// Loads the role's `vars` or `defaults` (`sub`), which must be a mapping.
fn load_role_vars(
    ctx: &mut Ctx<'_>,
    role: &Role,
    sub: &str,
    from: Option<&str>,
) -> Result<Option<Value>> {
    match load_role_file(ctx, role, sub, from, true)? {
        Some(value) if value.as_map().is_none() => Err(Error::parse(
            format!(
                "The {sub}/main.yml file for role '{}' must contain a dictionary of variables",
                role.name
            ),
            value.span.as_ref().or(role.def.span.as_ref()),
            "write the file as 'name: value' lines",
        )),
        other => Ok(other),
    }
}

/// Appends the files of directory `dir` as Ansible's `_get_dir_vars_files` finds them: sorted by
/// name, hidden files and `~` backups skipped, subdirectories without an extension walked, and
/// only files without an extension or with one of `exts`.
fn dir_files(
    loader: &dyn Loader,
    dir: &Path,
    exts: &[&str],
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut names = loader.list_dir(dir)?;
    names.sort_unstable();
    for name in names
        .iter()
        .filter(|n| !n.starts_with('.') && !n.ends_with('~'))
    {
        let path = dir.join(name);
        // Python's `os.path.splitext`: the last dot starts the extension (the name has no
        // leading dot here).
        let ext = name.rfind('.').map_or("", |at| &name[at..]);
        if loader.is_dir(&path) {
            if ext.is_empty() {
                dir_files(loader, &path, exts, out)?;
            }
        } else if loader.exists(&path) && (ext.is_empty() || exts.contains(&ext)) {
            out.push(path);
        }
    }
    Ok(())
}

/// Python's truth value: `None`, `False`, zero and empty strings and containers are false.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Null => false,
        ValueKind::Bool(b) => *b,
        ValueKind::Int(i) => *i != 0,
        ValueKind::Float(f) => *f != 0.0,
        ValueKind::Str(s) | ValueKind::Unsafe(s) => !s.is_empty(),
        ValueKind::Seq(items) => !items.is_empty(),
        ValueKind::Map(map) => !map.is_empty(),
        ValueKind::Timestamp(_) | ValueKind::Vault(_) => true,
    }
}
