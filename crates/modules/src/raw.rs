//! `raw`: a command line run as it is, without any module machinery (Ansible uses it to
//! bootstrap Python; here every module already runs without Python, so it is a plain
//! command with the target's shell). Its result is Ansible's: `rc`, `stdout`, `stderr` and
//! their lines, always `changed`; a non-zero exit fails it with "non-zero return code".

use oxible_shell as shell;

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("_raw_params", ArgType::Str).required(),
    ArgSpec::new("executable", ArgType::Str),
];

module!(
    /// The `raw` module (an action plugin in Ansible).
    pub Raw = "raw", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if target.check_mode {
        // Ansible's raw action skips itself in check mode, without a message.
        let mut outcome = Outcome::changed(false);
        outcome.set("skipped", true);
        return Ok(outcome);
    }
    let command = args.str("_raw_params").unwrap_or_default();
    let script = match args.str("executable") {
        Some(executable) => shell::join(&[executable, "-c", command]),
        None => command.to_string(),
    };
    let out = target.run(&script, None, None).await?;
    let mut outcome = if out.rc == 0 {
        Outcome::changed(true)
    } else {
        let mut failure = Outcome::raised("non-zero return code", "action");
        failure.changed = true;
        failure
    };
    outcome
        .set("rc", i64::from(out.rc))
        .set("stdout", out.stdout_text())
        .set("stderr", out.stderr_text());
    Ok(outcome)
}
