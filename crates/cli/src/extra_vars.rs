//! `-e`/`--extra-vars`: `k=v` pairs, inline YAML/JSON, or `@file`, merged left to right
//! (Ansible's `load_extra_vars`).

use std::path::Path;

use oxible_yaml::{Map, Source, Value, load_source};

use crate::exit::{Failure, FailureClass};

/// All `-e` values merged into one mapping; later values win.
pub fn parse(values: &[String]) -> Result<Map, Failure> {
    let mut vars = Map::new();
    for value in values {
        let data = one(value)?;
        match data.as_map() {
            Some(map) => vars.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            None if data.is_null() => {}
            None => {
                return Err(Failure::new(
                    FailureClass::Options,
                    format!(
                        "Invalid extra vars data supplied. '{value}' could not be made into a dictionary"
                    ),
                ));
            }
        }
    }
    Ok(vars)
}

/// One `-e` value as data.
fn one(value: &str) -> Result<Value, Failure> {
    let load = |source| load_source(source).map(|l| l.value).map_err(Failure::from);
    if let Some(file) = value.strip_prefix('@') {
        let path = Path::new(file);
        let text = std::fs::read_to_string(path).map_err(|err| {
            let shown = std::env::current_dir().unwrap_or_default().join(path);
            Failure::new(
                FailureClass::General,
                format!(
                    "Could not find or access '{}' given to --extra-vars: {err}",
                    shown.display()
                ),
            )
        })?;
        return load(Source::new(path, text));
    }
    if value.starts_with('{') || value.starts_with('[') {
        return load(Source::new("<extra vars>", value));
    }
    let pairs = oxible_playbook::splitter::parse_kv(value, false)
        .map_err(|e| Failure::new(FailureClass::Options, e))?;
    Ok(Value::map(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), Value::from(v)))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_kv_json_and_yaml() {
        let vars = parse(&["a=1 b='x y'".into(), r#"{"a": 2, "c": [1]}"#.into()]).unwrap();
        assert_eq!(vars.get(&Value::from("a")), Some(&Value::from(2)));
        assert_eq!(vars.get(&Value::from("b")), Some(&Value::from("x y")));
        assert!(vars.contains_key(&Value::from("c")));
    }

    #[test]
    fn rejects_non_mappings_and_missing_files() {
        assert_eq!(
            parse(&["[1]".into()]).unwrap_err().class,
            FailureClass::Options
        );
        let missing = parse(&["@/nonexistent/vars.yml".into()]).unwrap_err();
        assert_eq!(missing.class, FailureClass::General);
        assert!(missing.message.contains("/nonexistent/vars.yml"));
    }
}
