//! `group`: a local group present (with `gid`, `system`) or absent, through `groupadd`,
//! `groupmod` and `groupdel`, as Ansible's Linux `group` module. Result keys: `name`, `state`,
//! `gid`, `system`, `stdout`/`stderr` when the command printed something.

use oxible_shell::quote;

use crate::system::{head, section, sections, set_output};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("gid", ArgType::Int),
    ArgSpec::new("system", ArgType::Bool),
    ArgSpec::new("force", ArgType::Bool),
    ArgSpec::new("local", ArgType::Bool),
    ArgSpec::new("non_unique", ArgType::Bool),
    ArgSpec::new("gid_min", ArgType::Int),
    ArgSpec::new("gid_max", ArgType::Int),
];

module!(
    /// The `group` module.
    pub Group = "group", SPEC, run
);

/// The gid of group `name` from a `getent group` line, if it exists.
fn gid_of(line: &str) -> Option<i64> {
    line.lines().next()?.split(':').nth(2)?.parse().ok()
}

async fn lookup(target: &Target, name: &str) -> Result<Option<i64>, ModuleError> {
    let out = target
        .run(&format!("getent group {}", quote(name)), None, None)
        .await?;
    Ok(gid_of(&out.stdout_text()))
}

/// The command that brings the group to its wanted state, `None` when it is there.
fn command(args: &Args, name: &str, current: Option<i64>) -> Option<Vec<String>> {
    let present = args.str("state") != Some("absent");
    let mut cmd: Vec<String> = Vec::new();
    let gid = args.int("gid");
    match (present, current) {
        (false, None) => return None,
        (false, Some(_)) => {
            cmd.push("groupdel".into());
            if args.bool("force", false) {
                cmd.push("-f".into());
            }
        }
        (true, None) => {
            cmd.push("groupadd".into());
            if let Some(gid) = gid {
                cmd.extend(["-g".into(), gid.to_string()]);
                if args.bool("non_unique", false) {
                    cmd.push("-o".into());
                }
            }
            if args.bool("system", false) {
                cmd.push("-r".into());
            }
            for (param, key) in [("gid_min", "GID_MIN"), ("gid_max", "GID_MAX")] {
                if let Some(v) = args.int(param) {
                    cmd.extend(["-K".into(), format!("{key}={v}")]);
                }
            }
        }
        (true, Some(have)) => {
            let gid = gid.filter(|g| *g != have)?;
            cmd.extend(["groupmod".into(), "-g".into(), gid.to_string()]);
            if args.bool("non_unique", false) {
                cmd.push("-o".into());
            }
        }
    }
    cmd.push(name.to_string());
    Some(cmd)
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    if args.bool("non_unique", false) && args.int("gid").is_none() {
        return Err(ModuleError::Args(
            "non_unique is True but all of the following are missing: gid".into(),
        ));
    }
    let current = lookup(target, &name).await?;
    let Some(cmd) = command(&args, &name, current) else {
        return Ok(result(&args, &name, state, current, None));
    };
    if target.check_mode {
        if current.is_none() || state == "absent" {
            // Ansible exits at once with only `changed` when it would add or delete.
            return Ok(Outcome::changed(true));
        }
        return Ok(result(
            &args,
            &name,
            state,
            current,
            Some((String::new(), String::new())),
        ));
    }
    // The command, then the group's line as a section after its output: one round trip.
    let script = format!(
        "{}; rc=$?\n{}exit $rc",
        oxible_shell::join(&cmd),
        section("G", &format!("getent group {}", quote(&name)))
    );
    let out = target.run(&script, None, None).await?;
    let stdout = out.stdout_text();
    if out.rc != 0 {
        let mut outcome = Outcome::failure(out.stderr_text());
        outcome.set("name", name.as_str());
        return Ok(outcome);
    }
    let after = sections(&stdout).get("G").and_then(|l| gid_of(l));
    Ok(result(
        &args,
        &name,
        state,
        after,
        Some((head(&stdout).to_string(), out.stderr_text())),
    ))
}

/// Ansible's result: `output` is the command's stdout and stderr when one ran.
fn result(
    args: &Args,
    name: &str,
    state: &str,
    gid: Option<i64>,
    output: Option<(String, String)>,
) -> Outcome {
    let mut outcome = Outcome::changed(output.is_some());
    outcome.set("name", name).set("state", state);
    if let Some((stdout, stderr)) = output {
        set_output(&mut outcome, &stdout, &stderr);
    }
    if let Some(gid) = gid {
        outcome
            .set("system", args.bool("system", false))
            .set("gid", gid);
    }
    outcome
}
