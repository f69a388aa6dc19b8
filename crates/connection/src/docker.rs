//! The `docker` connection: `docker exec -i` into a running container, as
//! `community.docker.docker` does.

use tokio::process::Command;

use crate::{BoxFuture, Connection, ConnectionError, ExecOutput, ExecRequest};

/// Which container, as whom, with which extra `docker exec` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerOptions {
    /// The container's name or id (`ansible_host`, else the inventory name).
    pub container: String,
    /// `ansible_user`: `docker exec -u`; the image's user when unset.
    pub user: Option<String>,
    /// `ansible_docker_extra_args`, split into words, placed before the container name.
    pub extra_args: Vec<String>,
}

/// A container reached with `docker exec` (Ansible's `community.docker.docker` plugin).
#[derive(Debug)]
pub struct Docker {
    options: DockerOptions,
}

impl Docker {
    /// A connection to the container `options` name; nothing runs until first used.
    pub fn new(options: DockerOptions) -> Self {
        Self { options }
    }

    /// Why the container cannot run commands, if it cannot (stopped, missing, no daemon).
    async fn not_running(&self) -> Option<String> {
        let out = Command::new("docker")
            .args([
                "inspect",
                "--type",
                "container",
                "--format",
                "{{.State.Running}}",
            ])
            .arg(&self.options.container)
            .output()
            .await;
        match out {
            Err(err) => Some(format!("cannot run docker: {err}")),
            Ok(out) if !out.status.success() => Some(
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("docker inspect failed")
                    .to_string(),
            ),
            Ok(out) if String::from_utf8_lossy(&out.stdout).trim() != "true" => Some(format!(
                "container {} is not running",
                self.options.container
            )),
            Ok(_) => None,
        }
    }
}

impl Connection for Docker {
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, ConnectionError>> {
        Box::pin(async move {
            let mut command = Command::new("docker");
            command.args(["exec", "-i"]);
            if let Some(user) = &self.options.user {
                command.arg("-u").arg(user);
            }
            command
                .args(&self.options.extra_args)
                .arg(&self.options.container)
                .args(["/bin/sh", "-c"])
                .arg(request.command_line());
            let out = crate::process::run(command, &request).await?;
            // docker's own failures (container stopped or gone) exit 125-127 or 1 with the
            // daemon's message; the container's state tells them from the command's.
            if out.rc != 0
                && out.stderr.starts_with(b"Error")
                && let Some(reason) = self.not_running().await
            {
                return Err(ConnectionError::Unreachable(format!(
                    "Failed to connect to the host via docker: {reason}"
                )));
            }
            request.finish(out)
        })
    }
}
