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
use oxible_tests::pair;

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
    pair::both(hosts, &work, &dir().join(playbook), &[])
}

/// Exit codes and output equal, the apt cache's mtime masked.
fn assert_same(what: &str, ansible: &Outcome, oxible: &Outcome) {
    pair::assert_same(what, ansible, oxible, &["\"cache_update_time\": "]);
}

fn packages_state(hosts: &TestHosts) {
    pair::assert_same_state(
        hosts,
        "installed packages",
        "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'ox*'; apt-mark showauto",
    );
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
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
    }
    packages_state(&hosts);
}
