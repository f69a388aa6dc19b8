//! Where controller-side actions look for the files a task names (`include_vars` files,
//! `template` sources): Ansible's search path (`Task.get_search_path`), i.e. the task's role,
//! the roles around it innermost first (its dependency chain: the roles it is a dependency of,
//! or that import or include it), then the directory of the file the task is written in, then
//! the playbook's directory; in each, `<dirname>/<name>` first, then `<name>`.

use std::path::{Path, PathBuf};

use crate::task::TaskRun;

impl TaskRun<'_, '_> {
    /// The directories a task's relative paths are searched from, in order.
    pub(crate) fn search_path(&self) -> Vec<PathBuf> {
        let mut stack: Vec<PathBuf> = Vec::new();
        if let Some(role) = self.inherited.role {
            stack.push(role.path.clone());
            for outer in self.inherited.outer_roles.iter().rev() {
                if !stack.contains(&outer.path) {
                    stack.push(outer.path.clone());
                }
            }
        }
        if let Some(span) = &self.task.span
            && let Some(dir) = span.path().parent()
        {
            stack.push(dir.to_path_buf());
        }
        stack.push(self.play.play.basedir.clone());
        stack
    }

    /// Finds `needle` under `dirname` (`vars`, `templates`, `files`) along the task's search
    /// path; the error names every place tried, as Ansible's `AnsibleFileNotFound` does.
    pub(crate) fn find_needle(&self, dirname: &str, needle: &str) -> Result<PathBuf, String> {
        let needle_path = Path::new(needle);
        let mut tried: Vec<PathBuf> = Vec::new();
        if needle_path.is_absolute() {
            tried.push(needle_path.to_path_buf());
        } else {
            let under_dirname = needle.split('/').next() == Some(dirname);
            for base in self.search_path() {
                if !under_dirname {
                    tried.push(base.join(dirname).join(needle));
                }
                tried.push(base.join(needle));
            }
        }
        // Kept with repeats (the task's directory is often the playbook's), as ansible-core's
        // `path_dwim_relative_stack` lists them.
        let tried: Vec<PathBuf> = tried
            .into_iter()
            .map(|p| std::path::absolute(&p).unwrap_or(p))
            .collect();
        if let Some(found) = tried.iter().find(|p| p.exists()) {
            return Ok(found.clone());
        }
        let searched: Vec<String> = tried.iter().map(|p| format!("\t{}", p.display())).collect();
        Err(format!(
            "Could not find or access '{needle}'\nSearched in:\n{} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option",
            searched.join("\n")
        ))
    }
}
