//! The `ssh` connection: the system OpenSSH client, so the user's `~/.ssh/config`, agent,
//! ProxyJump and known_hosts work as with Ansible.
//!
//! One ControlMaster per host, started on first use (`ssh -M -N` as a child of oxible, so it
//! dies with the run) and reused for every command through OpenSSH's native mux protocol: no
//! `ssh` process per command. The master's log tells why a connection failed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssh::Session;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use crate::process::{exec_output, feed_while};
use crate::{BoxFuture, Connection, ConnectionError, ExecOutput, ExecRequest};

/// How to reach one host over SSH (Ansible's `ssh` connection settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// The address or name to connect to (`ansible_host`, else the inventory name).
    pub host: String,
    /// `ansible_port`; ssh_config's (or 22) when unset.
    pub port: Option<u16>,
    /// `ansible_user` / `-u`; ssh_config's (or the local user) when unset.
    pub user: Option<String>,
    /// `ansible_ssh_private_key_file` / `--private-key`.
    pub private_key: Option<PathBuf>,
    /// `ansible_ssh_common_args` then `ansible_ssh_extra_args`, already split into words.
    pub extra_args: Vec<String>,
    /// `host_key_checking`: when false, unknown host keys are accepted
    /// (`StrictHostKeyChecking=no`, as Ansible).
    pub host_key_checking: bool,
    /// `ConnectTimeout` (ansible.cfg `timeout`, default 10 s); connecting as a whole gives up
    /// after twice this.
    pub connect_timeout: Duration,
}

impl SshOptions {
    /// Options for `host` with Ansible's defaults.
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_string(),
            port: None,
            user: None,
            private_key: None,
            extra_args: Vec::new(),
            host_key_checking: true,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The master's command line after `ssh` (control socket and log in `dir`).
    fn master_args(&self, dir: &Path) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec!["-N".into(), "-M".into(), "-S".into()];
        args.push(dir.join("ctl").into());
        args.push("-E".into());
        args.push(dir.join("log").into());
        let timeout = self.connect_timeout.as_secs().max(1);
        for option in [
            "ControlPersist=no".to_string(),
            "BatchMode=yes".to_string(),
            format!("ConnectTimeout={timeout}"),
            "ServerAliveInterval=5".to_string(),
            "ServerAliveCountMax=3".to_string(),
        ] {
            args.push("-o".into());
            args.push(option.into());
        }
        if !self.host_key_checking {
            args.push("-o".into());
            args.push("StrictHostKeyChecking=no".into());
        }
        if let Some(port) = self.port {
            args.push("-p".into());
            args.push(port.to_string().into());
        }
        if let Some(user) = &self.user {
            args.push("-l".into());
            args.push(user.into());
        }
        if let Some(key) = &self.private_key {
            args.push("-i".into());
            args.push(key.into());
        }
        args.extend(self.extra_args.iter().map(Into::into));
        args.push("--".into());
        args.push((&self.host).into());
        args
    }
}

/// A running master: the `ssh -M` child, the mux session on its socket, and the directory
/// holding both socket and log (removed when dropped).
#[derive(Debug)]
struct Master {
    session: Session,
    process: std::sync::Mutex<Child>,
    _dir: tempfile::TempDir,
}

/// A host reached over SSH (Ansible's `ssh` connection plugin).
#[derive(Debug)]
pub struct Ssh {
    options: SshOptions,
    master: Mutex<Option<Arc<Master>>>,
}

impl Ssh {
    /// A connection to the host `options` describe; nothing is started until first used.
    pub fn new(options: SshOptions) -> Self {
        Self {
            options,
            master: Mutex::new(None),
        }
    }

    /// The running master, started when there is none (or the last one died).
    async fn master(&self) -> Result<Arc<Master>, ConnectionError> {
        let mut slot = self.master.lock().await;
        if let Some(master) = slot.as_ref()
            && master.alive()
        {
            return Ok(master.clone());
        }
        let master = Arc::new(self.start_master().await?);
        *slot = Some(master.clone());
        Ok(master)
    }

