//! What to run on a target, and what came back.

use oxible_shell as shell;

/// How privileges are escalated, as Ansible's `become_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BecomeMethod {
    /// `sudo` (Ansible's default).
    #[default]
    Sudo,
    /// `su`.
    Su,
}

/// Privilege escalation for one command: to `user` by `method`, with an optional password
/// that is only ever sent on stdin.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Become {
    /// How.
    pub method: BecomeMethod,
    /// To whom (`root` by default in Ansible).
    pub user: String,
    /// The password, if the target asks for one.
    pub password: Option<String>,
}

impl std::fmt::Debug for Become {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Become")
            .field("method", &self.method)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

/// A shell command to run on a target.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    /// The script, run by `/bin/sh -c`.
    pub script: String,
    /// Bytes fed to the command's standard input.
    pub stdin: Option<Vec<u8>>,
    /// Environment variables set for the command.
    pub env: Vec<(String, String)>,
    /// Directory to run in.
    pub cwd: Option<String>,
    /// Privilege escalation, if any.
    pub become_: Option<Become>,
}

impl ExecRequest {
    /// A request running `script` with `/bin/sh -c`.
    pub fn shell(script: &str) -> Self {
        Self {
            script: script.to_string(),
            ..Self::default()
        }
    }

    /// The same request with `stdin` fed to it.
    pub fn with_stdin(mut self, stdin: Vec<u8>) -> Self {
        self.stdin = Some(stdin);
        self
    }

    /// The full command line a transport runs: environment, directory and escalation folded
    /// into one `sh -c` invocation. A become password is never part of it.
    pub fn command_line(&self) -> String {
        let mut script = String::new();
        for (name, value) in &self.env {
            script.push_str(&format!("export {name}={}; ", shell::quote(value)));
        }
        if let Some(dir) = &self.cwd {
            script.push_str(&format!("cd {} && ", shell::quote(dir)));
        }
        script.push_str(&self.script);
        let inner = shell::join(&["/bin/sh", "-c", &script]);
        match &self.become_ {
            None => inner,
            Some(b) => match b.method {
                BecomeMethod::Sudo => {
                    let prompt = if b.password.is_some() {
                        "-S -p ''"
                    } else {
                        "-n"
                    };
                    format!("sudo -H {prompt} -u {} {inner}", shell::quote(&b.user))
                }
                BecomeMethod::Su => {
                    format!("su {} -c {}", shell::quote(&b.user), shell::quote(&inner))
                }
            },
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Exit code (-1 when killed by a signal).
    pub rc: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}
