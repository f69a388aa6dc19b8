//! Differential runs of the default output: the same playbook through ansible-core and oxible
//! on localhost, at verbosities 0 to 3 (a fixture's `args` file holds its `-v…`), compared on
//! exit code and stdout line by line after masking timings and the `-v` header (ansible-core's
//! version and module-path lines have no oxible equivalent; both must still print one).

use oxible_tests::run_fixture;

/// The output after the header: everything from the first blank line (the one before the first
/// banner) on. At verbosity 0 there is no header and nothing is dropped.
fn body(stdout: &str) -> Vec<&str> {
    stdout.lines().skip_while(|l| !l.is_empty()).collect()
}

fn check(name: &str) {
    let theirs = run_fixture("ansible", name, &[], 1);
    let ours = run_fixture("oxible", name, &[], 1);
    assert_eq!(
        ours.code, theirs.code,
        "exit code of {name}\n--- ansible\n{}\n--- oxible\n{}",
        theirs.stdout, ours.stdout
    );
    let header = |s: &str| s.lines().take_while(|l| !l.is_empty()).count() > 0;
    assert_eq!(
        header(&ours.stdout),
        header(&theirs.stdout),
        "header of {name}"
    );
    let (a, b) = (body(&theirs.stdout), body(&ours.stdout));
    let diff: Vec<String> = a
        .iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  ansible: {x}\n  oxible:  {y}", i + 1))
        .take(10)
        .collect();
    assert!(
        diff.is_empty() && a.len() == b.len(),
        "output of {name} differs:\n{}\n--- ansible\n{}\n--- oxible\n{}",
        diff.join("\n"),
        theirs.stdout,
        ours.stdout
    );
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { check(stringify!($name)); } )*
    };
}

fixtures!(
    out_v0_basic,
    out_v1_basic,
    out_v2_basic,
    out_v3_basic,
    out_items,
    out_items_v1,
    out_skips,
    out_failure,
    out_ignore,
    out_rescue,
    out_handlers,
    out_no_hosts,
    out_facts,
    out_facts_v2,
    out_task_names,
);
