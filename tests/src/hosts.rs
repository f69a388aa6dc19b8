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
        let out = Command::new(script("start.sh"))
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
