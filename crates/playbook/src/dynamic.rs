//! Loading at run time what `include_tasks` and `include_role` name (Ansible's dynamic
//! includes): the executor templates the arguments, then asks for the entries here.

use std::path::{Path, PathBuf};

use oxible_yaml::{Map, Span, Value};

use crate::block::{Entry, import_candidates, load_entries};
use crate::context::{Ctx, Link, LoadOptions, Scope};
use crate::error::{Error, Result};
use crate::loader::{Loader, load_yaml};
use crate::role::{FromFiles, Role, RoleDef};

/// Where an include task sits: the playbook's directory, the role it belongs to, and the file
/// it is written in (relative include paths are tried from these, as Ansible does).
#[derive(Clone, Debug)]
pub struct IncludeSite<'a> {
    /// The directory of the playbook holding the play.
    pub basedir: &'a Path,
    /// The directory of the role the include task belongs to.
    pub role: Option<&'a Path>,
    /// The file the include task is written in.
    pub file: Option<&'a Path>,
    /// Whether the include is in a handlers list.
    pub handlers: bool,
}

impl IncludeSite<'_> {
    fn scope(&self) -> Scope {
        let mut scope = Scope::play(self.basedir, Map::new());
        scope.handlers = self.handlers;
        if let Some(role) = self.role {
            scope.chain.push(Link::Role(role.to_path_buf()));
        }
        if let Some(file) = self.file.filter(|f| Some(*f) != Some(Path::new(""))) {
            scope.chain.push(Link::File(file.to_path_buf()));
        }
        scope
    }
}

/// Finds the task file `target` (already templated) from `site` and loads its entries;
/// returns the file's path too (for `included: <file> for <hosts>`).
pub fn load_included_tasks(
    loader: &dyn Loader,
    options: &LoadOptions,
    site: &IncludeSite<'_>,
    target: &str,
    span: Option<&Span>,
) -> Result<(PathBuf, Vec<Entry>)> {
    let scope = site.scope();
    let candidates = import_candidates(&scope, target);
    let file = candidates
        .iter()
        .find(|p| loader.exists(p))
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            Error::resolve(
                format!("Could not find or access '{target}'"),
                span,
                format!("tried: {}", tried.join(", ")),
            )
        })?;
    let mut ctx = Ctx::new(loader, options);
    let (data, _) = load_yaml(loader, &file, span)?;
    let mut inner = scope;
    inner.chain.push(Link::File(file.clone()));
    let entries = load_entries(&mut ctx, &inner, &data, span)?;
    Ok((file, entries))
}

/// The role an `include_role` names and the `*_from` files it picks.
#[derive(Clone, Debug, Default)]
pub struct RoleInclude {
    /// The role name or path (already templated).
    pub name: String,
    /// `tasks_from`.
    pub tasks_from: Option<String>,
    /// `vars_from`.
    pub vars_from: Option<String>,
    /// `defaults_from`.
    pub defaults_from: Option<String>,
    /// `handlers_from`.
    pub handlers_from: Option<String>,
}

/// Finds and loads the role `include` names, from `site`, with its dependencies.
pub fn load_included_role(
    loader: &dyn Loader,
    options: &LoadOptions,
    site: &IncludeSite<'_>,
    include: &RoleInclude,
    span: Option<&Span>,
) -> Result<Role> {
    let mut ctx = Ctx::new(loader, options);
    let mut scope = site.scope();
    scope.chain.retain(|link| matches!(link, Link::Role(_)));
    let def = RoleDef::from_name(
        Value::from(include.name.as_str()).with_span(span.cloned()),
        span.cloned(),
    );
    let from = FromFiles {
        tasks: include.tasks_from.clone(),
        handlers: include.handlers_from.clone(),
        vars: include.vars_from.clone(),
        defaults: include.defaults_from.clone(),
    };
    Role::load(&mut ctx, &scope, def, &from, None)
}
