//! Roles: found on disk, their files loaded, their dependencies expanded
//! (Ansible's `RoleDefinition`, `RoleInclude`, `Role.load` and `RoleMetadata`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxible_yaml::{Map, Span, Value};

use crate::block::{Entry, load_entries};
use crate::context::{Ctx, RoleScope, Scope};
use crate::error::{Error, Result};
use crate::keywords::{self, Keywords, Kind, string_keys};
use crate::loader::load_yaml;
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
    /// `defaults/main.yml`, untemplated.
    pub defaults: Option<Value>,
    /// `vars/main.yml`, untemplated.
    pub vars: Option<Value>,
}

impl Role {
    /// Finds and loads the role `def` names, with its dependencies.
    pub(crate) fn load(
        ctx: &mut Ctx<'_>,
        scope: &Scope,
        def: RoleDef,
        tasks_from: Option<&str>,
        handlers_from: Option<&str>,
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
        let role_basedir = scope
            .role
            .as_ref()
            .and_then(|r| r.path.parent().map(Path::to_path_buf));
        let found = role_path::find(ctx.loader, &name, &scope.basedir, &ctx.options.roles_path, role_basedir.as_deref())
            .map_err(|searched| {
                let list: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
                Error::resolve(
                    format!("the role '{name}' was not found in {}", list.join(":")),
                    def.name.span.as_ref().or(def.span.as_ref()),
                    "put the role in one of these directories, or add its directory to roles_path (ansible.cfg or ANSIBLE_ROLES_PATH)",
                )
            })?;
        if scope.chain.contains(&found.path) {
            return Err(Error::parse(
                format!("role '{name}' depends on itself"),
                def.span.as_ref(),
                "remove the dependency cycle from meta/main.yml",
            ));
        }
        let mut inner = scope.clone();
        inner.role = Some(RoleScope {
            path: found.path.clone(),
        });
        inner.import_dirs.clear();
        inner.handlers = false;
        inner.chain.push(found.path.clone());

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
        if let Some(meta) = load_role_file(ctx, &role, "meta", None)? {
            role.load_meta(ctx, &inner, &meta)?;
        }
        if let Some(tasks) = load_role_file(ctx, &role, "tasks", tasks_from)? {
            role.tasks = load_entries(ctx, &inner, &tasks, role.def.span.as_ref())?;
        }
        if let Some(handlers) = load_role_file(ctx, &role, "handlers", handlers_from)? {
            inner.handlers = true;
            role.handlers = load_entries(ctx, &inner, &handlers, role.def.span.as_ref())?;
        }
        role.defaults = load_role_file(ctx, &role, "defaults", None)?;
        role.vars = load_role_file(ctx, &role, "vars", None)?;
        Ok(role)
    }

    fn load_meta(&mut self, ctx: &mut Ctx<'_>, scope: &Scope, meta: &Value) -> Result<()> {
        if meta.is_null() {
            return Ok(());
        }
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
                                let role = Arc::new(Role::load(ctx, scope, def, None, None)?);
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

/// Loads `<role>/<sub>/<main>` (`main` defaults to `main`), trying the extensions Ansible tries;
/// `None` when the role has no such file. A `*_from` file that does not exist is an error.
fn load_role_file(
    ctx: &mut Ctx<'_>,
    role: &Role,
    sub: &str,
    from: Option<&str>,
) -> Result<Option<Value>> {
    let dir = crate::loader::normalize(&role.path.join(sub));
    let key = (dir.clone(), from.map(str::to_string));
    if let Some(cached) = ctx.role_files.get(&key) {
        return Ok(cached.clone());
    }
    let exts: &[&str] = match from {
        None => &[".yml", ".yaml", ".json", ""],
        Some(_) => &["", ".yml", ".yaml", ".json"],
    };
    let stem = from.unwrap_or("main");
    let found = ctx.loader.is_dir(&dir).then(|| {
        exts.iter()
            .map(|ext| crate::loader::normalize(&dir.join(format!("{stem}{ext}"))))
            .find(|p| ctx.loader.exists(p) && !ctx.loader.is_dir(p))
    });
    match (found.flatten(), from) {
        (Some(path), _) if !path.starts_with(&dir) => Err(Error::parse(
            format!(
                "Failed loading '{}' for role ({}) as it is not inside the expected role path: '{}'",
                path.display(),
                role.name,
                dir.display()
            ),
            role.def.span.as_ref(),
            format!("name a file inside {}/ of the role", sub),
        )),
        (Some(path), _) => {
            let (value, warnings) = load_yaml(ctx.loader, &path, role.def.span.as_ref())?;
            ctx.warnings.extend(warnings);
            ctx.role_files.insert(key, Some(value.clone()));
            Ok(Some(value))
        }
        (None, Some(file)) => Err(Error::resolve(
            format!("Could not find specified file in role: {sub}/{file}"),
            role.def.span.as_ref(),
            format!(
                "looked for {file}, {file}.yml, {file}.yaml and {file}.json in {}",
                dir.display()
            ),
        )),
        (None, None) => {
            ctx.role_files.insert(key, None);
            Ok(None)
        }
    }
}
