//! Differential test: template files rendered by oxible and by ansible-core's `template`
//! module must be byte-identical.
//!
//! `tests/fixtures/template_files/*.j2` are realistic configuration files (nginx, PostgreSQL,
//! a systemd unit, macros and loops) using `{% if %}`, `{% for %}`, whitespace control and
//! trailing-newline edge cases, all fed from `vars.yml`.

use std::sync::Arc;

use oxible_template::{Scope, Templar, VarSource};
use oxible_tests::{ansible, fixtures_dir};
use oxible_yaml::load_file;

#[test]
fn template_files_render_like_the_template_module() {
    let dir = fixtures_dir().join("template_files");
    let mut sources: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/template_files")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "j2"))
        .collect();
    sources.sort();
    let out = std::env::temp_dir().join(format!("oxible-template-files-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("output dir");
    let names: Vec<String> = sources
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let playbook = out.join("render.yml");
    std::fs::write(
        &playbook,
        format!(
            "- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars_files: [{vars}]\n  tasks:\n    - template: {{src: '{dir}/{{{{ item }}}}', dest: '{out}/{{{{ item }}}}'}}\n      loop: {names:?}\n",
            vars = dir.join("vars.yml").display(),
            dir = dir.display(),
            out = out.display(),
        ),
    )
    .expect("write playbook");
    let run = ansible(
        "playbook",
        &out,
        &["-i", "localhost,", playbook.to_str().expect("utf-8 path")],
    );
    assert_eq!(
        run.code, 0,
        "ansible-playbook failed:\n{}\n{}",
        run.stdout, run.stderr
    );

    let vars = load_file(&dir.join("vars.yml")).expect("vars load").value;
    let templar = Templar::new();
    let mut scope = Scope::new(&templar);
    scope.push(
        VarSource::PlayVarsFiles,
        Arc::new(vars.as_map().cloned().unwrap_or_default()),
    );
    let scope = scope.into_shared();
    let mut differing = Vec::new();
    for (source, name) in sources.iter().zip(&names) {
        let text = std::fs::read_to_string(source).expect("read template");
        let ours = templar
            .render_text(&text, &scope)
            .map_err(|e| e.to_string());
        let theirs = std::fs::read_to_string(out.join(name)).expect("ansible's output");
        if ours.as_deref() != Ok(theirs.as_str()) {
            differing.push(format!(
                "{name}:\n--- ansible\n{theirs:?}\n--- oxible\n{ours:?}"
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} differ:\n{}",
        differing.len(),
        names.len(),
        differing.join("\n")
    );
}
