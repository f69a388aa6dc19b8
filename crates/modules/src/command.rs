//! `command` and `shell`: run a program on the target.
//!
//! `command` splits its free-form string (or `cmd`) with Python's `shlex` and runs the words
//! without a shell, so `*`, `|` and `$X` are literal; `argv` gives the words directly. `shell`
//! hands the string to `/bin/sh` (or `executable`). Both honour `creates`/`removes` (skip when
//! the path exists / does not), `chdir` and `stdin`, and return Ansible's keys: `cmd`, `rc`,
//! `stdout`, `stderr`, `stdout_lines`, `stderr_lines`, `start`, `end`, `delta`, `msg`.

use std::time::{Duration, SystemTime};

use oxible_yaml::Value;

use crate::{ArgDefault, ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// ansible.builtin.command's argument spec (`shell` is the same module with `_uses_shell`).
const SPEC: &[ArgSpec] = &[
    ArgSpec::new("_raw_params", ArgType::Str),
    ArgSpec::new("_uses_shell", ArgType::Bool).default(ArgDefault::Bool(false)),
    ArgSpec::new("cmd", ArgType::Str),
    ArgSpec::new("argv", ArgType::List),
    ArgSpec::new("chdir", ArgType::Path),
    ArgSpec::new("creates", ArgType::Path),
    ArgSpec::new("removes", ArgType::Path),
    ArgSpec::new("stdin", ArgType::Str),
    ArgSpec::new("stdin_add_newline", ArgType::Bool).default(ArgDefault::Bool(true)),
    ArgSpec::new("strip_empty_ends", ArgType::Bool).default(ArgDefault::Bool(true)),
    ArgSpec::new("executable", ArgType::Path),
    ArgSpec::new("expand_argument_vars", ArgType::Bool).default(ArgDefault::Bool(true)),
];

module!(
    /// The `command` module: no shell.
    pub Command = "command", SPEC, run, false
);

module!(
    /// The `shell` module: through `/bin/sh`.
    pub Shell = "shell", SPEC, run, true
);

/// What to run: the script for `/bin/sh -c` and the `cmd` value Ansible reports.
fn command_line(args: &Args, through_shell: bool) -> Result<(String, Value), ModuleError> {
    args.exclusive(&["_raw_params", "cmd", "argv"])?;
    let text = args.str("_raw_params").or_else(|| args.str("cmd"));
    if through_shell {
        let text = text.ok_or_else(|| ModuleError::Args("no command given".into()))?;
        let script = match args.str("executable") {
            Some(shell) => oxible_shell::join(&[shell, "-c", text]),
            None => text.to_string(),
        };
        return Ok((script, Value::from(text)));
    }
    let argv: Vec<String> = match text {
        Some(text) => oxible_shell::split(text, false)
            .map_err(|e| ModuleError::Args(format!("cannot split the command line: {e}")))?
            .into_iter()
            .map(|t| t.text)
            .collect(),
        None => args.strings("argv"),
    };
    if argv.is_empty() {
        return Err(ModuleError::Args("no command given".into()));
    }
    let cmd = Value::seq(argv.iter().map(|w| Value::from(w.as_str())).collect());
    Ok((oxible_shell::join(&argv), cmd))
}

/// Runs the command; every result carries the module's `invocation`, as Ansible's do.
async fn run(target: &Target, args: Args, through_shell: bool) -> Result<Outcome, ModuleError> {
    let mut outcome = execute(target, &args, through_shell).await?;
    let mut module_args = args.module_args(SPEC);
    if through_shell {
        module_args.insert(Value::from("_uses_shell"), Value::from(true));
    }
    outcome.invocation(module_args);
    Ok(outcome)
}

/// What `command`/`shell` did (`through_shell`: the latter).
async fn execute(
    target: &Target,
    args: &Args,
    through_shell: bool,
) -> Result<Outcome, ModuleError> {
    let (script, cmd) = command_line(args, through_shell)?;
    let chdir = args.str("chdir");
    let would = if target.check_mode { "Would" } else { "Did" };
    if let Some(skip) = creates_or_removes(target, args, chdir).await? {
        let (path, reason) = skip;
        let mut outcome = not_run(
            cmd,
            format!("{would} not run command since '{path}' {reason}"),
        );
        outcome.set("stdout", format!("skipped, since {path} {reason}").as_str());
        return Ok(outcome);
    }
    if target.check_mode {
        // As Ansible's partial check mode: with creates/removes the command would change
        // something, without them the task is skipped.
        let mut outcome = not_run(cmd, "Command would have run if not in check mode".into());
        if args.get("creates").is_some() || args.get("removes").is_some() {
            outcome.changed = true;
        } else {
            outcome.set("skipped", true);
        }
        return Ok(outcome);
    }
    let stdin = args.str("stdin").map(|s| {
        let mut data = s.as_bytes().to_vec();
        if args.bool("stdin_add_newline", true) {
            data.push(b'\n');
        }
        data
    });
    let started = SystemTime::now();
    let out = target.run(&script, chdir, stdin).await?;
    let ended = SystemTime::now();
    let strip = args.bool("strip_empty_ends", true);
    let (stdout, stderr) = (
        trim_end(out.stdout_text(), strip),
        trim_end(out.stderr_text(), strip),
    );
    let mut outcome = Outcome::changed(true);
    outcome
        .set("cmd", cmd)
        .set("stdout", stdout.as_str())
        .set("stderr", stderr.as_str())
        .set("rc", Value::from(i64::from(out.rc)));
    outcome
        .set("start", oxible_yaml::py_datetime(started))
        .set("end", oxible_yaml::py_datetime(ended));
    outcome.set(
        "delta",
        delta(ended.duration_since(started).unwrap_or_default()),
    );
    outcome.failed = out.rc != 0;
    outcome.msg = Some(
        if outcome.failed {
            "non-zero return code"
        } else {
            ""
        }
        .to_string(),
    );
    Ok(outcome)
}

/// The result of a command that did not run: Ansible's keys, the times `None`, with `msg`.
fn not_run(cmd: Value, msg: String) -> Outcome {
    let mut outcome = Outcome::changed(false);
    outcome.msg = Some(msg);
    outcome
        .set("cmd", cmd)
        .set("rc", Value::from(0))
        .set("stdout", "")
        .set("stderr", "")
        .set("start", Value::null())
        .set("end", Value::null())
        .set("delta", Value::null());
    outcome
}

/// `Some((path, "exists"|"does not exist"))` when `creates`/`removes` say to skip.
async fn creates_or_removes(
    target: &Target,
    args: &Args,
    chdir: Option<&str>,
) -> Result<Option<(String, &'static str)>, ModuleError> {
    for (name, skip_when_exists, reason) in [
        ("creates", true, "exists"),
        ("removes", false, "does not exist"),
    ] {
        let Some(path) = args.str(name) else { continue };
        let script = format!(
            "for p in {}; do test -e \"$p\" && exit 0; done; exit 1",
            glob_word(path)
        );
        let exists = target.run(&script, chdir, None).await?.rc == 0;
        if exists == skip_when_exists {
            return Ok(Some((path.to_string(), reason)));
        }
    }
    Ok(None)
}

/// A path as a shell word that still expands globs (`creates: /opt/app-*`), as Ansible's glob.
fn glob_word(path: &str) -> String {
    path.split('*')
        .map(oxible_shell::quote)
        .collect::<Vec<_>>()
        .join("*")
}

/// Drops trailing newlines as Ansible's `strip_empty_ends` does.
fn trim_end(text: String, strip: bool) -> String {
    if strip {
        text.trim_end_matches(['\r', '\n']).to_string()
    } else {
        text
    }
}

/// `stdout_lines`/`stderr_lines`: Python's `str.splitlines()` as a list (a lone `\r`, as in
/// apt's and dpkg's progress output, also ends a line).
pub(crate) fn lines(text: &str) -> Value {
    Value::seq(
        oxible_yaml::py_splitlines(text)
            .into_iter()
            .map(Value::from)
            .collect(),
    )
}

/// `0:00:00.003456`, as Python's `str(timedelta)`.
fn delta(d: Duration) -> String {
    let secs = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_connection::Local;

    fn args(pairs: &[(&str, &str)]) -> Args {
        crate::args::test_args("command", SPEC, pairs)
    }

    fn target(check_mode: bool) -> Target {
        Target {
            conn: std::sync::Arc::new(Local),
            check_mode,
            diff: false,
            become_: None,
            env: Vec::new(),
            controller_search_path: Vec::new(),
            host: "localhost".into(),
            python: None,
        }
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn command_does_not_use_a_shell_and_shell_does() {
        let out = block_on(run(
            &target(false),
            args(&[("_raw_params", "echo $HOME '|' x")]),
            false,
        ))
        .expect("runs");
        assert_eq!(
            out.values.get(&Value::from("stdout")),
            Some(&Value::from("$HOME | x"))
        );
        let out = block_on(run(
            &target(false),
            args(&[("_raw_params", "echo a | tr a b")]),
            true,
        ))
        .expect("runs");
        assert_eq!(
            out.values.get(&Value::from("stdout")),
            Some(&Value::from("b"))
        );
        assert!(out.changed && !out.failed);
    }

    #[test]
    fn creates_skips_and_failures_fail() {
        let out = block_on(run(
            &target(false),
            args(&[("_raw_params", "false"), ("creates", "/")]),
            false,
        ))
        .expect("runs");
        assert!(!out.changed && !out.failed);
        let out = block_on(run(
            &target(false),
            args(&[("_raw_params", "sh -c 'exit 3'")]),
            false,
        ))
        .expect("runs");
        assert!(out.failed);
        assert_eq!(out.values.get(&Value::from("rc")), Some(&Value::from(3)));
    }

    #[test]
    fn check_mode_runs_nothing() {
        let marker = std::env::temp_dir().join(format!("oxible-check-{}", std::process::id()));
        let cmd = format!("touch {}", marker.display());
        let out = block_on(run(
            &target(true),
            args(&[("_raw_params", cmd.as_str())]),
            false,
        ))
        .expect("runs");
        assert!(!marker.exists() && !out.changed);
    }

    #[test]
    fn lines_split_like_python() {
        let got = lines("a\r\nb\rc\n\nd\u{2028}e\n");
        let want: Vec<Value> = ["a", "b", "c", "", "d", "e"].map(Value::from).into();
        assert_eq!(got, Value::seq(want));
    }

    #[test]
    fn deltas_print_like_python() {
        assert_eq!(
            delta(Duration::from_micros(3_723_000_042)),
            "1:02:03.000042"
        );
    }
}
