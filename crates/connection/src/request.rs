//! What to run on a target, and what came back.

use oxible_shell as shell;

use crate::ConnectionError;

/// How privileges are escalated, as Ansible's `become_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BecomeMethod {
    /// `sudo` (Ansible's default).
    #[default]
    Sudo,
    /// `su`.
    Su,
}

impl BecomeMethod {
    /// The `become_method` names oxible implements, for error messages.
    pub const NAMES: &[&str] = &["sudo", "su"];

    /// The method `name` (short or `ansible.builtin.` qualified) names, if oxible has it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.strip_prefix("ansible.builtin.").unwrap_or(name) {
            "sudo" => Some(Self::Sudo),
            "su" => Some(Self::Su),
            _ => None,
        }
    }

    /// The command's name, as error messages say it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sudo => "sudo",
            Self::Su => "su",
        }
    }
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
    /// into one `sh -c` invocation. A become password is never part of it. An escalated
    /// command first prints [`BECOME_MARKER`], which [`ExecRequest::finish`] checks and strips.
    pub fn command_line(&self) -> String {
        let mut script = String::new();
        if self.become_.is_some() {
            script.push_str(&format!("echo {BECOME_MARKER}; "));
        }
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

    /// What the transport feeds to the command's standard input: the become password's line
    /// first (read by `sudo -S`, never seen by the command), then [`ExecRequest::stdin`].
    pub fn input(&self) -> Vec<u8> {
        let mut input = Vec::new();
        if let Some(password) = self.become_.as_ref().and_then(|b| b.password.as_ref()) {
            input.extend_from_slice(password.as_bytes());
            input.push(b'\n');
        }
        if let Some(stdin) = &self.stdin {
            input.extend_from_slice(stdin);
        }
        input
    }

    /// `out` as the caller sees it: for an escalated command, the marker line stripped, or
    /// [`ConnectionError::Become`] when it is missing (the escalation itself failed: wrong or
    /// missing password, user not allowed), with the reason sudo or su gave.
    pub fn finish(&self, mut out: ExecOutput) -> Result<ExecOutput, ConnectionError> {
        let Some(become_) = &self.become_ else {
            return Ok(out);
        };
        let marker = format!("{BECOME_MARKER}\n");
        if out.stdout.starts_with(marker.as_bytes()) {
            out.stdout.drain(..marker.len());
            return Ok(out);
        }
        let tool = become_.method.name();
        let stderr = out.stderr_text();
        let lower = stderr.to_lowercase();
        let refused = lower.contains("incorrect password")
            || lower.contains("sorry, try again")
            || lower.contains("authentication failure");
        // su reads whatever stdin holds as the password when none was given.
        let reason = if refused && become_.password.is_some() {
            format!("Incorrect {tool} password")
        } else if refused
            || lower.contains("password is required")
            || lower.contains("no password was provided")
        {
            format!("Missing {tool} password")
        } else {
            let detail = stderr.lines().map(str::trim).find(|l| !l.is_empty());
            format!(
                "privilege escalation with {tool} to {} failed (rc={}): {}",
                become_.user,
                out.rc,
                detail.unwrap_or("no output")
            )
        };
        Err(ConnectionError::Become(reason))
    }
}

/// The line an escalated command prints before anything else, proving that sudo or su ran
/// it (Ansible's `BECOME-SUCCESS-…`): no prompt string needs recognising.
pub const BECOME_MARKER: &str = "OXIBLE-BECOME-SUCCESS";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn escalated(password: Option<&str>) -> ExecRequest {
        let mut request = ExecRequest::shell("id -u").with_stdin(b"data".to_vec());
        request.become_ = Some(Become {
            method: BecomeMethod::Sudo,
            user: "tester".into(),
            password: password.map(String::from),
        });
        request
    }

    #[test]
    fn the_password_travels_on_stdin_only() {
        let request = escalated(Some("s3cret 'x"));
        let line = request.command_line();
        assert!(!line.contains("s3cret"), "{line}");
        assert!(
            line.starts_with("sudo -H -S -p '' -u tester /bin/sh -c "),
            "{line}"
        );
        assert_eq!(request.input(), b"s3cret 'x\ndata");
        assert!(
            escalated(None)
                .command_line()
                .starts_with("sudo -H -n -u tester")
        );
    }

    #[test]
    fn the_marker_tells_escalation_failures_from_command_failures() {
        let request = escalated(Some("wrong"));
        let out = |rc, stdout: &str, stderr: &str| ExecOutput {
            rc,
            stdout: stdout.into(),
            stderr: stderr.into(),
        };
        let ran = request
            .finish(out(3, &format!("{BECOME_MARKER}\n1000\n"), "boom"))
            .expect("escalated");
        assert_eq!((ran.rc, ran.stdout_text().as_str()), (3, "1000\n"));
        let wrong = request.finish(out(
            1,
            "",
            "Sorry, try again.\nsudo: 1 incorrect password attempt\n",
        ));
        assert!(matches!(wrong, Err(ConnectionError::Become(m)) if m == "Incorrect sudo password"));
        let missing = escalated(None).finish(out(1, "", "sudo: a password is required\n"));
        assert!(matches!(missing, Err(ConnectionError::Become(m)) if m == "Missing sudo password"));
        let mut su = escalated(None);
        su.become_ = Some(Become {
            method: BecomeMethod::Su,
            ..su.become_.take().expect("escalated")
        });
        let refused = su.finish(out(1, "", "Password: su: Authentication failure\n"));
        assert!(matches!(refused, Err(ConnectionError::Become(m)) if m == "Missing su password"));
        if let Some(b) = su.become_.as_mut() {
            b.password = Some("wrong".into());
        }
        let wrong = su.finish(out(1, "", "Password: su: Authentication failure\n"));
        assert!(matches!(wrong, Err(ConnectionError::Become(m)) if m == "Incorrect su password"));
        assert_eq!(
            BecomeMethod::from_name("ansible.builtin.su"),
            Some(BecomeMethod::Su)
        );
        assert_eq!(BecomeMethod::from_name("doas"), None);
        let plain = ExecRequest::shell("true")
            .finish(out(0, "x", ""))
            .expect("no become");
        assert_eq!(plain.stdout, b"x");
    }
}
