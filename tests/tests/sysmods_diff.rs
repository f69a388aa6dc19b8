//! System modules on real container hosts, oxible against ansible-core (with the ansible.posix
//! and community.general collections for the oracle): apt_repository, apt_key,
//! authorized_key, sysctl, hostname, alternatives, mount and sudoers. Two fresh hosts get the
//! local apt repositories of `tests/fixtures/packages/make-repo.sh` and
//! `tests/fixtures/sysmods/setup.sh`; ansible-core (pipelining on) runs each playbook on h1,
//! oxible on h2. Compared: exit code and output line for line (`--diff` on) in check mode,
//! which must change nothing, a first run and a second run, which must report changed=0; then
//! the files the modules edit on both hosts. apt_key adding keys runs on hosts of the dnf image,
//! which has the gpg-agent apt-key needs to import.

use oxible_tests::pair::Pair;

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

/// `playbook` in check mode (the host must not change), then twice for real (the second run
/// must change nothing), all with `--diff`, output compared each time; then the state.
fn converge(pair: &Pair, playbook: &str) {
    let state = |i: usize| pair.hosts.exec(i, STATE);
    let fresh = state(1);
    pair.run_same(
        &format!("{playbook} --check"),
        playbook,
        &["--check", "--diff"],
    );
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
    pair.converge_twice(playbook, &["--diff"], |_| {});
    pair.same_state(&format!("the state after {playbook}"), STATE);
}

/// The keys of the keyrings apt_key.yml edits (keyrings listed only when not empty: listing a
/// keyring that does not exist creates it empty, in check mode too, with both tools).
const KEYRINGS: &str = r#"for f in /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/ox.gpg /etc/apt/keyrings/*; do [ -s "$f" ] && echo "== $f" && gpg --no-default-keyring --keyring "$f" --list-keys --with-colons 2>/dev/null | grep -E '^(pub|uid)' | cut -d: -f1,5,10; done; true"#;

/// apt_key adding keys, which needs gpg-agent (the dnf image has it, the base image not): a
/// key made on the first host and shared, in check mode (nothing may change), then twice; then
/// the failures.
#[test]
fn apt_key_adds_keys_like_ansible() {
    let pair = Pair::start(
        "sysmods",
        Some("oxible-test/dnf:bookworm"),
        &["apt-key-setup.sh"],
    );
    pair.share(&["/srv/keys/ox.asc", "/srv/keys/ox.fpr"]);
    for i in 0..2 {
        pair.hosts.exec(
            i,
            "gpg --dearmor </srv/keys/ox.asc >/etc/apt/keyrings/gone.gpg",
        );
    }
    let fresh = pair.hosts.exec(1, KEYRINGS);
    pair.run_same("apt_key.yml --check", "apt_key.yml", &["--check"]);
    assert_eq!(
        pair.hosts.exec(1, KEYRINGS),
        fresh,
        "apt_key.yml in check mode changed the host"
    );
    pair.converge_twice("apt_key.yml", &[], |run| {
        pair.same_state(
            &format!("the keyrings after apt_key.yml run {run}"),
            KEYRINGS,
        );
    });
    pair.run_same("apt_key_errors.yml", "apt_key_errors.yml", &[]);
    pair.same_state("the keyrings after apt_key_errors.yml", KEYRINGS);
}

#[test]
fn system_modules_match_ansible() {
    let pair = Pair::start("sysmods", None, &["../packages/make-repo.sh", "setup.sh"]);
    converge(&pair, "hosts.yml");
    converge(&pair, "site.yml");
}
