//! The pip module on real container hosts (`tests/hosts`), oxible against ansible-core: two
//! fresh hosts get the same local wheels (`tests/fixtures/pip/make-wheels.sh`, tiny packages
//! made with python3's zipfile, no index); ansible-core (pipelining on) runs a playbook on the
//! first, oxible on the second. Compared: exit code, output line for line, and what each
//! virtualenv holds afterwards; the converging play reports changed=0 on its second run.

use std::path::PathBuf;

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

fn dir() -> PathBuf {
    fixtures_dir().join("pip")
}

/// Two hosts prepared by `make-wheels.sh`: h1 for ansible-core, h2 for oxible.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start(2);
    let setup = std::fs::read_to_string(dir().join("make-wheels.sh")).expect("read make-wheels.sh");
    for i in 0..2 {
        hosts.exec(i, &setup);
    }
    hosts
}

/// Runs `playbook` with ansible-core on h1 and with oxible on h2, at the same time.
fn both(hosts: &TestHosts, playbook: &str) -> (Outcome, Outcome) {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    pair::both(hosts, &work, &dir().join(playbook), &[])
}

/// What the virtualenvs hold, how they were made, and the modes `umask` gave. The `-p`
/// interpreter the wrapper got is masked: ansible-core passes `ansible_python_interpreter`
/// (the inventory's /usr/bin/python3), oxible the discovered one (COMPATIBILITY.md).
fn venv_state(hosts: &TestHosts) {
    pair::assert_same_state(
        hosts,
        "virtualenvs",
        "cd /srv && for v in venv wvenv svenv cvenv cwvenv /home/tester/venv; do [ -x $v/bin/pip ] || continue; \
         echo \"== $v\"; $v/bin/pip list --format=freeze; grep system-site $v/pyvenv.cfg; done; \
         sed 's#-p/usr/bin/python3[.0-9]*#-pPYTHON#' mkvenv.log; stat -c '%a %U %n' wvenv wvenv/bin/python3 /home/tester/venv; ls -d venv3 venv4 nopip 2>&1; true",
    );
}

#[test]
fn pip_matches_ansible() {
    let hosts = prepared_hosts();
    let (ansible, oxible) = both(&hosts, "pip.yml");
    pair::assert_same("pip.yml", &ansible, &oxible, &[]);

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "converge.yml");
        pair::assert_same(&format!("converge.yml run {run}"), &ansible, &oxible, &[]);
        if run == 2 {
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
    }
    venv_state(&hosts);
}
