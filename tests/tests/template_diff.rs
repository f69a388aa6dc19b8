//! Differential test: oxible's templar against ansible-core's, case by case.
//!
//! Every `tests/fixtures/template/*.yml` file holds shared `vars:` and a list of `cases:`
//! (see `tests/template_oracle.py`); both sides add `fixtures_dir`, the absolute directory of
//! the cases file, to the shared vars. Each case is evaluated by ansible-core's own `Templar`
//! and by `oxible_template::Templar` with the same variables; the outcome (success with a
//! typed value, or failure) must be identical. Error messages may differ.

use std::path::Path;
use std::sync::Arc;

use oxible_template::{Scope, Templar, VarSource};
use oxible_tests::hosts::oracle_collections;
use oxible_tests::{describe, fixtures_dir, oracle_python, run, workspace_root};
use oxible_yaml::{Map, Value, load_file};
use serde_json::{Value as Json, json};

/// One case evaluated by oxible: `{"ok": …, "value"|"error": …}`.
fn evaluate(templar: &Templar, shared: &Map, case: &Value) -> (String, Json) {
    let (kind, input, own_vars) = match case.as_map() {
        Some(map) => {
            let own = case
                .get("vars")
                .and_then(Value::as_map)
                .cloned()
                .unwrap_or_default();
            let (kind, input) = ["expr", "when", "template"]
                .iter()
                .find_map(|k| case.get(k).map(|v| (*k, v.clone())))
                .unwrap_or_else(|| panic!("case without expr/when/template: {map:?}"));
            (kind, input, own)
        }
        None => ("template", case.clone(), Map::new()),
    };
    let mut vars = shared.clone();
    vars.extend(own_vars);
    let mut scope = Scope::new(templar);
    scope.push(VarSource::PlayVars, Arc::new(vars));
    let scope = scope.into_shared();
    let outcome = match kind {
        "expr" => templar.evaluate(input.as_str().unwrap_or_default(), &scope),
        "when" => templar.condition(&input, &scope).map(Value::from),
        _ => templar.template(&input, &scope),
    };
    let label = format!("{kind}: {}", input.py_str());
    let result = match outcome {
        Ok(value) => json!({"ok": true, "value": describe(&value)}),
        Err(err) => json!({"ok": false, "error": err.to_string()}),
    };
    (label, result)
}

fn check_file(path: &Path) -> (usize, Vec<String>) {
    let mut cmd = std::process::Command::new(oracle_python());
    cmd.arg(workspace_root().join("tests/template_oracle.py"))
        .arg(path)
        .env("ANSIBLE_COLLECTIONS_PATH", oracle_collections());
    let out = run(cmd);
    assert_eq!(
        out.code,
        0,
        "oracle failed on {}: {}",
        path.display(),
        out.stderr
    );
    let expected: Vec<Json> = serde_json::from_str(&out.stdout).expect("oracle prints JSON");
    let doc = load_file(path).expect("cases load").value;
    let mut shared = doc
        .get("vars")
        .and_then(Value::as_map)
        .cloned()
        .unwrap_or_default();
    // As the oracle: `fixtures_dir` is the absolute directory of the cases file.
    let dir = path.parent().unwrap_or(path).to_string_lossy().into_owned();
    shared.insert(Value::from("fixtures_dir"), Value::from(dir));
    let cases = doc
        .get("cases")
        .and_then(Value::as_seq)
        .expect("cases: list")
        .to_vec();
    assert_eq!(cases.len(), expected.len());
    let templar = Templar::new();
    let mut failures = Vec::new();
    for (case, theirs) in cases.iter().zip(&expected) {
        let (label, ours) = evaluate(&templar, &shared, case);
        let same = ours["ok"] == theirs["ok"]
            && (ours["ok"] == json!(false) || ours["value"] == theirs["value"]);
        if !same {
            failures.push(format!(
                "{}: {label}\n    oxible:  {ours}\n    ansible: {theirs}",
                path.display()
            ));
        }
    }
    (cases.len(), failures)
}

#[test]
fn templates_evaluate_like_ansible() {
    // OXIBLE_TEMPLATE_CASES=<file stem> runs one fixture file only (while developing).
    let only = std::env::var("OXIBLE_TEMPLATE_CASES").ok();
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir().join("template"))
        .expect("fixtures/template")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .filter(|p| {
            only.as_ref()
                .is_none_or(|name| p.file_stem().is_some_and(|s| s == name.as_str()))
        })
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for file in &files {
        let (n, mut failed) = check_file(file);
        total += n;
        failures.append(&mut failed);
    }
    println!(
        "template cases: {} of {total} identical to ansible-core",
        total - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