    async fn start_master(&self) -> Result<Master, ConnectionError> {
        let unreachable = |reason: String| {
            ConnectionError::Unreachable(format!("Failed to connect to the host via ssh: {reason}"))
        };
        if let Some(key) = &self.options.private_key
            && let Err(err) = std::fs::File::open(key)
        {
            return Err(unreachable(format!(
                "cannot read the private key file {}: {err}",
                key.display()
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("oxible-ssh-")
            .tempdir()
            .map_err(|e| {
                ConnectionError::Exec(format!("cannot create a control directory: {e}"))
            })?;
        let mut process = Command::new("ssh")
            .args(self.options.master_args(dir.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| unreachable(format!("cannot run ssh: {e}")))?;
        let socket = dir.path().join("ctl");
        let limit = self.options.connect_timeout.max(Duration::from_secs(1)) * 2;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(_)) = process.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
                return Err(master_failure(&log, &self.options.host));
            }
            if socket.exists() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(unreachable(format!(
                    "connection to {} timed out after {} seconds",
                    self.options.host,
                    limit.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Master {
            session: Session::resume_mux(socket.into_boxed_path(), None),
            process: std::sync::Mutex::new(process),
            _dir: dir,
        })
    }

    /// With `OXIBLE_TRACE_SSH=<file>` set, appends `<host>:<port>\t<command hex>\t<stdin hex>`
    /// for each command (stdin as `-` when it carries a become password), so a benchmark can
    /// replay the very commands over plain `ssh` (`bench/remote.py`'s floor).
    fn trace(&self, request: &ExecRequest) {
        use std::io::Write;
        let Some(path) = std::env::var_os("OXIBLE_TRACE_SSH") else {
            return;
        };
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let secret = request
            .become_
            .as_ref()
            .is_some_and(|b| b.password.is_some());
        let stdin = if secret {
            "-".to_string()
        } else {
            hex(&request.input())
        };
        let line = format!(
            "{}:{}\t{}\t{stdin}\n",
            self.options.host,
            self.options.port.unwrap_or(22),
            hex(request.command_line().as_bytes())
        );
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }

    /// Runs `request` over `master`.
    async fn exec_on(master: &Master, request: &ExecRequest) -> Result<ExecOutput, openssh::Error> {
        let mut child = master
            .session
            .raw_command(request.command_line())
            .stdin(openssh::Stdio::piped())
            .stdout(openssh::Stdio::piped())
            .stderr(openssh::Stdio::piped())
            .spawn()
            .await?;
        let stdin = child.stdin().take();
        let output = feed_while(stdin, request.input(), child.wait_with_output()).await?;
        Ok(exec_output(output))
    }
}

impl Master {
    /// Whether the `ssh -M` process still runs.
    fn alive(&self) -> bool {
        let mut process = self
            .process
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        matches!(process.try_wait(), Ok(None))
    }
}

impl Connection for Ssh {
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, ConnectionError>> {
        Box::pin(async move {
            let master = self.master().await?;
            self.trace(&request);
            match Self::exec_on(&master, &request).await {
                Ok(out) => request.finish(out),
                Err(err) => {
                    // The master went away with the command (host gone, network cut): forget
                    // it so that a later command connects again.
                    let mut slot = self.master.lock().await;
                    if slot.as_ref().is_some_and(|m| Arc::ptr_eq(m, &master)) {
                        *slot = None;
                    }
                    Err(ConnectionError::Unreachable(format!(
                        "Failed to connect to the host via ssh: {}",
                        one_line(&err.to_string())
                    )))
                }
            }
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(master) = self.master.lock().await.take() else {
                return;
            };
            // Commands still running keep their Arc; the last one drops (and kills) the master.
            if let Some(master) = Arc::into_inner(master) {
                let mut process = master
                    .process
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = process.start_kill();
                let _ = process.wait().await;
            }
        })
    }
}

/// The one-line reason a master that exited gives in its `log`, as the unreachable message.
fn master_failure(log: &str, host: &str) -> ConnectionError {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    let text = lines.join(" ");
    let reason = if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        format!(
            "the host key of {host} does not match the one in known_hosts (REMOTE HOST IDENTIFICATION HAS CHANGED). Host key verification failed."
        )
    } else if lines.is_empty() {
        "ssh exited without saying why".to_string()
    } else {
        lines
            .iter()
            .filter(|l| !l.starts_with('@'))
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let message = format!("Failed to connect to the host via ssh: {reason}");
    if text.contains("Permission denied") || text.contains("Too many authentication failures") {
        ConnectionError::Auth(message)
    } else {
        ConnectionError::Unreachable(message)
    }
}

/// `text` on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_command_line_carries_every_setting() {
        let options = SshOptions {
            port: Some(2222),
            user: Some("tester".into()),
            private_key: Some("/k/id ed".into()),
            extra_args: vec!["-o".into(), "UserKnownHostsFile=/dev/null".into()],
            host_key_checking: false,
            ..SshOptions::new("-weird host")
        };
        let args: Vec<String> = options
            .master_args(Path::new("/d"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(line.starts_with("-N -M -S /d/ctl -E /d/log"), "{line}");
        for part in [
            "-o ConnectTimeout=10",
            "-o BatchMode=yes",
            "-o StrictHostKeyChecking=no",
            "-p 2222 -l tester -i /k/id ed -o UserKnownHostsFile=/dev/null -- -weird host",
        ] {
            assert!(line.contains(part), "{part} missing from {line}");
        }
        assert!(
            !SshOptions::new("h")
                .master_args(Path::new("/d"))
                .iter()
                .any(|a| a == "StrictHostKeyChecking=no")
        );
    }

    #[test]
    fn master_failures_read_as_one_line_reasons() {
        let refused = master_failure(
            "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n",
            "h",
        );
        assert!(matches!(&refused, ConnectionError::Unreachable(m)
            if m == "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused"));
        let denied = master_failure(
            "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\ntester@127.0.0.1: Permission denied (publickey,password).\r\n",
            "h",
        );
        assert!(
            matches!(&denied, ConnectionError::Auth(m) if m.ends_with("tester@127.0.0.1: Permission denied (publickey,password)."))
        );
        let changed = master_failure(
            "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key verification failed.\n",
            "web1",
        );
        assert!(
            matches!(&changed, ConnectionError::Unreachable(m) if m.contains("host key of web1 does not match") && !m.contains('\n'))
        );
    }

    #[test]
    fn a_missing_key_is_reported_before_connecting() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let ssh = Ssh::new(SshOptions {
            private_key: Some("/nonexistent/oxible-key".into()),
            ..SshOptions::new("127.0.0.1")
        });
        let err = runtime
            .block_on(ssh.exec(ExecRequest::shell("true")))
            .expect_err("no key");
        assert!(
            matches!(&err, ConnectionError::Unreachable(m) if m.contains("cannot read the private key file /nonexistent/oxible-key")),
            "{err}"
        );
    }
}
