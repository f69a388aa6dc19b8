//! `group_vars/` and `host_vars/` directories, read as Ansible's `host_group_vars` vars plugin
//! and `DataLoader.find_vars_files` read them.
//!
//! For an entity `web` under a base directory, the first of `group_vars/web`,
//! `group_vars/web.yml`, `.yaml`, `.json` that exists is used; when it is a directory, every
//! file in it (recursively, sorted, skipping hidden files, `~` backups and other extensions)
//! is loaded in order, later files overriding earlier ones key by key.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use oxible_yaml::{Diagnostic, Map, load_file};

use crate::error::InventoryError;

/// File extensions vars files may have (`YAML_FILENAME_EXTENSIONS`, plus none).
const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

/// Whether a directory holds variables for groups or for hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `group_vars/`.
    Group,
    /// `host_vars/`.
    Host,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Group => "group_vars",
            Kind::Host => "host_vars",
        }
    }
}

/// The variables found under one base directory, by entity.
#[derive(Clone, Debug, Default)]
pub struct VarsDir {
    /// The base directory (an inventory source's directory, or a playbook's).
    pub base: PathBuf,
    /// Variables by (kind, entity name); entities without files are absent.
    pub vars: IndexMap<(Kind, String), Map>,
}

impl VarsDir {
    /// Loads the files for `entities` under `base`.
    pub fn load<'a>(
        base: &Path,
        entities: impl IntoIterator<Item = (Kind, &'a str)>,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Self, InventoryError> {
        let mut out = VarsDir {
            base: base.to_path_buf(),
            vars: IndexMap::new(),
        };
        for kind in [Kind::Group, Kind::Host] {
            let dir = base.join(kind.dir());
            if dir.exists() && !dir.is_dir() {
                warnings.push(Diagnostic::warning(
                    format!(
                        "Found {} that is not a directory, skipping: {}",
                        kind.dir(),
                        dir.display()
                    ),
                    None,
                ));
            }
        }
        for (kind, name) in entities {
            // Ansible skips names starting with '/' ('chroot' style hosts).
            if name.starts_with('/') {
                continue;
            }
            let dir = base.join(kind.dir());
            if !dir.is_dir() {
                continue;
            }
            let files = find_vars_files(&dir, name)?;
            let mut merged = Map::new();
            for file in &files {
                merged.extend(load_vars_file(file, warnings)?);
            }
            if !files.is_empty() {
                out.vars.insert((kind, name.to_string()), merged);
            }
        }
        Ok(out)
    }

    /// The variables for `name` of `kind`, if any file defined them.
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Map> {
        self.vars.get(&(kind, name.to_string()))
    }
}

/// The files holding variables for `name` under `dir` (`find_vars_files`).
fn find_vars_files(dir: &Path, name: &str) -> Result<Vec<PathBuf>, InventoryError> {
    for ext in EXTENSIONS {
        let path = dir.join(format!("{name}{ext}"));
        if path.is_dir() {
            let mut found = Vec::new();
            dir_files(&path, &mut found)?;
            return Ok(found);
        }
        if path.exists() {
            return Ok(vec![path]);
        }
    }
    Ok(Vec::new())
}

/// Files under `dir`, sorted, recursing into extension-less directories (`_get_dir_vars_files`).
fn dir_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    let io = |source| InventoryError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = Path::new(&name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()));
        match ext {
            None if path.is_dir() => dir_files(&path, found)?,
            _ if path.is_file() && EXTENSIONS.contains(&ext.as_deref().unwrap_or("")) => {
                found.push(path)
            }
            _ => {}
        }
    }
    Ok(())
}

/// Loads one vars file: a mapping, or empty (ignored).
fn load_vars_file(path: &Path, warnings: &mut Vec<Diagnostic>) -> Result<Map, InventoryError> {
    let loaded = load_file(path).map_err(|e| match e {
        oxible_yaml::LoadError::Io { path, source } => InventoryError::Io { path, source },
        oxible_yaml::LoadError::Invalid(d) => InventoryError::Parse(d),
    })?;
    warnings.extend(loaded.warnings);
    let value = loaded.value;
    match value.as_map() {
        Some(map) => Ok(map.clone()),
        None if value.is_null() => Ok(Map::new()),
        None => Err(InventoryError::Parse(Box::new(
            Diagnostic::error(
                format!(
                    "Could not process '{}': vars files must hold a mapping, got {}",
                    path.display(),
                    value.type_name()
                ),
                value.span.clone(),
            )
            .with_help("write variables as `name: value` lines"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use oxible_yaml::Value;

    use super::*;

    #[test]
    fn file_and_directory_forms() {
        let base = std::env::temp_dir().join(format!("oxible-vars-dirs-{}", std::process::id()));
        let gv = base.join("group_vars");
        std::fs::create_dir_all(gv.join("web/sub")).unwrap();
        std::fs::write(gv.join("all.yaml"), "a: 1\n").unwrap();
        std::fs::write(gv.join("web/1.yml"), "w: 1\nx: 1\n").unwrap();
        std::fs::write(gv.join("web/sub/2"), "x: 2\n").unwrap();
        std::fs::write(gv.join("web/3.txt"), "x: 3\n").unwrap();
        std::fs::write(gv.join("web/4.yml~"), "x: 4\n").unwrap();
        std::fs::write(gv.join("db.json"), "[1]").unwrap();
        let mut w = Vec::new();
        let dir =
            VarsDir::load(&base, [(Kind::Group, "all"), (Kind::Group, "web")], &mut w).unwrap();
        assert_eq!(
            dir.get(Kind::Group, "all")
                .and_then(|m| m.get(&Value::from("a"))),
            Some(&Value::from(1))
        );
        let web = dir.get(Kind::Group, "web").unwrap();
        assert_eq!(web.get(&Value::from("x")), Some(&Value::from(2)));
        assert!(dir.get(Kind::Host, "web").is_none());
        assert!(VarsDir::load(&base, [(Kind::Group, "db")], &mut w).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
