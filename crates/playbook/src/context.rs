//! What the loader carries while it walks playbooks, roles and task files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxible_yaml::{Diagnostic, Map, Value};

use crate::loader::Loader;
use crate::role::Role;
use crate::template::{SimpleTemplar, Templar};

/// Settings for loading a playbook, supplied by the caller (the CLI reads them from ansible.cfg
/// and the command line).
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Configured role directories (`roles_path`), searched after the playbook's own `roles/`.
    pub roles_path: Vec<PathBuf>,
    /// Extra vars (`-e`): they win over play vars when names and paths are templated.
    pub extra_vars: Map,
    /// Renders `{{ }}` in play names, hosts, role names and import paths.
    pub templar: Arc<dyn Templar>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            roles_path: Vec::new(),
            extra_vars: Map::new(),
            templar: Arc::new(SimpleTemplar),
        }
    }
}

/// How many task list entries one playbook may expand to, YAML aliases included: a document
/// that references lists of lists by alias (a "billion laughs") is refused past this.
pub(crate) const MAX_ENTRIES: usize = 1_000_000;

/// The loader's state shared by the whole walk.
pub(crate) struct Ctx<'a> {
    pub loader: &'a dyn Loader,
    pub options: &'a LoadOptions,
    pub warnings: Vec<Diagnostic>,
    /// Role files already read, by role subdirectory and `*_from` name (`None` for `main`):
    /// each is read and parsed once per run, however many times the role is used.
    pub role_files: HashMap<(PathBuf, Option<String>), Option<Value>>,
    /// Meta dependencies already loaded in the current play, by the depending role's path and
    /// the dependency's index (Ansible's `play.role_cache`): a role reached by several paths
    /// is loaded once and shared.
    pub role_deps: HashMap<(PathBuf, usize), Arc<Role>>,
    /// Task list entries loaded so far, against [`MAX_ENTRIES`].
    pub entries: usize,
}

impl<'a> Ctx<'a> {
    /// A fresh walk reading through `loader`.
    pub fn new(loader: &'a dyn Loader, options: &'a LoadOptions) -> Self {
        Self {
            loader,
            options,
            warnings: Vec::new(),
            role_files: HashMap::new(),
            role_deps: HashMap::new(),
            entries: 0,
        }
    }
}

/// One step of static loading around a point: a task file `import_tasks` brought in, or a role
/// being loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// An imported task file.
    File(PathBuf),
    /// A role's directory.
    Role(PathBuf),
}

/// Where a list of tasks is being loaded from.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    /// The directory of the playbook that holds the play (Ansible's loader basedir).
    pub basedir: PathBuf,
    /// The imported files and roles around this point, outermost first: cycles are detected
    /// on it, and it gives the current role and the directories relative imports are tried in.
    pub chain: Vec<Link>,
    /// Variables for static templating: play vars overridden by extra vars.
    pub vars: Map,
    /// Whether the list holds handlers.
    pub handlers: bool,
}

impl Scope {
    /// A scope for the top level of a play defined in a playbook in `basedir`.
    pub fn play(basedir: &Path, vars: Map) -> Self {
        Self {
            basedir: basedir.to_path_buf(),
            chain: Vec::new(),
            vars,
            handlers: false,
        }
    }

    /// The directory of the role being loaded (the innermost one), if any.
    pub fn role(&self) -> Option<&Path> {
        self.chain.iter().rev().find_map(|link| match link {
            Link::Role(path) => Some(path.as_path()),
            Link::File(_) => None,
        })
    }

    /// The directories of the files imported since the innermost role, innermost first.
    pub fn import_dirs(&self) -> impl Iterator<Item = &Path> {
        self.chain.iter().rev().map_while(|link| match link {
            Link::File(file) => Some(file.parent().unwrap_or(Path::new(""))),
            Link::Role(_) => None,
        })
    }
}
