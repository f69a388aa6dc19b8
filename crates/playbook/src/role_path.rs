//! Finding a role's directory from its name (Ansible's `RoleDefinition._load_role_path`).
//!
//! Search order, first existing path wins: `<playbook dir>/roles/<name>`, each configured
//! `roles_path` directory, the directory holding the role that asks (for meta dependencies only:
//! not for `import_role`/`include_role` inside a role), the playbook directory itself, and finally
//! `<name>` as a path relative to the current directory (then the role is named after the path's
//! last component).
//! Galaxy-style names such as `ome.nginx` are plain directory names here.

use std::path::{Path, PathBuf};

use crate::loader::{Loader, normalize};

/// A role found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The role's name as Ansible shows it (`r : task`).
    pub name: String,
    /// The role's directory.
    pub path: PathBuf,
}

/// The directories searched for `name`, in order (without the final current-directory try).
pub fn search_dirs(
    basedir: &Path,
    roles_path: &[PathBuf],
    role_basedir: Option<&Path>,
) -> Vec<PathBuf> {
    let mut dirs = vec![basedir.join("roles")];
    dirs.extend(roles_path.iter().cloned());
    dirs.extend(role_basedir.map(Path::to_path_buf));
    dirs.push(basedir.to_path_buf());
    dirs
}

/// Finds role `name`, or returns the directories searched.
pub fn find(
    loader: &dyn Loader,
    name: &str,
    basedir: &Path,
    roles_path: &[PathBuf],
    role_basedir: Option<&Path>,
) -> Result<Found, Vec<PathBuf>> {
    let dirs = search_dirs(basedir, roles_path, role_basedir);
    if let Some(path) = dirs
        .iter()
        .map(|d| normalize(&d.join(name)))
        .find(|p| loader.exists(p))
    {
        return Ok(Found {
            name: name.to_string(),
            path,
        });
    }
    let direct = PathBuf::from(name);
    let direct = if direct.is_absolute() {
        normalize(&direct)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(direct))
    };
    if loader.exists(&direct) {
        let base = direct
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(Found {
            name: base,
            path: direct,
        });
    }
    Err(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::FsLoader;

    #[test]
    fn searches_playbook_roles_then_roles_path_then_playbook_dir() {
        let tmp = std::env::temp_dir().join(format!("oxible-role-path-{}", std::process::id()));
        let _ = std::fs::create_dir_all(tmp.join("roles/a"));
        let _ = std::fs::create_dir_all(tmp.join("extra/b"));
        let _ = std::fs::create_dir_all(tmp.join("ome.c"));
        let extra = vec![tmp.join("extra")];
        let found = |n: &str| find(&FsLoader, n, &tmp, &extra, None);
        assert_eq!(found("a").unwrap().path, tmp.join("roles/a"));
        assert_eq!(found("b").unwrap().path, tmp.join("extra/b"));
        assert_eq!(found("ome.c").unwrap().name, "ome.c");
        let searched = found("nope").unwrap_err();
        assert_eq!(
            searched,
            vec![tmp.join("roles"), tmp.join("extra"), tmp.clone()]
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
