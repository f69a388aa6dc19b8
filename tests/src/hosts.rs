//! Real container hosts for transport tests: `TestHosts::start(n)` starts `n` containers from
//! the test image (`tests/hosts/build-image.sh`, built on first use and cached), each running
//! sshd on a loopback port, and writes an inventory for them (`tests/hosts/start.sh`). Dropping
//! the value removes those containers and only those (`tests/hosts/stop.sh`, by label).
//!
//! The inventory has two groups naming the same containers two ways: `ssh` (hosts `h1`..`hN`,
//! root over ssh with the test key) and `docker` (the container names, with
//! `ansible_connection=docker`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Outcome, base_command, oracle_bin_dir, oxible_bin, run, workspace_root};

/// One started container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestHost {
    /// Its inventory name in the `ssh` group (`h1`, `h2`, …).
    pub name: String,
    /// The container's name, also its inventory name in the `docker` group and its hostname.
    pub container: String,
    /// The loopback port its sshd is published on.
    pub port: u16,
}

/// `n` running container hosts and their inventory; removed on drop.
#[derive(Debug)]
pub struct TestHosts {
    prefix: String,
    dir: PathBuf,
    inventory: PathBuf,
    hosts: Vec<TestHost>,
}

impl TestHosts {
    /// Starts `n` hosts (building the image first when it is missing) and waits until each
    /// accepts an ssh login. Panics with the scripts' message when that fails.
    pub fn start(n: usize) -> TestHosts {
        Self::start_from(n, None)
    }

    /// Like [`TestHosts::start`], from `image`: one derived from the test image (such as
    /// `oxible-test/dnf:bookworm`, built on demand by `tests/hosts/build-dnf-image.sh`; see
    /// `start.sh`'s `OXIBLE_HOSTS_IMAGE`).
    pub fn start_image(n: usize, image: &str) -> TestHosts {
        Self::start_from(n, Some(image))
    }

    fn start_from(n: usize, image: Option<&str>) -> TestHosts {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let prefix = format!(
            "oxible-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(&prefix);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let inventory = dir.join("hosts.ini");
        // Built here, not at the first drop: a failed start still removes what it started
        // (start.sh cleans up after itself too).
        let mut hosts = TestHosts {
            prefix,
            dir,
            inventory,
            hosts: Vec::new(),
        };
        let mut start = Command::new(script("start.sh"));
        if let Some(image) = image {
            start.env("OXIBLE_HOSTS_IMAGE", image);
        }
        let out = start
            .arg(n.to_string())
            .arg(&hosts.prefix)
            .arg(&hosts.inventory)
            .output()
            .expect("run tests/hosts/start.sh");
        assert!(
            out.status.success(),
            "tests/hosts/start.sh {n} {} failed:\n{}",
            hosts.prefix,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&hosts.inventory).expect("read the hosts' inventory");
        hosts.hosts = parse_inventory(&text);
        assert_eq!(hosts.hosts.len(), n, "inventory from start.sh:\n{text}");
        hosts
    }

    /// The INI inventory naming the hosts (groups `ssh` and `docker`).
    pub fn inventory(&self) -> &Path {
        &self.inventory
    }

    /// The hosts, in start order.
    pub fn hosts(&self) -> &[TestHost] {
        &self.hosts
    }

    /// The label value and container name prefix of these hosts.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The private key that logs in as root, tester and pwuser on every host.
    pub fn private_key(&self) -> PathBuf {
        let text = std::fs::read_to_string(&self.inventory).expect("read the hosts' inventory");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("ansible_ssh_private_key_file="))
            .map(PathBuf::from)
            .expect("ansible_ssh_private_key_file in the inventory")
    }

    /// `ansible-<tool> -i <inventory> args…` (`ansible` itself when `tool` is empty) from the
    /// oracle venv, run in `dir` with the
    /// environment of [`crate::ansible`] plus what ansible-core's users set for such hosts:
    /// pipelining on (become_user to unprivileged users without ACL tricks) and the
    /// community.docker collection for the `docker` group.
    pub fn ansible(&self, tool: &str, dir: &Path, args: &[&str]) -> Outcome {
        let program = match tool {
            "" => "ansible".to_string(),
            _ => format!("ansible-{tool}"),
        };
        let mut cmd = base_command(&oracle_bin_dir().join(program), dir);
        cmd.env("ANSIBLE_PIPELINING", "1")
            .env("ANSIBLE_COLLECTIONS_PATH", oracle_collections())
            .arg("-i")
            .arg(&self.inventory)
            .args(args);
        run(cmd)
    }

