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
//! second (as root, and once as an unprivileged user with and without become; once while
//! another process holds dnf's lock, which both must wait for; once with module streams from a
//! modular repository). Compared: exit code, output line for line, the `ox*` packages, the
//! imported keys, the module streams and the repository files each host ends with; the converging play reports changed=0 on its second run.

use oxible_tests::pair::Pair;

/// The image with dnf, rpm and createrepo-c.
const IMAGE: &str = "oxible-test/dnf:bookworm";

/// Two hosts prepared by `make-repo.sh`, sharing the first one's signing key.
fn prepared() -> Pair {
    let pair = Pair::start("dnf", Some(IMAGE), &["make-repo.sh"]);
    pair.share(&["/srv/keys/ox.asc", "/srv/keys/ox.fpr"]);
    pair
}

/// The packages, keys, module streams and repository files both hosts have.
const STATE: &str = "rpm -qa 'ox*' | sort; rpm -qa 'gpg-pubkey*' | sort; \
     dnf -q module list oxmod 2>/dev/null; \
     for f in /etc/yum.repos.d/*; do echo \"== $f $(stat -c %a \"$f\")\"; cat \"$f\"; done";

#[test]
fn dnf_rpm_key_and_yum_repository_match_ansible() {
    let pair = prepared();
    for (playbook, extra) in [
        ("dnf.yml", &[][..]),
        ("keys.yml", &[]),
        ("user.yml", &["-e", "ansible_user=tester"]),
        ("lock.yml", &[]),
        ("modules.yml", &[]),
    ] {
        pair.run_same(playbook, playbook, extra);
        pair.same_state(
            &format!("rpm packages and repositories after {playbook}"),
            STATE,
        );
    }
    pair.converge_twice("converge.yml", &[], |run| {
        pair.same_state(
            &format!("rpm packages and repositories after converge.yml run {run}"),
            STATE,
        );
    });
}
