//! Download modules (get_url, uri, unarchive) on real container hosts, oxible against
//! ansible-core: each host serves its own files (`tests/fixtures/downloads/setup.sh` and
//! `server.py`, no network); ansible-core (pipelining on) runs a playbook on the first host,
//! oxible on the second. Compared: exit code, output line for line (run-specific keys left
//! out by the playbooks, timings masked), the files each host ends with (modes, owners,
//! checksums); a check-mode run changes nothing, and the converging play reports changed=0 on
//! its second run.

use std::path::{Path, PathBuf};

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

fn dir() -> PathBuf {
    fixtures_dir().join("downloads")
}

/// Two hosts serving the fixtures: h1 for ansible-core, h2 for oxible.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start(2);
    let server = std::fs::read_to_string(dir().join("server.py")).expect("read server.py");
    let setup = std::fs::read_to_string(dir().join("setup.sh")).expect("read setup.sh");
    let script = format!(
        "mkdir -p /srv/dl && cat > /srv/dl/server.py <<'OXIBLE_EOF'\n{server}OXIBLE_EOF\n{setup}"
    );
    for i in 0..2 {
        hosts.exec(i, &script);
    }
    hosts
}

/// The work directory, with the controller-side archive `ctl.tgz` for unarchive.
fn work(hosts: &TestHosts) -> PathBuf {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    let tree = work.join("tree/ctl");
    std::fs::create_dir_all(&tree).expect("work dir");
    std::fs::write(tree.join("c.txt"), "controller\n").expect("write c.txt");
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(work.join("ctl.tgz"))
        .arg("-C")
        .arg(work.join("tree"))
        .arg("ctl")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar on the controller");
    work
}

fn both(hosts: &TestHosts, work: &Path, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
    let archive = format!("archive={}", work.join("ctl.tgz").display());
    let mut args = vec!["-e", archive.as_str()];
    args.extend(extra);
    pair::both(hosts, work, &dir().join(playbook), &args)
}

fn assert_same(what: &str, ansible: &Outcome, oxible: &Outcome) {
    pair::assert_same(what, ansible, oxible, &["\"elapsed\": "]);
}

/// The files below /opt/dl: type, mode, owner, group, size and content checksum (archives
/// made on the hosts by their member names and content, git checkouts without `.git`).
fn files_state(hosts: &TestHosts, what: &str) {
    pair::assert_same_state(
        hosts,
        what,
        r#"set -f; cd /opt/dl || exit 1
skip='( -name .git -o -path ./git/c -o -path ./arch -o -name *.tgz -o -name *.bz2 -o -name *.zip -o -name *.xz )'
find . $skip -prune -o -printf '%p %y %m %u %g %s\n' | sort
find . $skip -prune -o -type f -exec sha1sum {} + | sort -k2
for a in $(find . -name '*.tgz' -o -name '*.tar.*' -o -name '*.zip' | sort); do
  echo "$a"
  case $a in *.zip) unzip -Z1 "$a" ;; *) tar -tf "$a" ;; esac | sed 's,/$,,' | sort
done
for a in $(find . -name '*.txt.bz2' | sort); do echo "$a $(bzip2 -dc "$a" | sha1sum)"; done
git -C git/c log --format=%H --all | sort"#,
    );
}

#[test]
fn downloads_match_ansible() {
    let hosts = prepared_hosts();
    let work = work(&hosts);

    let (ansible, oxible) = both(&hosts, &work, "downloads.yml", &[]);
    assert_same("downloads.yml", &ansible, &oxible);
    files_state(&hosts, "files after downloads.yml");

    let before = hosts.exec(1, "find /opt/dl/c | sort");
    let (ansible, oxible) = both(&hosts, &work, "converge.yml", &["--check"]);
    assert_same("converge.yml --check", &ansible, &oxible);
    assert_eq!(
        hosts.exec(1, "find /opt/dl/c | sort"),
        before,
        "check mode changed files"
    );

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, &work, "converge.yml", &[]);
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
    files_state(&hosts, "files after converge.yml");
}
