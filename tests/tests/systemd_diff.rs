//! The service modules under a real systemd (`tests/hosts/build-systemd-image.sh`: hosts that
//! boot systemd as PID 1), oxible against ansible-core: ansible-core (pipelining on) runs a
//! playbook on h1, oxible on h2. `site.yml` installs a unit, reloads systemd, starts, stops,
//! restarts, reloads, enables, disables, masks it through `systemd` and `service` (which must
//! dispatch to systemd: `ansible_service_mgr` is shown), reads `service_facts`, and drives a
//! user unit with `scope: user` through root's user manager (and fails for a user that has
//! none); it runs in check mode first (nothing may change on either host), then for real.
//! `hostname.yml` runs Ansible's systemd strategy (hostnamectl) the same way. `converge.yml` runs twice, the
//! second time with changed=0. Compared each time: exit code, output line for line, and
//! `systemctl is-active`/`is-enabled` of the units on both hosts.

use std::path::PathBuf;

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

const IMAGE: &str = "oxible-test/systemd:bookworm";

/// The units' states as `systemctl` reports them (and whether the unit file exists).
const STATE: &str = "systemctl is-system-running --wait >/dev/null 2>&1; \
    for u in oxsleep oxmask oxghost oxinit cron ssh; do \
      echo \"$u $(systemctl is-active $u 2>&1) $(systemctl is-enabled $u 2>&1)\"; done; \
    echo \"oxuser $(systemctl --global is-enabled oxuser 2>&1)\"; \
    echo \"oxuser user $(XDG_RUNTIME_DIR=/run/user/0 systemctl --user is-active oxuser 2>&1) \
      $(XDG_RUNTIME_DIR=/run/user/0 systemctl --user is-enabled oxuser 2>&1)\"; \
    ls /etc/systemd/system/oxsleep.service /etc/rc2.d/*oxinit 2>&1; \
    hostnamectl --pretty status; cat /etc/machine-info 2>&1; true";

fn dir() -> PathBuf {
    fixtures_dir().join("systemd")
}

/// Runs `playbook` with ansible-core on h1 and with oxible on h2, at the same time.
fn both(hosts: &TestHosts, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    pair::both(hosts, &work, &dir().join(playbook), extra)
}

fn assert_same(what: &str, ansible: &Outcome, oxible: &Outcome) {
    pair::assert_same(what, ansible, oxible, &[]);
}

fn systemd_hosts() -> TestHosts {
    let hosts = TestHosts::start_image(2, IMAGE);
    for i in 0..2 {
        // ssh answering does not mean systemd has finished booting.
        let state = hosts.exec(i, "systemctl is-system-running --wait 2>&1 || true");
        assert_eq!(state.trim(), "running", "host {i} did not boot systemd");
        let user = hosts.exec(
            i,
            "XDG_RUNTIME_DIR=/run/user/0 systemctl --user is-system-running --wait 2>&1 || true",
        );
        assert_eq!(
            user.trim(),
            "running",
            "host {i} has no user manager for root"
        );
        // Ansible warns when it makes a become user's remote tmp directory itself.
        hosts.exec(
            i,
            "install -d -o tester -g tester -m 700 /home/tester/.ansible /home/tester/.ansible/tmp",
        );
    }
    hosts
}

#[test]
fn systemd_matches_ansible() {
    let hosts = systemd_hosts();
    let before = hosts.exec(0, STATE);

    let (ansible, oxible) = both(&hosts, "site.yml", &["--check"]);
    assert_same("site.yml --check", &ansible, &oxible);
    pair::assert_same_state(&hosts, "units after check mode", STATE);
    assert_eq!(hosts.exec(1, STATE), before, "check mode changed h2");

    let (ansible, oxible) = both(&hosts, "site.yml", &[]);
    assert_same("site.yml", &ansible, &oxible);
    pair::assert_same_state(&hosts, "units", STATE);

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "converge.yml", &[]);
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
    pair::assert_same_state(&hosts, "units after converge", STATE);

    let before = hosts.exec(1, STATE);
    let (ansible, oxible) = both(&hosts, "hostname.yml", &["--check", "--diff"]);
    assert_same("hostname.yml --check", &ansible, &oxible);
    assert_eq!(
        hosts.exec(1, STATE),
        before,
        "hostname check mode changed h2"
    );
    let (ansible, oxible) = both(&hosts, "hostname.yml", &["--diff"]);
    assert_same("hostname.yml", &ansible, &oxible);
    pair::assert_same_state(&hosts, "pretty hostname", STATE);
}
