//! Differential tests: `oxible playbook --list-*` / `--syntax-check` against ansible-playbook.
//!
//! Each fixture under `tests/fixtures/playbooks/<name>/` holds `site.yml`, an inventory `hosts`
//! and whatever it names; an optional `args` file lists further flag sets, one per line.
//! Both tools run in the fixture directory; stdout and exit codes must be equal after one
//! normalisation: ansible-playbook prints play tags and hosts from Python sets, whose order
//! changes from run to run, so those are sorted on both sides.
//!
//! Fixtures under `tests/fixtures/bad/<name>/` are invalid: the exit codes must be equal and
//! oxible's stderr must point at `file:line:col`, quote the line and say what would be valid.

use std::path::Path;

use oxible_tests::{Outcome, ansible, fixtures_dir, oxible};

/// Sorts what Python prints from sets: the items of play `TAGS: [..]` and each play's hosts.
fn normalize(stdout: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    let mut in_hosts = false;
    for line in stdout.lines() {
        if in_hosts && line.starts_with("      ") && !line.contains('\t') {
            hosts.push(line.to_string());
            continue;
        }
        if in_hosts {
            hosts.sort();
            out.append(&mut hosts);
            in_hosts = false;
        }
        if line.starts_with("    hosts (") {
            in_hosts = true;
            out.push(line.to_string());
        } else if let (true, Some((head, tags))) =
            (line.starts_with("  play #"), line.split_once("\tTAGS: ["))
        {
            let mut items: Vec<&str> = tags.trim_end_matches(']').split(',').collect();
            items.sort_unstable();
            out.push(format!("{head}\tTAGS: [{}]", items.join(",")));
        } else {
            out.push(line.to_string());
        }
    }
    hosts.sort();
    out.append(&mut hosts);
    out.join("\n")
}

/// Splits an `args` line like a shell would for the simple quoting the fixtures use.
fn split(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        args.push(cur);
    }
    args
}

fn compare(dir: &Path, flags: &[String]) -> (Outcome, Outcome) {
    let mut args: Vec<&str> = vec!["-i", "hosts", "site.yml"];
    args.extend(flags.iter().map(String::as_str));
    (
        ansible("playbook", dir, &args),
        oxible("playbook", dir, &args),
    )
}

fn check_fixture(name: &str) {
    let dir = fixtures_dir().join("playbooks").join(name);
    let mut sets: Vec<Vec<String>> = [
        "--list-hosts",
        "--list-tasks",
        "--list-tags",
        "--syntax-check",
    ]
    .iter()
    .map(|f| vec![f.to_string()])
    .collect();
    sets.push(vec![
        "--list-hosts".into(),
        "--list-tasks".into(),
        "--list-tags".into(),
    ]);
    if let Ok(text) = std::fs::read_to_string(dir.join("args")) {
        sets.extend(text.lines().filter(|l| !l.trim().is_empty()).map(split));
    }
    for flags in sets {
        let (want, got) = compare(&dir, &flags);
        assert_eq!(
            (want.code, normalize(&want.stdout)),
            (got.code, normalize(&got.stdout)),
            "{name} {flags:?}\nansible stderr:\n{}\noxible stderr:\n{}",
            want.stderr,
            got.stderr
        );
    }
}

fn check_bad(name: &str, flags: &[&str]) {
    let dir = fixtures_dir().join("bad").join(name);
    let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    let (want, got) = compare(&dir, &flags);
    assert_eq!(
        want.code, got.code,
        "{name}: exit code\nansible:\n{}\noxible:\n{}",
        want.stderr, got.stderr
    );
    assert_ne!(got.code, 0, "{name}: should fail");
    assert_points_at_source(name, &got.stderr);
}

