//! The EL package modules (`dnf`, `yum`, `package` with `use: dnf`, `rpm_key`,
//! `yum_repository`) on real container hosts, oxible against ansible-core.
//!
//! The OME roles target EL9, but only Debian is at hand: the hosts run
//! `oxible-test/dnf:bookworm` (`tests/hosts/build-dnf-image.sh`: Debian's dnf 4.14, rpm,
//! createrepo-c and python3-dnf), and `tests/fixtures/dnf/make-repo.sh` builds tiny noarch RPMs
//! with rpmbuild into a local `file://` repository (createrepo_c) that is the hosts' only dnf
//! source, with `releasever` set in `/etc/dnf/vars` (Debian has no release package to read it
//! from). ansible-core's dnf module runs there for real through python3-dnf; the one thing it
//! cannot do on Debian is choose its backend: the dnf action asks for the `pkg_mgr` fact, which
//! is `apt` on Debian, and fails ("Could not detect which major revision of dnf is in use"), so
//! the playbooks name the backend (`use_backend: dnf4`), which EL9 hosts do not need.
//!
//! Both hosts get the same packages and the same signing key (made on the first host, copied to
//! the second); ansible-core (pipelining on) runs each playbook on the first, oxible on the
//! second (as root, and once as an unprivileged user with and without become). Compared: exit
//! code, output line for line, the `ox*` packages, the imported keys and the repository files
//! each host ends with; the converging play reports changed=0 on its second run.

use std::path::PathBuf;

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

/// The image with dnf, rpm and createrepo-c.
const IMAGE: &str = "oxible-test/dnf:bookworm";

fn dir() -> PathBuf {
    fixtures_dir().join("dnf")
}

/// Two hosts prepared by `make-repo.sh`, sharing the first one's signing key.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start_image(2, IMAGE);
    let setup = std::fs::read_to_string(dir().join("make-repo.sh")).expect("read make-repo.sh");
    for i in 0..2 {
        hosts.exec(i, &setup);
    }
    for file in ["ox.asc", "ox.fpr"] {
        let text = hosts.exec(0, &format!("cat /srv/keys/{file}"));
        hosts.exec(
            1,
            &format!("cat > /srv/keys/{file} <<'OXIBLE_KEY'\n{text}OXIBLE_KEY\n"),
        );
    }
    hosts
}

/// Runs `playbook` with ansible-core on h1 and with oxible on h2, at the same time, with
/// `extra` arguments for both.
fn both(hosts: &TestHosts, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    pair::both(hosts, &work, &dir().join(playbook), extra)
}

/// The packages, keys and repository files both hosts have.
fn same_state(hosts: &TestHosts, after: &str) {
    pair::assert_same_state(
        hosts,
        &format!("rpm packages and repositories after {after}"),
        "rpm -qa 'ox*' | sort; rpm -qa 'gpg-pubkey*' | sort; \
         for f in /etc/yum.repos.d/*; do echo \"== $f $(stat -c %a \"$f\")\"; cat \"$f\"; done",
    );
}

#[test]
fn dnf_rpm_key_and_yum_repository_match_ansible() {
    let hosts = prepared_hosts();
    for (playbook, extra) in [
        ("dnf.yml", &[][..]),
        ("keys.yml", &[]),
        ("user.yml", &["-e", "ansible_user=tester"]),
    ] {
        let (ansible, oxible) = both(&hosts, playbook, extra);
        pair::assert_same(playbook, &ansible, &oxible, &[]);
        same_state(&hosts, playbook);
    }
    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "converge.yml", &[]);
        pair::assert_same(&format!("converge.yml run {run}"), &ansible, &oxible, &[]);
        if run == 2 {
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
        same_state(&hosts, &format!("converge.yml run {run}"));
    }
}
