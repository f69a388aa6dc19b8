//! Helpers shared by the system modules (`user`, `group`, `cron`, `authorized_key`, `sysctl`,
//! `hostname`, `alternatives`, `service`): a probe made of named sections read back in one
//! round trip, and an atomic file write fed through stdin.

use std::collections::HashMap;

use crate::{ModuleError, Outcome, Target};

/// A shell snippet printing the start of section `name`, then running `cmd` (its output is the
/// section's text).
pub(crate) fn section(name: &str, cmd: &str) -> String {
    format!("printf '\\n\\001{name}\\n'; {cmd}\n")
}

/// The sections of a probe's output made with [`section`], by name.
pub(crate) fn sections(stdout: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in stdout.split("\n\u{1}").skip(1) {
        let (name, text) = part.split_once('\n').unwrap_or((part, ""));
        out.insert(name.to_string(), text.to_string());
    }
    out
}

/// What a probe printed before its first [`section`] (a command's own output).
pub(crate) fn head(stdout: &str) -> &str {
    stdout.split("\n\u{1}").next().unwrap_or_default()
}

/// Runs `script`, which prints [`section`]s, and returns them.
pub(crate) async fn probe(
    target: &Target,
    script: &str,
) -> Result<HashMap<String, String>, ModuleError> {
    let out = target.run(script, None, None).await?;
    Ok(sections(&out.stdout_text()))
}

/// A shell snippet replacing file `path` atomically with stdin, mode `mode` (octal text) for a
/// new file; an existing file keeps its owner and mode.
pub(crate) fn write_stdin(path: &str, mode: &str) -> String {
    format!(
        "f={}; t=$(mktemp \"$f.XXXXXX\") || exit 1; cat >\"$t\" && \
         if [ -e \"$f\" ]; then chown --reference=\"$f\" \"$t\" && chmod --reference=\"$f\" \"$t\"; \
         else chmod {mode} \"$t\"; fi && mv -f \"$t\" \"$f\" || {{ rm -f \"$t\"; exit 1; }}\n",
        oxible_shell::quote(path)
    )
}

/// Sets `stdout`/`stderr` when not empty (their `*_lines` are added for every result by
/// [`Outcome::into_result`], as Ansible's action layer adds them).
pub(crate) fn set_output(outcome: &mut Outcome, stdout: &str, stderr: &str) {
    for (key, text) in [("stdout", stdout), ("stderr", stderr)] {
        if !text.is_empty() {
            outcome.set(key, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_text_exactly() {
        let text = "\n\u{1}a\nline\nno newline\n\u{1}b\n\n\u{1}c\nx\n";
        let s = sections(text);
        assert_eq!(s["a"], "line\nno newline");
        assert_eq!(s["b"], "");
        assert_eq!(s["c"], "x\n");
    }
}
