//! Package modules on real container hosts (`tests/hosts`), oxible against ansible-core:
//! two fresh hosts get the same local apt repository (`tests/fixtures/packages/make-repo.sh`,
//! tiny packages built with dpkg-deb, no network); ansible-core (pipelining on) runs a playbook
//! on the first, oxible on the second. Compared: exit code, output line for line (host name and
//! the cache's mtime masked), and the packages each host ends with; converging plays report
//! changed=0 on their second run.

use std::path::PathBuf;

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;

/// Two hosts prepared by `make-repo.sh`: h1 for ansible-core, h2 for oxible.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start(2);
    let setup = std::fs::read_to_string(dir().join("make-repo.sh")).expect("read make-repo.sh");
    for i in 0..2 {
        hosts.exec(i, &setup);
    }
    hosts
}

fn dir() -> PathBuf {
    fixtures_dir().join("packages")
}

/// Runs `playbook` with ansible-core on h1 and with oxible on h2, at the same time.
fn both(hosts: &TestHosts, playbook: &str) -> (Outcome, Outcome) {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    let path = dir().join(playbook);
    let path = path.to_str().expect("utf-8 path");
    std::thread::scope(|s| {
        let ansible = s.spawn(|| hosts.ansible("playbook", &work, &["-l", "h1", path]));
        let oxible = hosts.oxible("playbook", &work, &["-l", "h2", path]);
        (ansible.join().expect("ansible-playbook thread"), oxible)
    })
}

/// The output with `host`'s name and the apt cache's mtime masked.
fn normalize(text: &str, host: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let line = line.replace(&format!("[{host}]"), "[HOST]");
            let line = line.replace(&format!("{host} "), "HOST ");
            mask_number_after(&line, "\"cache_update_time\": ")
        })
        .collect()
}

fn mask_number_after(line: &str, key: &str) -> String {
    match line.find(key) {
        Some(i) => {
            let start = i + key.len();
            let digits = line[start..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            format!("{}N{}", &line[..start], &line[start + digits..])
        }
        None => line.to_string(),
    }
}

/// Exit codes and normalized output equal, else a report of the first differences.
fn assert_same(what: &str, ansible: &Outcome, oxible: &Outcome) {
    let (a, o) = (
        normalize(&ansible.stdout, "h1"),
        normalize(&oxible.stdout, "h2"),
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
        "{what}: exit {} vs {}, {} vs {} lines\n{}\n--- ansible stderr:\n{}\n--- oxible stderr:\n{}",
        ansible.code,
        oxible.code,
        a.len(),
        o.len(),
        diffs.join("\n"),
        ansible.stderr,
        oxible.stderr
    );
}

/// The same query on both hosts gives the same answer.
fn assert_same_state(hosts: &TestHosts, what: &str, script: &str) {
    let (a, o) = (hosts.exec(0, script), hosts.exec(1, script));
    assert_eq!(a, o, "{what} differs (h1 by ansible-core, h2 by oxible)");
}

fn packages_state(hosts: &TestHosts) {
    assert_same_state(
        hosts,
        "installed packages",
        "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'ox*'; apt-mark showauto",
    );
}

fn recap_changed(out: &Outcome) -> String {
    out.stdout
        .lines()
        .filter(|l| l.contains("changed="))
        .map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("changed="))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn apt_matches_ansible() {
    let hosts = prepared_hosts();
    let (ansible, oxible) = both(&hosts, "apt.yml");
    assert_same("apt.yml", &ansible, &oxible);
    packages_state(&hosts);

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "converge.yml");
        assert_same(&format!("converge.yml run {run}"), &ansible, &oxible);
        if run == 2 {
            assert_eq!(recap_changed(&oxible), "changed=0", "{}", oxible.stdout);
        }
    }
    packages_state(&hosts);
}
