//! Configuration modules on real container hosts, oxible against ansible-core (with the
//! community.general and ansible.posix collections for the oracle): ini_file, htpasswd,
//! selinux/seboolean and iptables. Two fresh hosts prepared by `tests/fixtures/config/setup.sh`;
//! ansible-core (pipelining on) runs each playbook on h1, oxible on h2. Compared: exit code and
//! output line for line (`--diff` on) in check mode, which must change nothing, a first run and
//! a second run, which must report changed=0; then the files the modules leave behind.

use oxible_tests::pair::{Pair, recap_changed};

/// The INI files, their modes, and how many backups were made.
const INI_STATE: &str = r#"for f in $(find /srv/ini -type f -not -name '*~' | sort); do echo "== $f"; stat -c '%a %U' "$f"; cat "$f"; done
find /srv/ini -name '*~' | wc -l"#;

/// The htpasswd files: users and hash schemes (salts differ), and which passwords passlib
/// verifies on the host.
const HT_STATE: &str = r#"for f in /srv/ht/new/users /srv/ht/existing; do echo "== $f"; [ -f "$f" ] || continue; stat -c '%a %U' "$f"; sed -E 's/^([^:#]*):([$][^$]*[$](rounds=[0-9]*[$])?|[{]SHA[}]).*/\1:\2/' "$f"; done
ls /srv/ht
python3 - <<'EOF'
import os
from passlib.apache import HtpasswdFile
for path, user, pw in [("/srv/ht/new/users", "alice", "wonderland"), ("/srv/ht/new/users", "bob", "builder"), ("/srv/ht/new/users", "carol", "singer"), ("/srv/ht/new/users", "heidi", "blowfish"), ("/srv/ht/existing", "eve", "changed"), ("/srv/ht/existing", "frank", "plain"), ("/srv/ht/existing", "ivan", "secret")]:
    print(path, user, os.path.exists(path) and HtpasswdFile(path).check_password(user, pw))
EOF"#;

/// The rules of the filter and nat tables.
const IPT_STATE: &str = "iptables -S; iptables -t nat -S";

#[test]
fn config_modules_match_ansible() {
    // NET_ADMIN, so iptables changes real rules (in the container's network namespace).
    let pair = Pair::start(
        "config",
        Some("oxible-test/netadmin:bookworm"),
        &["setup.sh"],
    );
    pair.run_same("ini.yml --check", "ini.yml", &["--check", "--diff"]);
    pair.same_state("ini files after --check", INI_STATE);
    pair.converge_twice("ini.yml", &["--diff"], |_| {});
    pair.same_state("ini files", INI_STATE);

    pair.run_same("htpasswd.yml --check", "htpasswd.yml", &["--check"]);
    pair.same_state("htpasswd files after --check", HT_STATE);
    pair.converge_twice("htpasswd.yml", &[], |_| {});
    pair.same_state("htpasswd files", HT_STATE);

    pair.run_same("iptables.yml --check", "iptables.yml", &["--check"]);
    pair.same_state("rules after --check", IPT_STATE);
    pair.converge_twice("iptables.yml", &[], |_| {});
    pair.same_state("rules", IPT_STATE);

    // selinux/seboolean without SELinux: a deliberate difference (docs/COMPATIBILITY.md).
    let (ansible, oxible) = pair.both("selinux.yml", &[]);
    assert!(
        ansible.stdout.contains("libselinux-python"),
        "{}",
        ansible.stdout
    );
    assert!(
        oxible
            .stdout
            .contains("SELinux is not available on this host"),
        "{}",
        oxible.stdout
    );
    assert_eq!(recap_changed(&oxible), "changed=0", "{}", oxible.stdout);
    assert!(oxible.stdout.contains("ignored=0"), "{}", oxible.stdout);
}
