//! The side-by-side pattern of the module suites: two fresh container hosts, ansible-core
//! (pipelining on) runs a playbook on `h1` while oxible runs it on `h2`; then the exit codes,
//! the output line for line (host names and run-specific numbers masked) and the state each
//! host is left in are compared.

use std::path::Path;

use crate::Outcome;
use crate::hosts::TestHosts;

/// Runs `playbook` (a path) with ansible-core limited to `h1` and with oxible limited to `h2`,
/// at the same time, from the work directory `work`, with `extra` arguments for both.
pub fn both(hosts: &TestHosts, work: &Path, playbook: &Path, extra: &[&str]) -> (Outcome, Outcome) {
    let path = playbook.to_str().expect("utf-8 playbook path");
    let args = |host: &'static str| {
        let mut args = vec!["-l", host, path];
        args.extend(extra);
        args
    };
    std::thread::scope(|s| {
        let ansible = s.spawn(|| hosts.ansible("playbook", work, &args("h1")));
        let oxible = hosts.oxible("playbook", work, &args("h2"));
        (ansible.join().expect("ansible-playbook thread"), oxible)
    })
}

/// `text`'s lines with `host`'s inventory name written `HOST` and every number following one
/// of `masked_keys` (such as `"cache_update_time": `) written `N`.
pub fn normalize(text: &str, host: &str, masked_keys: &[&str]) -> Vec<String> {
    text.lines()
        .map(|line| {
            let line = line
                .replace(&format!("[{host}]"), "[HOST]")
                .replace(&format!("{host} "), "HOST ");
            masked_keys
                .iter()
                .fold(line, |line, key| mask_number_after(&line, key))
        })
        .collect()
}

fn mask_number_after(line: &str, key: &str) -> String {
    match line.find(key) {
        Some(i) => {
            let start = i + key.len();
            let digits = line[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .count();
            format!("{}N{}", &line[..start], &line[start + digits..])
        }
        None => line.to_string(),
    }
}

/// Panics with the first differing lines unless both tools exited alike and printed the same
/// normalized output (ansible-core ran on `h1`, oxible on `h2`).
pub fn assert_same(what: &str, ansible: &Outcome, oxible: &Outcome, masked_keys: &[&str]) {
    let (a, o) = (
        normalize(&ansible.stdout, "h1", masked_keys),
        normalize(&oxible.stdout, "h2", masked_keys),
    );
    let diffs: Vec<String> = a
        .iter()
        .zip(&o)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .take(10)
        .map(|(i, (x, y))| format!("line {}:\n  ansible: {x}\n  oxible:  {y}", i + 1))
        .collect();
    assert!(
        ansible.code == oxible.code && a == o,
        "{what}: exit {} vs {}, {} vs {} lines\n{}\n--- ansible stdout:\n{}\n--- oxible stdout:\n{}\
         \n--- ansible stderr:\n{}\n--- oxible stderr:\n{}",
        ansible.code,
        oxible.code,
        a.len(),
        o.len(),
        diffs.join("\n"),
        ansible.stdout,
        oxible.stdout,
        ansible.stderr,
        oxible.stderr
    );
}

/// The same shell query (as root, through `docker exec`) answers the same on `h1` and `h2`.
pub fn assert_same_state(hosts: &TestHosts, what: &str, script: &str) {
    let (a, o) = (hosts.exec(0, script), hosts.exec(1, script));
    assert_eq!(a, o, "{what} differs (h1 by ansible-core, h2 by oxible)");
}

/// The `changed=N` counts of the recap lines, joined by spaces (`"changed=0"` for one host).
pub fn recap_changed(out: &Outcome) -> String {
    out.stdout
        .lines()
        .filter(|l| l.contains("changed="))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("changed=")))
        .collect::<Vec<_>>()
        .join(" ")
}
