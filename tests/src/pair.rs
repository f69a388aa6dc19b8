//! The side-by-side pattern of the module suites: two fresh container hosts, ansible-core
//! (pipelining on) runs a playbook on `h1` while oxible runs it on `h2`; then the exit codes,
//! the output line for line (host names and run-specific numbers masked) and the state each
//! host is left in are compared.

use std::path::Path;

use crate::Outcome;
use crate::hosts::TestHosts;

/// Runs `playbook` (a path) with ansible-core limited to `h1` and with oxible limited to `h2`,
/// at the same time, from the work directory `work`, with `extra` arguments for both; each
/// host's container name is written `CONTAINER` in the output.
pub fn both(hosts: &TestHosts, work: &Path, playbook: &Path, extra: &[&str]) -> (Outcome, Outcome) {
    let path = playbook.to_str().expect("utf-8 playbook path");
    let args = |host: &'static str| {
        let mut args = vec!["-l", host, path];
        args.extend(extra);
        args
    };
    let (mut ansible, mut oxible) = std::thread::scope(|s| {
        let ansible = s.spawn(|| hosts.ansible("playbook", work, &args("h1")));
        let oxible = hosts.oxible("playbook", work, &args("h2"));
        (ansible.join().expect("ansible-playbook thread"), oxible)
    });
    // A host's container name (its hostname, in facts and messages) is written `CONTAINER`.
    for (i, out) in [&mut ansible, &mut oxible].into_iter().enumerate() {
        out.stdout = out.stdout.replace(&hosts.hosts()[i].container, "CONTAINER");
    }
    (ansible, oxible)
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

/// A module suite's pair of fresh hosts with its fixture directory and work directory: the
/// wrappers every `*_diff.rs` suite otherwise writes for itself.
#[derive(Debug)]
pub struct Pair {
    /// The two hosts: `h1` for ansible-core, `h2` for oxible.
    pub hosts: TestHosts,
    /// `tests/fixtures/<name>`.
    pub fixtures: std::path::PathBuf,
    /// The directory both tools run in.
    pub work: std::path::PathBuf,
    /// Keys whose numbers differ from run to run (see [`normalize`]).
    masked_keys: &'static [&'static str],
}

impl Pair {
    /// Two fresh hosts of `image` (the default test image when `None`), each prepared by the
    /// shell scripts `setup` (paths below `tests/fixtures/<fixtures>`), run in order as root.
    pub fn start(fixtures: &str, image: Option<&str>, setup: &[&str]) -> Pair {
        let hosts = match image {
            Some(image) => TestHosts::start_image(2, image),
            None => TestHosts::start(2),
        };
        let fixtures = crate::fixtures_dir().join(fixtures);
        for script in setup {
            let text = std::fs::read_to_string(fixtures.join(script))
                .unwrap_or_else(|e| panic!("read {script}: {e}"));
            for i in 0..2 {
                hosts.exec(i, &text);
            }
        }
        let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
        std::fs::create_dir_all(&work).expect("work dir");
        Pair {
            hosts,
            fixtures,
            work,
            masked_keys: &[],
        }
    }

    /// The same pair, masking the numbers after `keys` in the compared output.
    pub fn masking(mut self, keys: &'static [&'static str]) -> Pair {
        self.masked_keys = keys;
        self
    }

    /// Copies the files `paths` (text) from the first host to the second, so both hold what a
    /// setup script made only once (a key pair, say).
    pub fn share(&self, paths: &[&str]) {
        for path in paths {
            let text = self.hosts.exec(0, &format!("cat {path}"));
            self.hosts.exec(
                1,
                &format!("cat > {path} <<'OXIBLE_SHARED'\n{text}OXIBLE_SHARED\n"),
            );
        }
    }

    /// Runs the fixture `playbook` with both tools at once (see [`both`]).
    pub fn both(&self, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
        both(
            &self.hosts,
            &self.work,
            &self.fixtures.join(playbook),
            extra,
        )
    }

    /// Runs the fixture `playbook` with both tools and asserts they did the same ([`assert_same`]).
    pub fn run_same(&self, what: &str, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
        let (ansible, oxible) = self.both(playbook, extra);
        assert_same(what, &ansible, &oxible, self.masked_keys);
        (ansible, oxible)
    }

    /// Runs `playbook` twice with both tools: the same output each time, and nothing changed
    /// by oxible's second run; `after(run)` checks the hosts after each run (1, then 2).
    pub fn converge_twice(&self, playbook: &str, extra: &[&str], mut after: impl FnMut(usize)) {
        for run in 1..=2 {
            let what = format!("{playbook} run {run}");
            let (_, oxible) = self.run_same(&what, playbook, extra);
            if run == 2 {
                assert_eq!(recap_changed(&oxible), "changed=0", "{}", oxible.stdout);
            }
            after(run);
        }
    }

    /// The same shell query answers the same on both hosts ([`assert_same_state`]).
    pub fn same_state(&self, what: &str, script: &str) {
        assert_same_state(&self.hosts, what, script);
    }
}
