//! `no_log`: what the user sees of a result instead of its content (Ansible's `censor_result`).

use oxible_yaml::{Map, Value};

/// Ansible's marker text for hidden results.
pub(crate) const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// The keys a censored result keeps (Ansible's `_PRESERVE`, plus `failed`/`skipped` that the
/// callback reads for the status).
const PRESERVE: &[&str] = &[
    "attempts",
    "changed",
    "retries",
    "exception",
    "warnings",
    "deprecations",
    "failed",
    "skipped",
];

/// `result` with its content replaced by the censored marker; loop results are censored item
/// by item.
pub(crate) fn censor(result: &Map) -> Map {
    let mut out = Map::new();
    for key in PRESERVE {
        if let Some(value) = result.get(&Value::from(*key)) {
            out.insert(Value::from(*key), value.clone());
        }
    }
    out.insert(Value::from("censored"), Value::from(CENSORED));
    if let Some(items) = result.get(&Value::from("results")).and_then(Value::as_seq) {
        let items = items
            .iter()
            .map(|item| Value::map(item.as_map().map(censor).unwrap_or_default()))
            .collect();
        out.insert(Value::from("results"), Value::seq(items));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_status_keys_only() {
        let mut result = Map::new();
        result.insert(Value::from("changed"), Value::from(true));
        result.insert(Value::from("stdout"), Value::from("secret"));
        let censored = censor(&result);
        assert_eq!(
            censored.get(&Value::from("changed")),
            Some(&Value::from(true))
        );
        assert!(censored.get(&Value::from("stdout")).is_none());
        assert_eq!(
            censored.get(&Value::from("censored")),
            Some(&Value::from(CENSORED))
        );
    }
}