    /// `oxible <subcommand> -i <inventory> args…`, run in `dir` (no pipelining setting: oxible
    /// needs none).
    pub fn oxible(&self, subcommand: &str, dir: &Path, args: &[&str]) -> Outcome {
        let mut cmd = base_command(&oxible_bin(), dir);
        cmd.arg(subcommand)
            .arg("-i")
            .arg(&self.inventory)
            .args(args);
        run(cmd)
    }

    /// The command [`TestHosts::ansible`] (`tool` "ansible") or [`TestHosts::oxible`] (any
    /// other `tool`) would run for `ansible-playbook`/`oxible playbook` with `args`, to spawn
    /// and watch while it runs (ansible-core's output unbuffered, as on a terminal).
    pub fn playbook_command(&self, tool: &str, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = match tool {
            "ansible" => {
                let mut cmd = base_command(&oracle_bin_dir().join("ansible-playbook"), dir);
                cmd.env("ANSIBLE_PIPELINING", "1")
                    .env("ANSIBLE_COLLECTIONS_PATH", oracle_collections())
                    .env("PYTHONUNBUFFERED", "1");
                cmd
            }
            _ => {
                let mut cmd = base_command(&oxible_bin(), dir);
                cmd.arg("playbook");
                cmd
            }
        };
        cmd.arg("-i").arg(&self.inventory).args(args);
        cmd
    }

    /// Stops host `i` (0-based) with `docker stop`, as a machine going away mid-run would.
    pub fn stop_host(&self, i: usize) {
        docker(&["stop", "--time", "1", &self.hosts[i].container]);
    }

    /// Runs `sh -c script` as root inside host `i` (0-based) with `docker exec`, beside whatever
    /// the tool under test does; returns its standard output. Panics when it fails.
    pub fn exec(&self, i: usize, script: &str) -> String {
        docker(&["exec", &self.hosts[i].container, "sh", "-c", script])
    }
}

