//! The run's connections: found for every task from its connection variables, made on first
//! need for each host and settings, kept for the whole run (an SSH master per host serves
//! every play), closed when the run ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxible_connection::{Connection, Docker, DockerOptions, Local, Ssh, SshOptions};
use oxible_template::{MagicVars, Scope, Templar, VarSource};
use oxible_yaml::Value;

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
    /// The variables a connection is made from outside a task's own scope (gathering facts, a
    /// delegated host): the play's [`default_vars`], the host's inventory variables, the
    /// play's vars, extra vars and the magic variables known before any task runs.
    pub fn play_scope(
        inventory: &RunInventory<'_>,
        play: &oxible_playbook::Play,
        options: &RunOptions,
        templar: &Templar,
        host: &str,
    ) -> Arc<Scope> {
        let mut scope = Scope::new(templar);
        scope
            .push(
                VarSource::RoleDefaults,
                Arc::new(default_vars(
                    &ConnectionKeywords::of_play(play),
                    options,
                    host,
                )),
            )
            .push(
                VarSource::Inventory,
                Arc::new(inventory.host_vars(host).unwrap_or_default()),
            )
            .push(VarSource::PlayVars, Arc::new(play.vars.clone()))
            .push(VarSource::ExtraVars, Arc::new(options.extra_vars.clone()));
        let magic = MagicVars {
            inventory_hostname: host.to_string(),
            groups: inventory.groups_dict(),
            group_names: inventory.group_names(host),
            playbook_dir: play.basedir.display().to_string(),
            ..MagicVars::default()
        };
        scope.push(VarSource::Magic, Arc::new(magic.to_map()));
        scope.into_shared()
    }

    /// The connection for `host` as the variables in `scope` describe it (with
    /// [`default_vars`] at the bottom: `ansible_connection` falls back to the `connection:`
    /// keyword, `-c`, then `local` for localhost and `ssh` for the rest, as in Ansible); the
    /// one made before when the settings are the same. Ansible builds the connection for every
    /// task from that task's variables, so `scope` is the task's (a task's
    /// `vars: {ansible_user: …}` or a `set_fact` of `ansible_host` apply); connection variables
    /// are templated with it (`ansible_host: "{{ inventory_hostname }}.example.org"`). `Err`
    /// says why the settings make no connection (the task fails with it).
    pub fn get(
        &self,
        scope: &Arc<Scope>,
        options: &RunOptions,
        templar: &Templar,
        host: &str,
    ) -> Result<Arc<dyn Connection>, String> {
        let vars = HostVars { templar, scope };
        let transport = transport(&vars, options, host)?;
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

/// A host's variables as connection settings read them: templated, as strings.
struct HostVars<'a> {
    templar: &'a Templar,
    scope: &'a Arc<Scope>,
}

