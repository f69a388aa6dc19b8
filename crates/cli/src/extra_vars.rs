//! `-e`/`--extra-vars`: `k=v` pairs, inline YAML/JSON, or `@file`, merged left to right
//! (Ansible's `load_extra_vars`).

use std::path::Path;

use oxible_yaml::{Diagnostic, Loaded, Map, Source, Value, load_source};

use crate::exit::{Failure, FailureClass};

/// All `-e` values merged into one mapping (later values win), with the warnings loading them
/// gave (duplicate keys), in order.
pub fn parse(values: &[String]) -> Result<(Map, Vec<Diagnostic>), Failure> {
    let mut vars = Map::new();
    let mut warnings = Vec::new();
    for value in values.iter().filter(|v| !v.is_empty()) {
        let (shown, loaded) = one(value)?;
        warnings.extend(loaded.warnings);
        match loaded.value.as_map() {
            Some(map) => vars.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            None => {
                return Err(Failure::new(
                    FailureClass::Options,
                    format!(
                        "Invalid extra vars data supplied. '{shown}' could not be made into a dictionary"
                    ),
                ));
            }
        }
    }
    Ok((vars, warnings))
}

/// One non-empty `-e` value as data, with the value as Ansible's messages show it (an `@file`
/// made absolute).
fn one(value: &str) -> Result<(String, Loaded), Failure> {
    let load = |source| load_source(source).map_err(Failure::from);
    if let Some(file) = value.strip_prefix('@') {
        let path = std::env::current_dir().unwrap_or_default().join(file);
        let shown = format!("@{}", path.display());
        return Ok((shown, load(Source::new(&path, read(&path)?))?));
    }
    if value.starts_with(['/', '.']) {
        return Err(Failure::new(
            FailureClass::Options,
            format!("Please prepend extra_vars filename '{value}' with '@'"),
        ));
    }
    if value.starts_with(['{', '[']) {
        return Ok((value.into(), load(Source::new("<extra vars>", value))?));
    }
    let pairs = oxible_playbook::splitter::parse_kv(value, false)
        .map_err(|e| Failure::new(FailureClass::Options, e))?;
    let map = pairs
        .into_iter()
        .map(|(k, v)| (Value::from(k), Value::from(v)))
        .collect();
    let loaded = Loaded {
        value: Value::map(map),
        warnings: Vec::new(),
    };
    Ok((value.into(), loaded))
}

/// The text of an `@file`: a directory is a parser error (exit code 4) as in Ansible, any other
/// failure a plain one.
fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|err| {
        if path.is_dir() {
            Failure::new(
                FailureClass::Parser,
                format!(
                    "An error occurred while trying to read the file '{}': {err}",
                    path.display()
                ),
            )
        } else {
            Failure::new(
                FailureClass::General,
                format!(
                    "Could not find or access '{}' given to --extra-vars: {err}",
                    path.display()
                ),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_kv_json_and_yaml() {
        let (vars, warnings) = parse(&[
            "a=1 b='x y'".into(),
            String::new(),
            r#"{"a": 2, "c": [1], "c": [2]}"#.into(),
        ])
        .unwrap();
        assert_eq!(vars.get(&Value::from("a")), Some(&Value::from(2)));
        assert_eq!(vars.get(&Value::from("b")), Some(&Value::from("x y")));
        assert!(vars.contains_key(&Value::from("c")));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn rejects_non_mappings_paths_and_missing_files() {
        assert_eq!(
            parse(&["[1]".into()]).unwrap_err().class,
            FailureClass::Options
        );
        let missing = parse(&["@/nonexistent/vars.yml".into()]).unwrap_err();
        assert_eq!(missing.class, FailureClass::General);
        assert!(missing.message.contains("/nonexistent/vars.yml"));
        for path in ["./vars.yml", "/x", ".x"] {
            let err = parse(&[path.into()]).unwrap_err();
            assert_eq!(err.class, FailureClass::Options);
            assert_eq!(
                err.message,
                format!("Please prepend extra_vars filename '{path}' with '@'")
            );
        }
        let dir = parse(&["@/".into()]).unwrap_err();
        assert_eq!(dir.class, FailureClass::Parser);
    }

    #[test]
    fn empty_file_is_not_a_dictionary() {
        let path = std::env::temp_dir().join(format!("oxible-empty-{}.yml", std::process::id()));
        std::fs::write(&path, "# nothing\n").unwrap();
        let err = parse(&[format!("@{}", path.display())]).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.class, FailureClass::Options);
        assert!(err.message.contains("could not be made into a dictionary"));
    }
}
