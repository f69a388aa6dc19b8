//! Differential test of the system modules (`group`, `user`, `cron`, `service` through an init
//! script) on real container hosts: the same playbook (tests/fixtures/system/site.yml) runs
//! with ansible-core (pipelining on) on one fresh host and with oxible on another; compared are
//! exit codes and output line for line in check mode, the first run and a second run (which
//! must change nothing but the user added and removed again), and the state left behind (passwd, group, shadow hash, crontabs,
//! home directory, the service's status and boot links).

use std::path::{Path, PathBuf};

use oxible_tests::hosts::TestHosts;
use oxible_tests::{Outcome, ansible, fixtures_dir, oxible};

/// The state the playbook changes, as text.
const STATE: &str = r#"grep -E '^ox' /etc/passwd /etc/group
grep -E '^oxuser:' /etc/shadow | cut -d: -f1,2
id oxuser
echo '--- root crontab'; crontab -l
echo '--- oxuser crontab'; crontab -u oxuser -l
echo '--- home'; stat -c '%n %a %U %G' /home/oxuser /home/oxuser/.ssh /home/oxuser/.ssh/id_ed25519 /home/oxuser/.ssh/id_ed25519.pub
ls /home/oxtmp 2>&1
echo '--- service'; service oxsleep status; ls /etc/rc2.d | grep oxsleep
"#;

/// An inventory naming host `i` `target`, so both tools print the same host name.
fn inventory(hosts: &TestHosts, i: usize, dir: &Path) -> PathBuf {
    let path = dir.join(format!("hosts-{i}.ini"));
    let text = format!(
        "target ansible_host=127.0.0.1 ansible_port={} ansible_user=root \
         ansible_ssh_private_key_file={} ansible_python_interpreter=/usr/bin/python3 \
         ansible_pipelining=true \
         ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n",
        hosts.hosts()[i].port,
        hosts.private_key().display()
    );
    std::fs::write(&path, text).expect("write inventory");
    path
}

/// `out`'s stdout with the host's container name (its hostname) masked.
fn masked(out: &Outcome, hosts: &TestHosts, i: usize) -> String {
    out.stdout
        .replace(&hosts.hosts()[i].container, "<HOSTNAME>")
}

fn assert_same(what: &str, theirs: &str, ours: &str) {
    let diff: Vec<String> = theirs
        .lines()
        .zip(ours.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(n, (a, b))| format!("line {}:\n  ansible: {a}\n  oxible:  {b}", n + 1))
        .take(10)
        .collect();
    assert!(
        diff.is_empty() && theirs.lines().count() == ours.lines().count(),
        "{what} differs:\n{}\n--- ansible\n{theirs}\n--- oxible\n{ours}",
        diff.join("\n")
    );
}

#[test]
fn system_modules_match_ansible_on_container_hosts() {
    let hosts = TestHosts::start(2);
    let dir = std::env::temp_dir().join(format!("{}-system", hosts.prefix()));
    std::fs::create_dir_all(&dir).expect("work dir");
    std::fs::copy(fixtures_dir().join("system/site.yml"), dir.join("site.yml")).expect("copy");
    let init = std::fs::read_to_string(fixtures_dir().join("system/oxsleep.init")).expect("init");
    for i in 0..2 {
        hosts.exec(
            i,
            &format!("cat >/etc/init.d/oxsleep <<'EOF'\n{init}EOF\nchmod 755 /etc/init.d/oxsleep"),
        );
    }
    let inv: Vec<String> = (0..2)
        .map(|i| inventory(&hosts, i, &dir).display().to_string())
        .collect();
    let run = |i: usize, extra: &[&str]| {
        let mut args = vec!["-i", inv[i].as_str(), "site.yml"];
        args.extend(extra);
        let out = if i == 0 {
            ansible("playbook", &dir, &args)
        } else {
            oxible("playbook", &dir, &args)
        };
        (out.code, masked(&out, &hosts, i))
    };
    let state = |i: usize| hosts.exec(i, &format!("{{\n{STATE}}} 2>&1; true"));
    let fresh = state(0);
    assert_eq!(fresh, state(1), "fresh hosts differ");

    for (what, extra) in [
        ("check mode", &["--check"][..]),
        ("first run", &[][..]),
        ("second run", &["--skip-tags", "restart"][..]),
    ] {
        let (theirs, ours) = (run(0, extra), run(1, extra));
        assert_eq!(
            ours.0, theirs.0,
            "exit code of the {what}:\n{}\n{}",
            theirs.1, ours.1
        );
        assert_same(what, &theirs.1, &ours.1);
        match what {
            "check mode" => assert_eq!(state(1), fresh, "check mode changed the host"),
            // Only the pair that adds then removes `oxtmp` changes again.
            "second run" => assert!(ours.1.contains("changed=2 "), "{}", ours.1),
            _ => {}
        }
    }
    assert_same("resulting state", &state(0), &state(1));
    let _ = std::fs::remove_dir_all(&dir);
}
