//! System modules on real container hosts, oxible against ansible-core (with the ansible.posix
//! and community.general collections for the oracle): apt_repository, apt_key,
//! authorized_key, sysctl, hostname, alternatives, mount and sudoers. Two fresh hosts get the
//! local apt repositories of `tests/fixtures/packages/make-repo.sh` and
//! `tests/fixtures/sysmods/setup.sh`; ansible-core (pipelining on) runs each playbook on h1,
//! oxible on h2. Compared: exit code and output line for line (`--diff` on) in check mode,
//! which must change nothing, a first run and a second run, which must report changed=0; then
//! the files the modules edit on both hosts.

use std::path::{Path, PathBuf};

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

/// What the modules change, as text (sources, keys, keyrings, sysctl files, alternatives,
/// fstab, hostname files, sudoers files).
const STATE: &str = r#"for f in /etc/apt/sources.list /etc/apt/sources.list.d/* /srv/lists/linked.list; do echo "== $f"; stat -c '%a %U %F' "$f"; cat "$f"; done
for f in /home/oxkey/.ssh /home/oxkey/.ssh/authorized_keys /home/oxkey/other_keys /home/oxbare/.ssh /home/oxbare/.ssh/authorized_keys /home/oxbare/linked_keys /srv/shared/keys; do echo "== $f"; stat -c '%a %U %G' "$f"; [ -f "$f" ] && cat "$f"; done
for f in /etc/sysctl.conf /etc/sysctl.d/90-ox.conf /etc/sysctl.d/91-ox.conf; do echo "== $f"; grep -v '^#' "$f"; done
for f in /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/* /etc/apt/keyrings/*; do [ -f "$f" ] && echo "== $f" && gpg --no-default-keyring --keyring "$f" --list-keys --with-colons 2>/dev/null | grep -E '^(pub|uid)' | cut -d: -f1,5,10; done
echo "== alternatives"; update-alternatives --query oxtool 2>&1; update-alternatives --query oxsecond 2>&1; ls -l /usr/local/bin/oxtool /usr/local/bin/oxsecond /usr/local/share/oxtool-doc.txt 2>&1 | sed 's/.* root root [0-9]* .* [0-9:]* //' 
echo "== fstab"; cat /etc/fstab; cat /tmp/oxfstab 2>/dev/null; ls /etc | grep -c '^fstab\..*~$' 
echo "== hostname"; sed "s/^oxible-test-.*/CONTAINER/" /etc/hostname
for f in /etc/sudoers.d/* /srv/sudoers/*; do echo "== $f"; stat -c '%a %U %G' "$f"; cat "$f"; done
true
"#;

fn dir() -> PathBuf {
    fixtures_dir().join("sysmods")
}

/// Two hosts prepared by the packages fixture's `make-repo.sh` and `setup.sh`.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start(2);
    let repo = std::fs::read_to_string(fixtures_dir().join("packages/make-repo.sh"))
        .expect("read make-repo.sh");
    let setup = std::fs::read_to_string(dir().join("setup.sh")).expect("read setup.sh");
    for i in 0..2 {
        hosts.exec(i, &repo);
        hosts.exec(i, &setup);
    }
    hosts
}

/// Runs `playbook` with ansible-core on h1 and oxible on h2 from `work`; each host's
/// container name (its initial hostname) is written `CONTAINER` in the output.
fn both(hosts: &TestHosts, work: &Path, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
    let (mut ansible, mut oxible) = pair::both(hosts, work, &dir().join(playbook), extra);
    for (i, out) in [&mut ansible, &mut oxible].into_iter().enumerate() {
        out.stdout = out.stdout.replace(&hosts.hosts()[i].container, "CONTAINER");
    }
    (ansible, oxible)
}

/// `playbook` in check mode (the host must not change), then twice for real (the second run
/// must change nothing), all with `--diff`, output compared each time; then the state.
fn converge(hosts: &TestHosts, work: &Path, playbook: &str) {
    let state = |i: usize| hosts.exec(i, STATE);
    let fresh = state(1);
    let (ansible, oxible) = both(hosts, work, playbook, &["--check", "--diff"]);
    pair::assert_same(&format!("{playbook} --check"), &ansible, &oxible, &[]);
    // Check mode changes what it changes with ansible-core too: nothing, except that listing
    // the keys of a keyring file that does not exist yet (apt-key, through gpg) creates it.
    let after_check = state(1);
    assert_eq!(
        after_check,
        state(0),
        "{playbook} in check mode: the hosts differ"
    );
    let created = "== /etc/apt/keyrings/ox.gpg\n";
    assert_eq!(
        after_check.replacen(created, "", 1),
        fresh,
        "{playbook} in check mode changed the host"
    );
    for run in 1..=2 {
        let (ansible, oxible) = both(hosts, work, playbook, &["--diff"]);
        pair::assert_same(&format!("{playbook} run {run}"), &ansible, &oxible, &[]);
        if run == 2 {
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
    }
    pair::assert_same_state(hosts, &format!("the state after {playbook}"), STATE);
}

#[test]
fn system_modules_match_ansible() {
    let hosts = prepared_hosts();
    let work = std::env::temp_dir().join(format!("{}-sysmods", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    converge(&hosts, &work, "hosts.yml");
    converge(&hosts, &work, "site.yml");
    let _ = std::fs::remove_dir_all(&work);
}
