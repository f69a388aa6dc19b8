//! `tempfile`: a new temporary file or directory (`mktemp`), its path and path info in one
//! command. Like Ansible's module it has no check mode: in check mode the task is skipped.

use crate::fs::{self, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("state", ArgType::Str).choices(&["file", "directory"]),
    ArgSpec::new("path", ArgType::Path),
    ArgSpec::new("prefix", ArgType::Str),
    ArgSpec::new("suffix", ArgType::Str),
];

module!(
    /// The `tempfile` module.
    pub TempFile = "tempfile", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if target.check_mode {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some("remote module (tempfile) does not support check mode".into());
        outcome.set("failed", false).set("skipped", true);
        return Ok(outcome);
    }
    let prefix = args.str("prefix").unwrap_or("ansible.");
    let suffix = args.str("suffix").unwrap_or_default();
    for (name, value) in [("prefix", prefix), ("suffix", suffix)] {
        if value.contains('/') {
            return Ok(Outcome::failure(format!(
                "{name} must be a valid file name component, got '{value}'"
            )));
        }
    }
    let dir = match args.str("path") {
        Some(path) => oxible_shell::quote(path),
        None => "\"${TMPDIR:-/tmp}\"".to_string(),
    };
    // Python's `mkstemp`/`mkdtemp`: eight characters of `[a-z0-9_]`, mode 0600/0700.
    let create = if args.str("state") == Some("directory") {
        "mkdir -m 700 -- \"$t\""
    } else {
        "( umask 077; set -C; : > \"$t\" )"
    };
    let script = format!(
        "LC_ALL=C; export LC_ALL; i=0; while :; do i=$((i+1)); [ $i -gt 100 ] && exit 1; \
         t={dir}/{}\"$(tr -dc 'a-z0-9_' < /dev/urandom | head -c 8)\"{}; \
         [ -e \"$t\" ] || {{ {create} 2>/dev/null && break; }}; done; printf 'P %s\\n' \"$t\"; {}",
        oxible_shell::quote(prefix),
        oxible_shell::quote(suffix),
        fs::probe_snippet("\"$t\"", Want::default())
    );
    let out = target.run(&script, None, None).await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
    }
    let text = out.stdout_text();
    let path = text
        .lines()
        .find_map(|l| l.strip_prefix("P "))
        .unwrap_or_default();
    let mut outcome = Outcome::changed(true);
    outcome.set("path", path);
    fs::add_path_info(&mut outcome, &fs::ProbeOutput::parse(&out.stdout).first());
    Ok(outcome)
}
