//! The run's connections: made from each host's variables on first need, kept for the whole
//! run (an SSH master per host serves every play), closed when the run ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxible_connection::{Connection, Docker, DockerOptions, Local, Ssh, SshOptions};
use oxible_yaml::{Map, Value};

use crate::RunOptions;
use crate::run_inventory::RunInventory;

/// How a host is reached, as built from its variables (equal settings share a connection).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Transport {
    Local,
    Ssh(SshOptions),
    Docker(DockerOptions),
}

/// One connection made: for which host, with which settings.
type Made = (String, Transport, Arc<dyn Connection>);

/// Every connection made during the run, by host.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    made: Mutex<Vec<Made>>,
}

impl Connections {
    /// The connection for `host` in `play`: `ansible_connection`, else the play's
    /// `connection:`, else `-c`, else `local` for localhost and `ssh` for the rest (as
    /// Ansible); the one made before when the settings are the same. `Err` is the reason the
    /// host is unreachable.
    pub fn get(
        &self,
        inventory: &RunInventory<'_>,
        play: &oxible_playbook::Play,
        options: &RunOptions,
        host: &str,
    ) -> Result<Arc<dyn Connection>, String> {
        let mut vars = inventory.host_vars(host).unwrap_or_default();
        vars.extend(options.extra_vars.clone());
        let transport = transport(&HostVars(&vars), play, options, host)?;
        let mut made = self
            .made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, _, conn)) = made.iter().find(|(h, t, _)| h == host && *t == transport) {
            return Ok(conn.clone());
        }
        let conn: Arc<dyn Connection> = match &transport {
            Transport::Local => Arc::new(Local),
            Transport::Ssh(ssh) => Arc::new(Ssh::new(ssh.clone())),
            Transport::Docker(docker) => Arc::new(Docker::new(docker.clone())),
        };
        made.push((host.to_string(), transport, conn.clone()));
        Ok(conn)
    }

    /// Closes every connection (SSH masters end), all at once.
    pub async fn close_all(&self) {
        let made: Vec<Arc<dyn Connection>> = self
            .made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
            .map(|(_, _, conn)| conn)
            .collect();
        crate::join::join_all(made.iter().map(|conn| conn.close()).collect()).await;
    }
}

/// A host's variables as connection settings read them (raw strings for now).
struct HostVars<'a>(&'a Map);

impl HostVars<'_> {
    /// The first of `names` that is set, as a string.
    fn get(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .find_map(|name| self.0.get(&Value::from(*name)))
            .map(Value::py_str)
    }

    /// The first of `names` that is set, split into shell words (Python's `shlex`).
    fn words(&self, names: &[&str]) -> Result<Vec<String>, String> {
        match self.get(names) {
            Some(text) => split_words(&text, names[0]),
            None => Ok(Vec::new()),
        }
    }
}

fn split_words(text: &str, name: &str) -> Result<Vec<String>, String> {
    oxible_shell::split(text, false)
        .map(|tokens| tokens.into_iter().map(|t| t.text).collect())
        .map_err(|e| format!("cannot split {name} ({text:?}) into words: {e}"))
}

/// The transport `host` uses and its settings.
fn transport(
    vars: &HostVars<'_>,
    play: &oxible_playbook::Play,
    options: &RunOptions,
    host: &str,
) -> Result<Transport, String> {
    let kind = vars
        .get(&["ansible_connection"])
        .or_else(|| play.keywords.get("connection").map(Value::py_str))
        .or_else(|| options.connection.clone())
        .unwrap_or_else(|| {
            if oxible_inventory::LOCALHOST_NAMES.contains(&host) {
                "local"
            } else {
                "ssh"
            }
            .to_string()
        });
    let address = vars
        .get(&["ansible_host", "ansible_ssh_host"])
        .unwrap_or_else(|| host.to_string());
    let user = vars
        .get(&["ansible_user", "ansible_ssh_user"])
        .or_else(|| play.keywords.get("remote_user").map(Value::py_str))
        .or_else(|| options.connect.remote_user.clone());
    match kind.as_str() {
        "local" | "ansible.builtin.local" => Ok(Transport::Local),
        "ssh" | "ansible.builtin.ssh" | "paramiko" | "smart" => {
            if vars
                .get(&[
                    "ansible_ssh_pass",
                    "ansible_ssh_password",
                    "ansible_password",
                ])
                .is_some()
            {
                return Err("Failed to connect to the host via ssh: password authentication (ansible_ssh_pass / ansible_password) is not supported by oxible; use a key (ansible_ssh_private_key_file, --private-key) or an ssh agent".to_string());
            }
            let port =
                match vars.get(&["ansible_port", "ansible_ssh_port"]) {
                    Some(port) => Some(port.trim().parse::<u16>().map_err(|_| {
                        format!("invalid ansible_port {port:?}: not a port number")
                    })?),
                    None => None,
                };
            let host_key_checking = vars
                .get(&["ansible_ssh_host_key_checking", "ansible_host_key_checking"])
                .map_or(options.connect.host_key_checking, |v| {
                    crate::task::truthy_value(&Value::from(v.as_str()))
                });
            let mut extra_args = Vec::new();
            match vars.get(&["ansible_ssh_common_args"]) {
                Some(text) => extra_args.extend(split_words(&text, "ansible_ssh_common_args")?),
                None => extra_args.extend(options.connect.ssh_common_args.iter().cloned()),
            }
            match vars.get(&["ansible_ssh_extra_args"]) {
                Some(text) => extra_args.extend(split_words(&text, "ansible_ssh_extra_args")?),
                None => extra_args.extend(options.connect.ssh_extra_args.iter().cloned()),
            }
            Ok(Transport::Ssh(SshOptions {
                host: address,
                port,
                user,
                private_key: vars
                    .get(&["ansible_ssh_private_key_file", "ansible_private_key_file"])
                    .map(|key| expand_home(&key).into())
                    .or_else(|| options.connect.private_key.clone()),
                extra_args,
                host_key_checking,
                connect_timeout: Duration::from_secs(options.connect.timeout),
            }))
        }
        "docker" | "community.docker.docker" => Ok(Transport::Docker(DockerOptions {
            container: address,
            user,
            extra_args: vars.words(&["ansible_docker_extra_args"])?,
        })),
        other => Err(format!(
            "Failed to connect to the host: the '{other}' connection is not available in oxible"
        )),
    }
}

/// `~/…` under `$HOME`, as Ansible expands key paths.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}