/// The stderr names `file:line:col`, quotes the line, and has a help line.
fn assert_points_at_source(name: &str, stderr: &str) {
    let location = stderr.lines().any(|l| {
        l.trim_start().strip_prefix("--> ").is_some_and(|loc| {
            let parts: Vec<&str> = loc.rsplitn(3, ':').collect();
            parts.len() == 3 && parts[0].parse::<u32>().is_ok() && parts[1].parse::<u32>().is_ok()
        })
    });
    let quoted = stderr.lines().any(|l| {
        l.split_once(" | ")
            .is_some_and(|(n, _)| n.trim().parse::<u32>().is_ok())
    });
    let help = stderr
        .lines()
        .any(|l| l.trim_start().starts_with("= help: "));
    assert!(
        location && quoted && help,
        "{name}: stderr lacks location/line/help:\n{stderr}"
    );
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => { $( #[test] fn $name() { check_fixture(stringify!($name)); } )* };
}

fixtures!(
    basic,
    hosts_forms,
    roles_basic,
    role_deps_string,
    role_deps_mapping,
    role_params_tags,
    role_dup,
    galaxy_role,
    roles_path_cfg,
    role_main_yaml,
    import_role_tasks_from,
    import_role_from_args,
    extra_vars_forms,
    import_tasks_nested,
    import_tasks_in_role,
    include_dynamic,
    import_playbook_basic,
    import_playbook_tags_vars_when,
    import_playbook_vars_tags,
    import_playbook_subdir,
    block_tags,
    tags_always_never,
    tags_tagged_untagged,
    free_form_args,
    local_action_action,
    fqcn,
    handlers_listen,
    null_entries,
    play_keywords,
    task_keywords,
    pre_post_tasks,
    tags_string_forms,
    meta_flush,
    role_relative_path,
    templated_names,
    templated_filters,
    multi_plays_mixed,
    quoted_scalar_indent,
    include_role_names,
    role_dep_sibling,
);

macro_rules! bad {
    ($($name:ident),* $(,)?) => { $( #[test] fn $name() { check_bad(stringify!($name), &["--list-tasks"]); } )* };
}

mod bad {
    use super::check_bad;
    bad!(
        malformed_yaml,
        two_actions,
        bad_register,
        unknown_task_keyword,
        unknown_play_keyword,
        unknown_block_keyword,
        missing_role,
        missing_import,
        missing_import_playbook,
        bad_host_pattern,
        no_hosts,
        no_action,
        legacy_include_task,
        legacy_include_playbook,
        task_not_mapping,
        bad_tags,
        role_vars_dir_not_dict,
        role_vars_from_missing,
        include_role_bad_args,
        import_role_handler,
        import_role_sibling,
    );
}

/// An invalid `group_vars/` file beside the playbook is an `AnsibleParserError` (exit code 4),
/// not a plain error. ansible-playbook reads those files lazily, so only a run (not
/// `--list-hosts`, where it exits 0) reaches them; oxible reads them while loading.
#[test]
fn playbook_dir_vars_parse_error_exits_like_ansible() {
    check_bad("playbook_dir_vars_parse", &[]);
}

/// `vars_prompt`: listing works as in Ansible (nothing is prompted); running without the
/// variable in `-e` is refused with a pointer at the prompt, since oxible never prompts.
#[test]
fn vars_prompt_lists_like_ansible_and_refuses_to_prompt() {
    let dir = fixtures_dir().join("bad/vars_prompt");
    let (want, got) = compare(&dir, &["--list-tasks".to_string()]);
    assert_eq!((want.code, want.stdout), (got.code, got.stdout));
    let run = oxible("playbook", &dir, &["-i", "hosts", "site.yml"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("-e secret="), "{}", run.stderr);
    assert_points_at_source("vars_prompt", &run.stderr);
}

/// A duplicate key in an `-e @file` is a warning on stderr in both tools, naming the key.
#[test]
fn extra_vars_file_duplicate_key_warns() {
    let dir = fixtures_dir().join("playbooks/extra_vars_forms");
    let flags = ["--list-tasks", "-e", "@dup.yml"].map(String::from);
    let (want, got) = compare(&dir, &flags);
    for (tool, out) in [("ansible", &want), ("oxible", &got)] {
        assert!(
            out.stderr.contains("uplicate") && out.stderr.contains("'a'"),
            "{tool} stderr:\n{}",
            out.stderr
        );
    }
}

#[test]
fn normalize_sorts_set_output() {
    let text = "  play #1 (all): all\tTAGS: [b,a]\n    hosts (2):\n      w2\n      w1\n    tasks:\n      x\tTAGS: []";
    assert_eq!(
        normalize(text),
        "  play #1 (all): all\tTAGS: [a,b]\n    hosts (2):\n      w1\n      w2\n    tasks:\n      x\tTAGS: []"
    );
}
