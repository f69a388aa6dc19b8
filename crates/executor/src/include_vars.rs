//! `include_vars`: variables read on the controller from a YAML/JSON file, or from the files of
//! a directory (`dir`, `depth`, `files_matching`, `ignore_files`, `extensions`), into the
//! host's `include_vars` layer, or under `name`.

use std::path::{Path, PathBuf};

use oxible_yaml::{Map, Value};

use crate::events::Status;
use crate::host::HostState;
use crate::task::{Ran, TaskRun};

/// Extensions `include_vars` reads by default.
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

impl TaskRun<'_, '_> {
    /// Runs `include_vars` with templated `args` on `host`.
    pub(crate) fn include_vars(&self, args: &Map, host: &mut HostState) -> Ran {
        let arg = |key: &str| args.get(&Value::from(key));
        let text = |key: &str| arg(key).map(Value::py_str);
        let mut files = Vec::new();
        let loaded = match (text("dir"), text("file").or_else(|| text("_raw_params"))) {
            (Some(_), Some(_)) => Err(
                "You are mixing file only and dir only arguments, these are incompatible".into(),
            ),
            (Some(dir), None) => self.vars_dir(&dir, args, &mut files),
            (None, Some(file)) => self
                .find_needle("vars", file.trim_end_matches('\n'))
                .and_then(|path| read_vars(&path, &mut files)),
            (None, None) => Ok(Map::new()),
        };
        // include_vars' keys, on success and (ansible-core returns them too) on failure.
        let result_with = |facts: Map| {
            let mut result = Map::new();
            result.insert(Value::from("ansible_facts"), Value::map(facts));
            let files = files
                .iter()
                .map(|f| Value::from(f.display().to_string()))
                .collect();
            result.insert(Value::from("ansible_included_var_files"), Value::seq(files));
            result.insert(Value::from("changed"), Value::from(false));
            result
        };
        let mut vars = match loaded {
            Ok(vars) => vars,
            Err(message) => {
                let mut result = result_with(Map::new());
                result.insert(Value::from("failed"), Value::from(true));
                result.insert(Value::from("message"), Value::from(message));
                return Ran {
                    status: Status::Failed,
                    result,
                };
            }
        };
        if let Some(name) = text("name") {
            let mut named = Map::new();
            named.insert(Value::from(name), Value::map(vars));
            vars = named;
        }
        for (key, value) in &vars {
            host.include_vars.insert(key.clone(), value.clone());
        }
        Ran {
            status: Status::Ok,
            result: result_with(vars),
        }
    }

    /// The variables of every matching file under `dir`, walked in sorted order.
    fn vars_dir(&self, dir: &str, args: &Map, files: &mut Vec<PathBuf>) -> Result<Map, String> {
        let arg = |key: &str| args.get(&Value::from(key));
        let root = self.vars_dir_root(dir);
        if !root.exists() {
            return Err(format!("{} directory does not exist", root.display()));
        }
        if !root.is_dir() {
            return Err(format!("{} is not a directory", root.display()));
        }
        let depth = arg("depth")
            .and_then(|d| d.py_str().parse::<usize>().ok())
            .unwrap_or(0);
        let matcher = match arg("files_matching") {
            Some(pattern) => Some(
                regex::Regex::new(&pattern.py_str())
                    .map_err(|e| format!("Invalid regular expression: {e}"))?,
            ),
            None => None,
        };
        let ignore: Vec<regex::Regex> = list(arg("ignore_files"))
            .iter()
            .map(|p| {
                regex::Regex::new(&format!("{p}$"))
                    .map_err(|_| format!("Invalid regular expression: {p}"))
            })
            .collect::<Result<_, _>>()?;
        let extensions = match arg("extensions") {
            Some(_) => list(arg("extensions")),
            None => EXTENSIONS.iter().map(|e| e.to_string()).collect(),
        };
        let skip_unknown = arg("ignore_unknown_extensions").is_some_and(crate::task::truthy_value);
        let mut dirs = Vec::new();
        walk(&root, 1, depth, &mut dirs);
        dirs.sort();
        let main_vars = self.inherited.role.map(|r| r.path.join("vars/main.yml"));
        let mut vars = Map::new();
        for dir in dirs {
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?
                .filter_map(Result::ok)
                .filter(|e| !e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let path = dir.join(&name);
                let known = Path::new(&name)
                    .extension()
                    .is_some_and(|e| extensions.iter().any(|x| *x == e.to_string_lossy()));
                if Some(&path) == main_vars.as_ref()
                    || matcher.as_ref().is_some_and(|m| !m.is_match(&name))
                    || ignore.iter().any(|re| re.is_match(&name))
                    || (skip_unknown && !known)
                {
                    continue;
                }
                if !known {
                    return Err(format!(
                        "{} does not have a valid extension: {}",
                        path.display(),
                        extensions.join(", ")
                    ));
                }
                vars.extend(read_vars(&path, files)?);
            }
        }
        Ok(vars)
    }

    /// Where a relative `dir` is: under the role's `vars/`, else beside the task's file.
    fn vars_dir_root(&self, dir: &str) -> PathBuf {
        let root = match self.inherited.role {
            Some(role) if dir.split('/').next() == Some("vars") => {
                let in_role = role.path.join(dir);
                if in_role.exists() {
                    in_role
                } else {
                    PathBuf::from(dir)
                }
            }
            Some(role) => role.path.join("vars").join(dir),
            None => match self.task.span.as_ref().and_then(|s| s.path().parent()) {
                Some(parent) => parent.join(dir),
                None => PathBuf::from(dir),
            },
        };
        std::path::absolute(&root).unwrap_or(root)
    }
}

/// The mapping in the YAML/JSON file `path` (an empty file is an empty mapping).
fn read_vars(path: &Path, files: &mut Vec<PathBuf>) -> Result<Map, String> {
    let loaded = oxible_yaml::load_file(path).map_err(|e| e.to_string())?;
    let vars = match &loaded.value.kind {
        oxible_yaml::ValueKind::Null => Map::new(),
        _ => loaded
            .value
            .as_map()
            .cloned()
            .ok_or_else(|| format!("{} must be stored as a dictionary/hash", path.display()))?,
    };
    files.push(path.to_path_buf());
    Ok(vars)
}

/// Directories under `dir` (itself at depth 1) no deeper than `depth` (0: no limit).
fn walk(dir: &Path, level: usize, depth: usize, out: &mut Vec<PathBuf>) {
    if depth != 0 && level > depth {
        return;
    }
    out.push(dir.to_path_buf());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            if entry.path().is_dir() {
                walk(&entry.path(), level + 1, depth, out);
            }
        }
    }
}

/// A list argument given as a list or a space-separated string.
fn list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(v) => match v.as_seq() {
            Some(items) => items.iter().map(Value::py_str).collect(),
            None => v.py_str().split_whitespace().map(str::to_string).collect(),
        },
        None => Vec::new(),
    }
}
