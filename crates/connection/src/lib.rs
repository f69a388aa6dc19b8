//! Reaching targets: run a shell command there, put a file there atomically, fetch one back.
//!
//! Brief overview:
//! - [`Connection`]: the narrow contract every transport implements (Ansible's `ConnectionBase`:
//!   exec, put, fetch, close). Only [`Connection::exec`] is required; putting and fetching files
//!   are built on it (content through stdin, written to a temp file and renamed), so a transport
//!   only overrides them when it can do better.
//! - [`Local`]: the controller itself (`-c local`, `ansible_connection=local`).
//! - [`Ssh`]: the system OpenSSH client, one ControlMaster per host opened on first use and
//!   reused for every command through the native mux protocol (`ansible_connection=ssh`).
//! - [`Docker`]: `docker exec -i` into a running container (`ansible_connection=docker`).
//! - Escalation ([`Become`]) is folded into the command line by [`ExecRequest::command_line`];
//!   its password only ever travels on stdin ([`ExecRequest::input`]).
//!
//! ```
//! use oxible_connection::{Connection, ExecRequest, Local};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let out = Local.exec(ExecRequest::shell("printf %s hello")).await.unwrap();
//! assert_eq!((out.rc, out.stdout.as_slice()), (0, &b"hello"[..]));
//! # });
//! ```
//!
//! **Architecture Invariant:** knows nothing of tasks, modules or playbooks.
#![deny(missing_docs)]

mod docker;
mod local;
mod process;
mod request;
mod ssh;

use std::future::Future;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::pin::Pin;

pub use docker::{Docker, DockerOptions};
pub use local::Local;
pub use request::{BECOME_MARKER, Become, BecomeMethod, ExecOutput, ExecRequest};
pub use ssh::{Ssh, SshOptions};

/// A boxed future, as trait methods return them (the trait must be usable as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an operation on a target failed; the executor tells unreachable hosts from failed tasks
/// by the variant, as Ansible's `AnsibleConnectionFailure` versus a module failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The target cannot be reached (refused, timed out, gone).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The target refused the login credentials (the host counts as unreachable).
    #[error("authentication failed: {0}")]
    Auth(String),
    /// Privilege escalation failed (wrong or missing password, user not allowed): the task
    /// fails, the host stays reachable (Ansible's "Incorrect sudo password").
    #[error("{0}")]
    Become(String),
    /// A file could not be transferred.
    #[error("transfer of {path} failed: {reason}")]
    Transfer {
        /// The file on the target.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The command could not be started at all.
    #[error("could not run the command: {0}")]
    Exec(String),
}

/// A way to run commands and move files on one target.
pub trait Connection: Send + Sync + std::fmt::Debug {
    /// Runs `request` on the target and collects its exit code and output.
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, ConnectionError>>;

    /// Releases what the connection holds (an SSH master); a later call may connect again.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Writes `content` to `dest` atomically (temp file in the same directory, then rename), so
    /// a reader never sees a half-written file. The file keeps the temp file's mode (umask);
    /// callers set mode and owner afterwards.
    fn put_file<'a>(
        &'a self,
        content: Vec<u8>,
        dest: &'a Path,
        become_: Option<Become>,
    ) -> BoxFuture<'a, Result<(), ConnectionError>> {
        Box::pin(async move {
            let target = oxible_shell::quote_bytes(dest.as_os_str().as_bytes());
            let script = format!(
                "umask 022; tmp=$(mktemp \"$(dirname {target})/.oxible_tmp.XXXXXX\") && cat > \"$tmp\" && mv -f \"$tmp\" {target} || {{ rc=$?; rm -f \"$tmp\"; exit $rc; }}"
            );
            let mut request = ExecRequest::shell(&script).with_stdin(content);
            request.become_ = become_;
            let out = self.exec(request).await?;
            if out.rc == 0 {
                Ok(())
            } else {
                Err(ConnectionError::Transfer {
                    path: dest.display().to_string(),
                    reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                })
            }
        })
    }

    /// Reads the file at `src` on the target.
    fn fetch_file<'a>(
        &'a self,
        src: &'a Path,
        become_: Option<Become>,
    ) -> BoxFuture<'a, Result<Vec<u8>, ConnectionError>> {
        Box::pin(async move {
            let mut request = ExecRequest::shell(&format!(
                "cat {}",
                oxible_shell::quote_bytes(src.as_os_str().as_bytes())
            ));
            request.become_ = become_;
            let out = self.exec(request).await?;
            if out.rc == 0 {
                Ok(out.stdout)
            } else {
                Err(ConnectionError::Transfer {
                    path: src.display().to_string(),
                    reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
                })
            }
        })
    }
}