impl Drop for TestHosts {
    fn drop(&mut self) {
        // Never panics (a panic in drop during a failing test's unwinding would abort).
        match Command::new(script("stop.sh")).arg(&self.prefix).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "tests/hosts/stop.sh {} failed:\n{}",
                self.prefix,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("cannot run tests/hosts/stop.sh: {e}"),
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The work directory inside every container that remote fixture runs write to (passed as
/// `-e workdir=…`, emptied before each run).
pub const REMOTE_WORKDIR: &str = "/tmp/oxible-work";

/// What one tool did to a fixture run on the container hosts: exit code, output with per-task
/// host results in host order, and the files left in [`REMOTE_WORKDIR`] on each container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRun {
    /// Exit code.
    pub code: i32,
    /// Standard output, masked (timings, the play directory) and host-sorted
    /// ([`sort_host_results`]).
    pub stdout: String,
    /// `<container index>:<path>` → `<type> <mode> <sha1 or link target>` for everything under
    /// the work directory of each container.
    pub files: std::collections::BTreeMap<String, String>,
}

impl TestHosts {
    /// Empties [`REMOTE_WORKDIR`] on every host (creating it).
    pub fn reset_workdir(&self) {
        for i in 0..self.hosts.len() {
            self.exec(
                i,
                &format!("rm -rf {REMOTE_WORKDIR} && mkdir -p {REMOTE_WORKDIR}"),
            );
        }
    }

    /// Everything under [`REMOTE_WORKDIR`] on each host, read back with `docker exec`: type,
    /// mode and the content's sha1 (link target for symlinks).
    pub fn workdir_files(&self) -> std::collections::BTreeMap<String, String> {
        let script = format!(
            "cd {REMOTE_WORKDIR} && find . -mindepth 1 -printf '%y %m %p\\0' | \
             while IFS= read -r -d '' line; do t=${{line%% *}}; rest=${{line#* }}; m=${{rest%% *}}; \
             p=${{rest#* }}; case $t in f) s=$(sha1sum < \"$p\" | cut -c1-40);; \
             l) s=$(readlink \"$p\");; *) s=-;; esac; printf '%s\\t%s %s %s\\n' \"$p\" \"$t\" \"$m\" \"$s\"; done"
        );
        let mut files = std::collections::BTreeMap::new();
        for i in 0..self.hosts.len() {
            let out = docker(&["exec", &self.hosts[i].container, "bash", "-c", &script]);
            for line in out.lines() {
                if let Some((path, what)) = line.split_once('\t') {
                    files.insert(format!("{i}:{path}"), what.to_string());
                }
            }
        }
        files
    }

    /// Runs `tests/fixtures/runs/<name>/site.yml` with `tool` (`"ansible"`, pipelining on, or
    /// `"oxible"`) against the hosts of inventory group `group` (`ssh` or `docker`): the plays'
    /// `hosts: localhost` become `hosts: <group>`, `-e workdir=`[`REMOTE_WORKDIR`] (emptied on
    /// every host first), the fixture's `args` line, then `extra`. Forks stay at the default
    /// (5): all hosts run each task at once, and the output's per-task host results are put in
    /// host order afterwards ([`sort_host_results`]) rather than serialising the run with
    /// `-f 1`, which would triple its time.
    pub fn run_fixture(&self, tool: &str, name: &str, group: &str, extra: &[&str]) -> RemoteRun {
        let fixture = crate::fixtures_dir().join("runs").join(name);
        let play_dir = self.dir.join(format!("play-{tool}-{group}-{name}"));
        let _ = std::fs::remove_dir_all(&play_dir);
        crate::copy_dir(&fixture, &play_dir);
        let site = play_dir.join("site.yml");
        let text = std::fs::read_to_string(&site).expect("read site.yml");
        std::fs::write(
            &site,
            text.replace("hosts: localhost", &format!("hosts: {group}")),
        )
        .expect("write site.yml");
        self.reset_workdir();
        let args_file = std::fs::read_to_string(fixture.join("args")).unwrap_or_default();
        let workdir = format!("workdir={REMOTE_WORKDIR}");
        let mut args: Vec<&str> = vec!["site.yml"];
        args.extend(
            args_file
                .lines()
                .next()
                .unwrap_or_default()
                .split_whitespace(),
        );
        args.extend(["-e", &workdir]);
        args.extend(extra);
        let outcome = match tool {
            "ansible" => self.ansible("playbook", &play_dir, &args),
            _ => self.oxible("playbook", &play_dir, &args),
        };
        let play = play_dir.display().to_string();
        let stdout = crate::mask(&outcome.stdout, &[(&play, "<PLAY>")]);
        let files = self.workdir_files();
        let _ = std::fs::remove_dir_all(&play_dir);
        RemoteRun {
            code: outcome.code,
            stdout: sort_host_results(&stdout),
            files,
        }
    }

    /// Runs fixture `name` over `group` with both tools and returns the differences (exit code,
    /// output line for line, files on each host) as text; empty when they agree.
    pub fn diff_fixture(&self, name: &str, group: &str, extra: &[&str]) -> String {
        let started = std::time::Instant::now();
        let theirs = self.run_fixture("ansible", name, group, extra);
        let middle = std::time::Instant::now();
        let ours = self.run_fixture("oxible", name, group, extra);
        eprintln!(
            "{name} over {group} {extra:?}: ansible {:.1}s, oxible {:.1}s",
            (middle - started).as_secs_f64(),
            middle.elapsed().as_secs_f64()
        );
        let mut problems = Vec::new();
        if theirs.code != ours.code {
            problems.push(format!(
                "exit code: ansible {} oxible {}",
                theirs.code, ours.code
            ));
        }
        let (a, b): (Vec<&str>, Vec<&str>) = (
            theirs.stdout.lines().collect(),
            ours.stdout.lines().collect(),
        );
        let lines: Vec<String> = (0..a.len().max(b.len()))
            .filter(|&i| a.get(i) != b.get(i))
            .take(8)
            .map(|i| {
                format!(
                    "line {}:\n  ansible: {}\n  oxible:  {}",
                    i + 1,
                    a.get(i).unwrap_or(&"<none>"),
                    b.get(i).unwrap_or(&"<none>")
                )
            })
            .collect();
        if !lines.is_empty() {
            problems.push(format!(
                "output:\n{}\n--- ansible\n{}--- oxible\n{}",
                lines.join("\n"),
                theirs.stdout,
                ours.stdout
            ));
        }
        if theirs.files != ours.files {
            let keys: std::collections::BTreeSet<&String> =
                theirs.files.keys().chain(ours.files.keys()).collect();
            let files: Vec<String> = keys
                .into_iter()
                .filter(|k| theirs.files.get(*k) != ours.files.get(*k))
                .map(|k| {
                    format!(
                        "  {k}: ansible {:?} oxible {:?}",
                        theirs.files.get(k),
                        ours.files.get(k)
                    )
                })
                .collect();
            problems.push(format!("files:\n{}", files.join("\n")));
        }
        if problems.is_empty() {
            String::new()
        } else {
            format!(
                "== {name} over {group} {extra:?}\n{}\n",
                problems.join("\n")
            )
        }
    }
}

/// `stdout` with each task's output in a canonical order, so runs with several forks compare
/// line for line: within a section (from one `TASK`/`RUNNING HANDLER`/`PLAY` banner to the
/// next), the `[ERROR]: …` blocks first (ansible-core prints one from a worker process, racing
/// the results), then the host results stable-sorted by host name (a result starts at a line
/// like `ok: [h2] …`, `fatal: [h3]: …`, `failed: [h1] (item=…)` and takes the lines after it
/// up to the next result or blank line, so `...ignoring` and multi-line dumps stay with it,
/// and one host's loop items keep their order), then everything else (`included: … for …`,
/// blank lines) in its order. The recap is already sorted by both tools.
pub fn sort_host_results(stdout: &str) -> String {
    fn host_of(line: &str) -> Option<&str> {
        let (status, rest) = line.split_once(": [")?;
        if !matches!(
            status,
            "ok" | "changed" | "fatal" | "failed" | "skipping" | "unreachable"
        ) {
            return None;
        }
        rest.split(']').next()
    }
    #[derive(Default)]
    struct Section {
        errors: Vec<String>,
        results: Vec<(String, String)>,
        rest: String,
    }
    impl Section {
        fn flush(&mut self, out: &mut String) {
            self.results.sort_by(|a, b| a.0.cmp(&b.0));
            out.extend(self.errors.drain(..));
            out.extend(self.results.drain(..).map(|(_, text)| text));
            out.push_str(&std::mem::take(&mut self.rest));
        }
    }
    enum In {
        Nothing,
        Result,
        /// An error block; whether its `Origin:` excerpt (ended by a blank line after the
        /// `^ column` marker) has begun, and whether the marker was seen.
        Error {
            origin: bool,
            marker: bool,
        },
    }
    let mut out = String::with_capacity(stdout.len());
    let mut section = Section::default();
    let mut state = In::Nothing;
    for line in stdout.lines() {
        let text = format!("{line}\n");
        if let In::Error { origin, marker } = &mut state {
            let last = section.errors.last_mut().expect("an error block");
            if line.is_empty() && (!*origin || *marker) {
                last.push_str(&text);
                state = In::Nothing;
                continue;
            }
            if host_of(line).is_none() {
                *origin |= line.starts_with("Origin: ");
                *marker |= line.trim_start().starts_with("^ column");
                last.push_str(&text);
                continue;
            }
            state = In::Nothing;
        }
        if line.starts_with("TASK [")
            || line.starts_with("RUNNING HANDLER [")
            || line.starts_with("PLAY ")
        {
            section.flush(&mut out);
            out.push_str(&text);
            state = In::Nothing;
        } else if let Some(host) = host_of(line) {
            section.results.push((host.to_string(), text));
            state = In::Result;
        } else if line.starts_with("[ERROR]: ") {
            section.errors.push(text);
            state = In::Error {
                origin: false,
                marker: false,
            };
        } else if let Some(rest) = line.strip_prefix("included: ") {
            // `included: <file> for h1, h3, h2 [=> (item=…)]`: hosts in the order their
            // results arrived, in host order here.
            let (file, hosts) = rest.split_once(" for ").unwrap_or((rest, ""));
            let (hosts, item) = match hosts.split_once(" => ") {
                Some((hosts, item)) => (hosts, format!(" => {item}")),
                None => (hosts, String::new()),
            };
            let mut hosts: Vec<&str> = hosts.split(", ").collect();
            hosts.sort_unstable();
            section.rest.push_str(&format!(
                "included: {file} for {}{item}\n",
                hosts.join(", ")
            ));
            state = In::Nothing;
        } else if line.is_empty() {
            section.rest.push_str(&text);
            state = In::Nothing;
        } else if let (In::Result, Some(last)) = (&state, section.results.last_mut()) {
            last.1.push_str(&text);
        } else {
            section.rest.push_str(&text);
        }
    }
    section.flush(&mut out);
    out
}

/// A directory for ANSIBLE_COLLECTIONS_PATH holding community.docker, whose `docker`
/// connection plugin ansible-core lacks (`tests/hosts/docker-collection.sh`, cached).
pub fn oracle_collections() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new(script("docker-collection.sh"))
            .output()
            .expect("run tests/hosts/docker-collection.sh");
        assert!(
            out.status.success(),
            "tests/hosts/docker-collection.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

fn script(name: &str) -> PathBuf {
    workspace_root().join("tests/hosts").join(name)
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The hosts start.sh wrote: `hN ansible_host=… ansible_port=P` lines of `[ssh]`, paired in
/// order with the container names of `[docker]`.
fn parse_inventory(text: &str) -> Vec<TestHost> {
    let mut section = "";
    let mut ssh = Vec::new();
    let mut containers = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
            continue;
        }
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default().to_string();
        match section {
            "ssh" => {
                let port = words
                    .find_map(|w| w.strip_prefix("ansible_port="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("no ansible_port in inventory line {line:?}"));
                ssh.push((name, port));
            }
            "docker" => containers.push(name),
            _ => {}
        }
    }
    assert_eq!(ssh.len(), containers.len(), "inventory:\n{text}");
    ssh.into_iter()
        .zip(containers)
        .map(|((name, port), container)| TestHost {
            name,
            container,
            port,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_host_results_per_task() {
        let text = "TASK [t] ***\nchanged: [h2] => (item=a)\n[ERROR]: Task failed: x\nOrigin: f:1:1\n\n\
                    1 - x\n  ^ column 1\n\nfailed: [h1] (item=b) => {}\n...ignoring\n\
                    ok: [h1] => {\n    \"x\": 1\n}\nchanged: [h2] => (item=b)\n\nPLAY RECAP ***\n";
        assert_eq!(
            sort_host_results(text),
            "TASK [t] ***\n[ERROR]: Task failed: x\nOrigin: f:1:1\n\n1 - x\n  ^ column 1\n\n\
             failed: [h1] (item=b) => {}\n...ignoring\nok: [h1] => {\n    \"x\": 1\n}\n\
             changed: [h2] => (item=a)\nchanged: [h2] => (item=b)\n\nPLAY RECAP ***\n"
        );
    }

    #[test]
    fn parses_start_sh_inventory() {
        let text = "# comment\n[ssh]\nh1 ansible_host=127.0.0.1 ansible_port=32768\n\
                    h2 ansible_host=127.0.0.1 ansible_port=32769\n\n[ssh:vars]\nansible_user=root\n\
                    [docker]\np-1\np-2\n[docker:vars]\nansible_connection=docker\n";
        let hosts = parse_inventory(text);
        assert_eq!(
            hosts,
            vec![
                TestHost {
                    name: "h1".into(),
                    container: "p-1".into(),
                    port: 32768
                },
                TestHost {
                    name: "h2".into(),
                    container: "p-2".into(),
                    port: 32769
                },
            ]
        );
    }
}