impl HostVars<'_> {
    /// The first of `names` (aliases) set at the highest precedence, templated, as a string;
    /// `Err` says which variable did not template and why.
    fn get(&self, names: &[&str]) -> Result<Option<String>, String> {
        let Some((name, raw)) = self.scope.raw_alias(names) else {
            return Ok(None);
        };
        self.templar
            .template(raw, self.scope)
            .map(|value| Some(value.py_str()))
            .map_err(|e| format!("cannot template the connection variable {name}: {e}"))
    }

    /// The first of `names` that is set, split into shell words (Python's `shlex`).
    fn words(&self, names: &[&str]) -> Result<Vec<String>, String> {
        match self.get(names)? {
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

/// What the `connection:` and `remote_user:` keywords of a play or task (inherited through
/// blocks and roles, templated) say; the `ansible_connection` and `ansible_user` variables win
/// over them, as in Ansible.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionKeywords {
    /// `connection:`.
    pub connection: Option<String>,
    /// `remote_user:`.
    pub remote_user: Option<String>,
}

impl ConnectionKeywords {
    /// The play's own keywords, untemplated (connections made before any task runs).
    pub fn of_play(play: &oxible_playbook::Play) -> Self {
        let keyword = |name: &str| play.keywords.get(name).map(Value::py_str);
        Self {
            connection: keyword("connection"),
            remote_user: keyword("remote_user"),
        }
    }
}

/// The transport `host` uses and its settings.
/// The transport `host` uses and its settings. `vars` include [`default_vars`], so the
/// keywords and command-line options are already folded into the variables.
fn transport(vars: &HostVars<'_>, options: &RunOptions, host: &str) -> Result<Transport, String> {
    let kind = match vars.get(&["ansible_connection"])? {
        Some(kind) => kind,
        None => default_kind(None, options, host),
    };
    let address = vars
        .get(&["ansible_host", "ansible_ssh_host"])?
        .unwrap_or_else(|| host.to_string());
    let user = vars.get(&["ansible_user", "ansible_ssh_user"])?;
    match kind.as_str() {
        "local" | "ansible.builtin.local" => Ok(Transport::Local),
        "ssh" | "ansible.builtin.ssh" | "paramiko" | "smart" => {
            if vars
                .get(&[
                    "ansible_ssh_pass",
                    "ansible_ssh_password",
                    "ansible_password",
                ])?
                .is_some()
            {
                return Err("password authentication (ansible_ssh_pass / ansible_password) is not supported by oxible's ssh connection; use a key (ansible_ssh_private_key_file, --private-key) or an ssh agent".to_string());
            }
            let port =
                match vars.get(&["ansible_port", "ansible_ssh_port"])? {
                    Some(port) => Some(port.trim().parse::<u16>().map_err(|_| {
                        format!("invalid ansible_port {port:?}: not a port number")
                    })?),
                    None => None,
                };
            let host_key_checking = vars
                .get(&["ansible_ssh_host_key_checking", "ansible_host_key_checking"])?
                .map_or(options.connect.host_key_checking, |v| {
                    crate::task::truthy_value(&Value::from(v.as_str()))
                });
            let mut extra_args = Vec::new();
            match vars.get(&["ansible_ssh_args"])? {
                Some(text) => extra_args.extend(split_words(&text, "ansible_ssh_args")?),
                None => extra_args.extend(options.connect.ssh_args.iter().cloned()),
            }
            match vars.get(&["ansible_ssh_common_args"])? {
                Some(text) => extra_args.extend(split_words(&text, "ansible_ssh_common_args")?),
                None => extra_args.extend(options.connect.ssh_common_args.iter().cloned()),
            }
            match vars.get(&["ansible_ssh_extra_args"])? {
                Some(text) => extra_args.extend(split_words(&text, "ansible_ssh_extra_args")?),
                None => extra_args.extend(options.connect.ssh_extra_args.iter().cloned()),
            }
            Ok(Transport::Ssh(SshOptions {
                host: address,
                port,
                user,
                private_key: vars
                    .get(&["ansible_ssh_private_key_file", "ansible_private_key_file"])?
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
            "the connection plugin '{other}' was not found (oxible's connections: local, ssh, docker)"
        )),
    }
}

/// The connection a host without `ansible_connection` uses: the `connection:` keyword, else
/// `-c`, else `local` for the implicit localhost and `ssh` for the rest.
fn default_kind(keyword: Option<&str>, options: &RunOptions, host: &str) -> String {
    keyword
        .map(str::to_string)
        .or_else(|| options.connection.clone())
        .unwrap_or_else(|| {
            if oxible_inventory::LOCALHOST_NAMES.contains(&host) {
                "local"
            } else {
                "ssh"
            }
            .to_string()
        })
}

/// The connection variables a task sees when nothing defines them, as Ansible's
/// `PlayContext.update_vars` adds them: `ansible_host` (the inventory name),
/// `ansible_connection`, `ansible_user` when `remote_user`/`-u` set one, `ansible_timeout`.
/// The executor puts them below every other variable.
pub(crate) fn default_vars(
    keywords: &ConnectionKeywords,
    options: &RunOptions,
    host: &str,
) -> oxible_yaml::Map {
    let mut vars = oxible_yaml::Map::new();
    let mut set = |name: &str, value: Value| {
        vars.insert(Value::from(name), value);
    };
    set("ansible_host", Value::from(host));
    set(
        "ansible_connection",
        Value::from(default_kind(keywords.connection.as_deref(), options, host).as_str()),
    );
    if let Some(user) = keywords
        .remote_user
        .clone()
        .or_else(|| options.connect.remote_user.clone())
    {
        set("ansible_user", Value::from(user.as_str()));
    }
    set(
        "ansible_timeout",
        Value::from(i64::try_from(options.connect.timeout).unwrap_or(i64::MAX)),
    );
    vars
}

/// `~/…` under `$HOME`, as Ansible expands key paths.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}
