//! File access for the loader, behind a small trait so tests can serve files from memory.
//!
//! Ansible's `DataLoader` plays this role: every file the playbook stage reads (playbooks,
//! task files, role files) goes through it.

use std::path::{Path, PathBuf};

use oxible_yaml::{Source, Span, Value, load_source};

use crate::error::{Error, Result};

/// Where the playbook stage reads files from.
pub trait Loader {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// Whether anything exists at `path` (Ansible's `path_exists`).
    fn exists(&self, path: &Path) -> bool;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// The names of the entries of directory `path`, in no particular order (Ansible's
    /// `list_directory`).
    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>>;
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        std::fs::read_dir(path)?
            .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
            .collect()
    }
}

/// Reads and parses the YAML file at `path`; `wanted_by` is the spot that named the file, so a
/// missing file is reported there (Ansible only names the path).
pub(crate) fn load_yaml(
    loader: &dyn Loader,
    path: &Path,
    wanted_by: Option<&Span>,
) -> Result<(Value, Vec<oxible_yaml::Diagnostic>)> {
    let text = loader.read(path).map_err(|err| {
        Error::resolve(
            format!("could not read '{}': {err}", path.display()),
            wanted_by,
            "check the path: relative paths are resolved as listed in the oxible documentation, \
             like Ansible does",
        )
    })?;
    let loaded = load_source(Source::new(path, text))?;
    Ok((loaded.value, loaded.warnings))
}

/// Lexically normalises `path` (removes `.` and resolves `..`), as Python's `normpath`.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }

    #[test]
    fn missing_file_is_a_resolve_error_naming_the_path() {
        let err = load_yaml(&FsLoader, Path::new("/nonexistent/x.yml"), None).unwrap_err();
        assert!(!err.is_parser_error());
        assert!(err.to_string().contains("/nonexistent/x.yml"));
    }
}
