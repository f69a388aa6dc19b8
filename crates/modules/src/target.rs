//! The target a module works on: its connection plus the task's settings.

use std::path::PathBuf;
use std::sync::Arc;

use oxible_connection::{Become, Connection, ConnectionError, ExecOutput, ExecRequest};

/// One host as a module sees it for one task.
#[derive(Debug)]
pub struct Target {
    /// The host's connection (shared: a target can outlive the task, as an `async` job does).
    pub conn: Arc<dyn Connection>,
    /// `--check` / `check_mode: true`: report what would change, change nothing.
    pub check_mode: bool,
    /// `--diff` / `diff: true`: report differences of files.
    pub diff: bool,
    /// Privilege escalation for this task.
    pub become_: Option<Become>,
    /// The task's `environment:`.
    pub env: Vec<(String, String)>,
    /// Where relative controller-side sources (`copy src=`) are looked up, in order, as
    /// Ansible's `find_needle`: each directory is tried as `<dir>/files/<src>`, then
    /// `<dir>/<src>` (the role's directory first, then the playbook's); relative directories
    /// are below the current one. Empty: the current directory.
    pub controller_search_path: Vec<PathBuf>,
    /// The inventory name of the host the task runs for (`inventory_hostname`; with
    /// `delegate_to`, still the original host), as `fetch` names its destination directory.
    pub host: String,
    /// The host's `ansible_python_interpreter` when it names one (`None` when unset or
    /// `auto*`: discovery): the Python a module that drives Python tools (pip) uses, as
    /// Ansible's module would run under it.
    pub python: Option<String>,
}

impl Target {
    /// Runs `script` with the task's escalation and environment, optionally in `cwd` with `stdin`.
    pub async fn run(
        &self,
        script: &str,
        cwd: Option<&str>,
        stdin: Option<Vec<u8>>,
    ) -> Result<ExecOutput, ConnectionError> {
        let request = ExecRequest {
            script: script.to_string(),
            stdin,
            env: self.env.clone(),
            cwd: cwd.map(str::to_string),
            become_: self.become_.clone(),
        };
        self.conn.exec(request).await
    }
}
