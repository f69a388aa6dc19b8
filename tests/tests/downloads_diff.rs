//! Download modules (get_url, uri, unarchive) on real container hosts, oxible against
//! ansible-core: each host serves its own files (`tests/fixtures/downloads/setup.sh` and
//! `server.py`, no network); ansible-core (pipelining on) runs a playbook on the first host,
//! oxible on the second. Compared: exit code, output line for line (run-specific keys left
//! out by the playbooks, timings masked), the files each host ends with (modes, owners,
//! checksums); a check-mode run changes nothing, and the converging play reports changed=0 on
//! its second run.

use std::path::Path;

use oxible_tests::pair::Pair;

/// Two hosts serving the fixtures (`server.py`, set up by `setup.sh`): h1 for ansible-core,
/// h2 for oxible; the output's elapsed times masked.
fn prepared() -> Pair {
    let pair = Pair::start("downloads", None, &[]).masking(&["\"elapsed\": "]);
    let read = |name: &str| {
        std::fs::read_to_string(pair.fixtures.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let script = format!(
        "mkdir -p /srv/dl && cat > /srv/dl/server.py <<'OXIBLE_EOF'\n{}OXIBLE_EOF\n{}",
        read("server.py"),
        read("setup.sh")
    );
    for i in 0..2 {
        pair.hosts.exec(i, &script);
    }
    pair
}

/// Writes the controller-side archive `ctl.tgz` (for unarchive) into `work`; returns the
/// `-e archive=…` value naming it.
fn controller_archive(work: &Path) -> String {
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
    format!("archive={}", work.join("ctl.tgz").display())
}

/// The files below /opt/dl: type, mode, owner, group, size and content checksum (archives
/// made on the hosts by their member names and content, git checkouts without `.git`).
const FILES: &str = r#"set -f; cd /opt/dl || exit 1
skip='( -name .git -o -path ./git/c -o -path ./arch -o -name *.tgz -o -name *.bz2 -o -name *.zip -o -name *.xz )'
find . $skip -prune -o -printf '%p %y %m %u %g %s\n' | sort
find . $skip -prune -o -type f -exec sha1sum {} + | sort -k2
for a in $(find . -name '*.tgz' -o -name '*.tar.*' -o -name '*.zip' | sort); do
  echo "$a"
  case $a in *.zip) unzip -Z1 "$a" ;; *) tar -tf "$a" ;; esac | sed 's,/$,,' | sort
done
for a in $(find . -name '*.txt.bz2' | sort); do echo "$a $(bzip2 -dc "$a" | sha1sum)"; done
git -C git/c log --format=%H --all | sort"#;

#[test]
fn downloads_match_ansible() {
    let pair = prepared();
    let archive = controller_archive(&pair.work);
    let with_archive = ["-e", archive.as_str()];

    pair.run_same("downloads.yml", "downloads.yml", &with_archive);
    pair.same_state("files after downloads.yml", FILES);

    let listing = "find /opt/dl/c | sort";
    let before = pair.hosts.exec(1, listing);
    let check = ["-e", archive.as_str(), "--check"];
    pair.run_same("converge.yml --check", "converge.yml", &check);
    assert_eq!(
        pair.hosts.exec(1, listing),
        before,
        "check mode changed files"
    );

    pair.converge_twice("converge.yml", &with_archive, |_| {});
    pair.same_state("files after converge.yml", FILES);
}
