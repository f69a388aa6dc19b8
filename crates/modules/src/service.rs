//! `service` and `systemd`/`systemd_service`: a service's run state and boot-time enablement.
//!
//! `service` dispatches as Ansible's action does: `use` when given, else systemd when it is
//! the running service manager (`/run/systemd/system` and `systemctl`), else Ansible's
//! `LinuxService` path: OpenRC (`rc-service`/`rc-update`), else an init script in `/etc/init.d`
//! run through `service` and enabled with `update-rc.d` (`S??name` links in `/etc/rc?.d`).
//! Running is judged from the status command as Ansible does (LSB exit codes, then keywords),
//! or from `ps` with `pattern`. `systemd` reads `systemctl show`, `is-enabled`, then starts,
//! stops, restarts, reloads, enables, masks, with `scope`, `no_block`, `force`,
//! `daemon_reload`; its result has `status` (the parsed `show`).
//!
//! Not done: upstart, `runlevel` other than OpenRC's, `daemon_reexec` beyond running it.

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::system::{probe, section};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SERVICE_SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("state", ArgType::Str).choices(&["started", "stopped", "reloaded", "restarted"]),
    ArgSpec::new("sleep", ArgType::Int),
    ArgSpec::new("pattern", ArgType::Str),
    ArgSpec::new("enabled", ArgType::Bool),
    ArgSpec::new("runlevel", ArgType::Str),
    ArgSpec::new("arguments", ArgType::Str).aliases(&["args"]),
    ArgSpec::new("use", ArgType::Str),
];

const SYSTEMD_SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).aliases(&["service", "unit"]),
    ArgSpec::new("state", ArgType::Str).choices(&["reloaded", "restarted", "started", "stopped"]),
    ArgSpec::new("enabled", ArgType::Bool),
    ArgSpec::new("force", ArgType::Bool),
    ArgSpec::new("masked", ArgType::Bool),
    ArgSpec::new("daemon_reload", ArgType::Bool).aliases(&["daemon-reload"]),
    ArgSpec::new("daemon_reexec", ArgType::Bool).aliases(&["daemon-reexec"]),
    ArgSpec::new("scope", ArgType::Str).choices(&["system", "user", "global"]),
    ArgSpec::new("no_block", ArgType::Bool),
];

module!(
    /// The `service` module.
    pub Service = "service", SERVICE_SPEC, run_service
);

module!(
    /// The `systemd` module.
    pub Systemd = "systemd", SYSTEMD_SPEC, run_systemd
);

module!(
    /// The `systemd_service` module (the same as `systemd`).
    pub SystemdService = "systemd_service", SYSTEMD_SPEC, run_systemd
);

/// Whether systemd manages the target, as Ansible's `is_systemd_managed` judges.
const SYSTEMD_PROBE: &str = "command -v systemctl >/dev/null 2>&1 && \
    { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; } && echo systemd";

async fn run_service(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if args.get("state").is_none() && args.get("enabled").is_none() {
        return Err(ModuleError::Args(
            "one of the following is required: state, enabled".into(),
        ));
    }
    let name = args.str("name").unwrap_or_default().to_string();
    let q = quote(&name);
    let script = section("M", SYSTEMD_PROBE)
        + &section(
            "T",
            "for b in service update-rc.d rc-service rc-update; do command -v $b >/dev/null 2>&1 && echo $b; done",
        )
        + &section("I", &format!("[ -f /etc/init.d/{q} ] && echo yes"))
        + &section(
            "E",
            &format!(
                "ls /etc/rc?.d/S??{q} 2>/dev/null | head -1; ls /etc/rc?.d/K??{q} 2>/dev/null | head -1 | sed 's/^/K /'"
            ),
        );
    let probed = probe(target, &script).await?;
    let use_ = args.str("use").map(str::to_ascii_lowercase);
    let systemd = match use_.as_deref() {
        Some("systemd") => true,
        Some("auto") | None => probed.get("M").is_some_and(|m| m.contains("systemd")),
        Some(_) => false,
    };
    if systemd {
        let ignored = ["pattern", "runlevel", "sleep", "arguments"]
            .iter()
            .filter(|k| args.get(k).is_some())
            .map(|k| format!("Ignoring \"{k}\" as it is not used in \"systemd\""))
            .collect();
        return systemd_unit(target, systemd_args(&args)?, ignored).await;
    }
    let tools: Vec<&str> = probed
        .get("T")
        .map(|t| t.lines().collect())
        .unwrap_or_default();
    let has = |tool: &str| tools.contains(&tool);
    let initscript = probed.get("I").is_some_and(|i| i.contains("yes"));
    let openrc = has("rc-service");
    let (svc, enable_cmd) = if openrc {
        ("rc-service", Some("rc-update"))
    } else if initscript && has("update-rc.d") {
        ("service", Some("update-rc.d"))
    } else {
        ("service", None)
    };
    let svc = if openrc || has("service") {
        Some(svc)
    } else {
        None
    };
    let mut outcome = Outcome::changed(false);
    outcome.set("name", name.as_str());
    let mut commands: Vec<String> = Vec::new();
    if enable_cmd.is_none() {
        return Ok(Outcome::failure(format!(
            "Could not find the requested service {name}: host"
        )));
    }
    if svc.is_none() && !initscript {
        return Ok(Outcome::failure(
            "cannot find 'service' binary or init script for service,  possible typo in service name?, aborting",
        ));
    }
    // The control command: `service NAME` (`rc-service NAME`), else the init script itself.
    let control = match svc {
        Some(svc) => format!("{svc} {q}"),
        None => format!("/etc/init.d/{q}"),
    };
    if let Some(enable) = args.get("enabled").map(|_| args.bool("enabled", false)) {
        outcome.set("enabled", enable);
        let links = probed.get("E").map(String::as_str).unwrap_or_default();
        if openrc {
            // rc-update show is read in the same command that would change it.
            let runlevel = args.str("runlevel").unwrap_or("default");
            let out = target
                .run(
                    &format!("rc-update show | grep -E '^ *{} \\|'", name),
                    None,
                    None,
                )
                .await?;
            let line = out.stdout_text();
            let levels: Vec<&str> = line
                .split_once('|')
                .map(|(_, l)| l.split_whitespace().collect())
                .unwrap_or_default();
            let enabled = levels.contains(&runlevel);
            if enabled != enable {
                outcome.changed = true;
                let action = if enable { "add" } else { "delete" };
                commands.push(format!("rc-update {action} {q} {}", quote(runlevel)));
            }
        } else {
            let enabled = links.lines().any(|l| !l.starts_with("K ") && !l.is_empty());
            if enabled != enable {
                outcome.changed = true;
                if enable && !links.lines().any(|l| l.starts_with("K ")) {
                    commands.push(format!("update-rc.d {q} defaults"));
                }
                let action = if enable { "enable" } else { "disable" };
                commands.push(format!("update-rc.d {q} {action}"));
            }
        }
    }
    let Some(state) = args.str("state") else {
        if !target.check_mode {
            apply(target, &commands)
                .await?
                .map_or(Ok(()), Err)
                .map_err(ModuleError::Failed)?;
        }
        return Ok(outcome);
    };
    if !target.check_mode
        && let Some(err) = apply(target, &commands).await?
    {
        return Ok(Outcome::failure(err));
    }
    let arguments = args.str("arguments").unwrap_or_default();
    let running = match args.str("pattern") {
        Some(pattern) => {
            let out = target.run("ps auxww", None, None).await?;
            (out.rc == 0).then(|| {
                out.stdout_text()
                    .lines()
                    .any(|l| l.contains(pattern) && !l.contains("pattern="))
            })
        }
        None => {
            let out = target
                .run(&format!("{control} status {arguments}"), None, None)
                .await?;
            sysv_running(&name, out.rc, &out.stdout_text())
        }
    };
    let Some(running) = running else {
        return Ok(Outcome::failure(
            "failed determining service state, possible typo of service name?",
        ));
    };
    let action = match state {
        "started" if !running => Some("start"),
        "reloaded" if !running => Some("start"),
        "reloaded" => Some("reload"),
        "stopped" if running => Some("stop"),
        "restarted" => Some("restart"),
        _ => None,
    };
    if let Some(action) = action {
        if target.check_mode {
            let mut out = Outcome::changed(true);
            out.msg = Some("service state changed".into());
            return Ok(out);
        }
        let script = if action == "restart" && !openrc {
            let sleep = args
                .int("sleep")
                .map(|s| format!("sleep {s}; "))
                .unwrap_or_default();
            format!(
                "{control} stop {arguments}; r1=$?; {sleep}{control} start {arguments}; r2=$?; \
                 if [ $r1 -ne 0 ] && [ $r2 -eq 0 ]; then exit 0; fi; exit $((r1 + r2))"
            )
        } else {
            format!("{control} {action} {arguments}")
        };
        let out = target.run(&script, None, None).await?;
        let err = out.stderr_text();
        if out.rc != 0 && !err.contains("Job is already running") {
            let msg = if err.is_empty() {
                out.stdout_text()
            } else {
                err
            };
            return Ok(Outcome::failure(msg));
        }
        outcome.changed = true;
    }
    let shown = if matches!(state, "stopped") {
        "stopped"
    } else {
        "started"
    };
    outcome.set("state", shown);
    Ok(outcome)
}

/// Runs the enablement commands; `Some(message)` when one failed.
async fn apply(target: &Target, commands: &[String]) -> Result<Option<String>, ModuleError> {
    if commands.is_empty() {
        return Ok(None);
    }
    let out = target.run(&commands.join(" && "), None, None).await?;
    if out.rc == 0 {
        return Ok(None);
    }
    let err = out.stderr_text();
    Ok(Some(if err.is_empty() {
        out.stdout_text()
    } else {
        err
    }))
}

/// Whether a SysV status command says the service runs (`None`: cannot tell), as Ansible's
/// `LinuxService.get_service_status`: LSB codes 1–4 (and 69) mean stopped; a one-line output
/// is read for keywords; exit 0 means running.
fn sysv_running(name: &str, rc: i32, stdout: &str) -> Option<bool> {
    if [1, 2, 3, 4, 69].contains(&rc) {
        return Some(false);
    }
    if stdout.matches('\n').count() <= 1 {
        let clean = stdout.to_lowercase().replace(&name.to_lowercase(), "");
        if clean.contains("stop") {
            return Some(false);
        }
        if clean.contains("run") {
            return Some(!clean.contains("not "));
        }
        if clean.contains("start") && !clean.contains("not ") {
            return Some(true);
        }
        if [
            "could not access pid file",
            "is dead and pid file exists",
            "dead but subsys locked",
            "dead but pid file exists",
        ]
        .iter()
        .any(|k| clean.contains(k))
        {
            return Some(false);
        }
    }
    if rc == 0 {
        return Some(true);
    }
    (name == "iptables" && stdout.contains("ACCEPT")).then_some(true)
}

/// `service` arguments as `systemd` takes them (Ansible drops `sleep`, `pattern`, `runlevel`,
/// `arguments` with a warning, which the caller gives).
fn systemd_args(args: &Args) -> Result<Args, ModuleError> {
    let mut raw = Map::new();
    for key in ["name", "state", "enabled"] {
        if let Some(v) = args.get(key) {
            raw.insert(Value::from(key), v.clone());
        }
    }
    Args::validate("systemd", SYSTEMD_SPEC, &raw)
}

/// The `systemctl` command line for the task's scope and flags.
fn systemctl(args: &Args) -> String {
    let mut cmd = "systemctl".to_string();
    if let Some(scope @ ("user" | "global")) = args.str("scope") {
        cmd += &format!(" --{scope}");
    }
    if args.bool("no_block", false) {
        cmd += " --no-block";
    }
    if args.bool("force", false) {
        cmd += " --force";
    }
    cmd
}

/// `systemctl show` output as a map; `Exec*` values in braces may span lines.
fn parse_show(text: &str) -> Map {
    let mut parsed = Map::new();
    let mut pending: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some((key, mut values)) = pending.take() {
            values.push(line.to_string());
            if line.trim_end().ends_with('}') {
                parsed.insert(Value::from(key), Value::from(values.join("\n").trim()));
            } else {
                pending = Some((key, values));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.starts_with("Exec")
            && value.trim_start().starts_with('{')
            && !value.trim_end().ends_with('}')
        {
            pending = Some((key.to_string(), vec![value.to_string()]));
            continue;
        }
        parsed.insert(Value::from(key), Value::from(value.trim()));
    }
    parsed
}

/// What `systemd` does to a unit, from its `show` status and `is-enabled` answers.
#[derive(Debug, PartialEq, Eq)]
struct Decision {
    /// `systemctl` verbs, in order (`mask`, `enable`, `start` …).
    actions: Vec<&'static str>,
    /// `enabled` for the result (after the change).
    enabled: Option<bool>,
    /// `state` for the result.
    state: Option<&'static str>,
}

/// Decides as Ansible's `systemd_service`: `is_enabled` is `is-enabled -l`'s (rc, output).
fn decide(args: &Args, status: &Map, is_enabled: (i32, &str), sysv_enabled: bool) -> Decision {
    let get = |k: &str| {
        status
            .get(&Value::from(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let mut actions = Vec::new();
    let (rc, out) = is_enabled;
    if let Some(masked) = args.get("masked").map(|_| args.bool("masked", false))
        && (out.trim() == "masked") != masked
    {
        actions.push(if masked { "mask" } else { "unmask" });
    }
    let mut enabled_result = None;
    if let Some(enable) = args.get("enabled").map(|_| args.bool("enabled", false)) {
        let enabled = match rc {
            0 => !matches!(out.trim_end(), "enabled-runtime" | "indirect" | "alias"),
            1 => {
                args.str("scope").unwrap_or("system") == "system"
                    && !out.trim().ends_with("disabled")
                    && sysv_enabled
            }
            _ => false,
        };
        if enabled != enable {
            actions.push(if enable { "enable" } else { "disable" });
        }
        enabled_result = Some(enable);
    }
    let mut state_result = None;
    if let Some(state) = args.str("state") {
        let active = get("ActiveState");
        let running = matches!(active, "active" | "activating");
        let action = match state {
            "started" => (!running).then_some("start"),
            "stopped" => (running || active == "deactivating").then_some("stop"),
            "restarted" if running => Some("restart"),
            "reloaded" if running => Some("reload"),
            _ => Some("start"),
        };
        actions.extend(action);
        state_result = Some(match state {
            "started" => "started",
            "stopped" => "stopped",
            _ => "started",
        });
    }
    Decision {
        actions,
        enabled: enabled_result,
        state: state_result,
    }
}

/// `systemctl is-enabled` answers by which Ansible knows systemd has the unit when `show`
/// failed (a `--global` scope has no manager to ask).
const VALID_ENABLED_STATES: &[&str] = &[
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "masked",
    "masked-runtime",
    "static",
    "indirect",
    "disabled",
    "generated",
    "transient",
];

/// Whether systemctl printed that it ignored the request (Ansible's `request_was_ignored`).
fn request_was_ignored(text: &str) -> bool {
    !text.contains('=') && (text.contains("ignoring request") || text.contains("ignoring command"))
}

/// The message Ansible fails with when `verb` failed on `unit` (`out`/`err`: its output).
fn action_failure(verb: &str, unit: &str, out: &str, err: &str) -> String {
    match verb {
        "mask" | "unmask" => format!("Failed to {verb} the service ({unit}): {}", err.trim()),
        "enable" | "disable" => format!("Unable to {verb} service {unit}: {out}{err}"),
        _ => format!("Unable to {verb} service {unit}: {err}"),
    }
}

/// The probe of a unit: `B` systemctl's path, `S` `show` (its stderr and rc in `R`), `E`
/// `is-enabled -l` with its rc, `V` `x` for an executable init script and `s` for its `S??`
/// links; when `show` failed, `L` the rc of `list-unit-files` and `C` bare `systemctl`'s
/// output, stderr (`D`) and rc (`K`), Ansible's fallbacks.
fn probe_script(systemctl: &str, unit: &str) -> String {
    let q = quote(unit);
    section("B", "command -v systemctl")
        + &section(
            "S",
            &format!("s_err=$({systemctl} show {q} 2>&1 >&3); s_rc=$?"),
        )
        + &section("R", "echo \"$s_rc\"; printf '%s\\n' \"$s_err\"")
        + &section(
            "E",
            &format!("{systemctl} is-enabled {q} -l; echo \"rc=$?\""),
        )
        + &section(
            "V",
            &format!(
                "[ -x /etc/init.d/{q} ] && echo x; ls /etc/rc?.d/S??{q} >/dev/null 2>&1 && echo s"
            ),
        )
        + &format!(
            "if [ \"$s_rc\" != 0 ]; then\n{}{}fi\n",
            section(
                "L",
                &format!("{systemctl} list-unit-files {q} >/dev/null 2>&1; echo $?")
            ),
            section("C", &format!("c_err=$({systemctl} 2>&1 >&3); c_rc=$?"))
                + &section("D", "[ -z \"$c_err\" ] || printf '%s\\n' \"$c_err\"")
                + &section("K", "echo \"$c_rc\"")
        )
}

async fn run_systemd(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    systemd_unit(target, args, Vec::new()).await
}

/// The `systemd` module with `warnings` to report (those of `service` dispatching to it, as
/// Ansible's `service` action warns of the arguments it drops), whatever the outcome.
async fn systemd_unit(
    target: &Target,
    args: Args,
    mut warnings: Vec<String>,
) -> Result<Outcome, ModuleError> {
    let mut outcome = systemd_module(target, args, &mut warnings).await?;
    if !warnings.is_empty() {
        outcome.set(
            "warnings",
            Value::seq(warnings.iter().map(|w| Value::from(w.as_str())).collect()),
        );
    }
    Ok(outcome)
}

/// The `systemd` module's work; warnings are added to `warnings`.
async fn systemd_module(
    target: &Target,
    args: Args,
    warnings: &mut Vec<String>,
) -> Result<Outcome, ModuleError> {
    let unit = args.str("name").map(str::to_string);
    if ["state", "enabled", "masked"]
        .iter()
        .all(|k| args.get(k).is_none())
        && !args.bool("daemon_reload", false)
        && !args.bool("daemon_reexec", false)
    {
        return Err(ModuleError::Args(
            "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec".into(),
        ));
    }
    if let Some(unit) = &unit
        && let Some(glob) = ["*", "?", "["].iter().find(|g| unit.contains(**g))
    {
        return Ok(Outcome::failure(format!(
            "This module does not currently support using glob patterns, found '{glob}' in service name: {unit}"
        )));
    }
    let systemctl = systemctl(&args);
    // fd 3 is the script's stdout: commands whose stderr is captured print their output there.
    let mut script = String::from(
        "exec 3>&1; : \"${XDG_RUNTIME_DIR:=/run/user/$(id -u)}\"; export XDG_RUNTIME_DIR\n",
    );
    script += "command -v systemctl >/dev/null || { echo 'Failed to find required executable \"systemctl\"' >&2; exit 127; }\n";
    if !target.check_mode {
        for (param, verb) in [
            ("daemon_reload", "daemon-reload"),
            ("daemon_reexec", "daemon-reexec"),
        ] {
            if args.bool(param, false) {
                script += &format!(
                    "e=$({systemctl} {verb} 2>&1 >/dev/null) || {{ echo \"failure $? during {verb}: $e\" >&2; exit 1; }}\n"
                );
            }
        }
    }
    if let Some(unit) = &unit {
        script += &probe_script(&systemctl, unit);
    }
    // The probes' own exit codes are data (read below): only the checks above fail the run.
    script += "exit 0\n";
    let out = target.run(&script, None, None).await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
    }
    let probed = crate::system::sections(&out.stdout_text());
    let text = |key: &str| probed.get(key).map(String::as_str).unwrap_or_default();
    let mut outcome = Outcome::changed(false);
    outcome.set(
        "name",
        unit.as_deref().map_or_else(Value::null, Value::from),
    );
    let Some(unit) = unit else {
        outcome.set("status", Value::map(Map::new()));
        return Ok(outcome);
    };
    let (show_rc, show_err) = text("R").split_once('\n').unwrap_or((text("R"), ""));
    let show = text("S");
    let (answer, rc) = text("E").rsplit_once("rc=").unwrap_or(("", "1"));
    let rc: i32 = rc.trim().parse().unwrap_or(1);
    let is_initd = text("V").lines().any(|l| l == "x");
    let sysv_enabled = is_initd && text("V").lines().any(|l| l == "s");
    let mut status = Map::new();
    let is_systemd =
        if show_rc.trim() == "0" && !(request_was_ignored(show) || request_was_ignored(show_err)) {
            if !show.is_empty() {
                status = parse_show(show);
            }
            let load = status
                .get(&Value::from("LoadState"))
                .and_then(Value::as_str);
            let is_systemd = load.is_some_and(|s| s != "not-found");
            if is_systemd
                && load != Some("masked")
                && let Some(error) = status
                    .get(&Value::from("LoadError"))
                    .and_then(Value::as_str)
            {
                return Ok(Outcome::failure(format!(
                    "Error loading unit file '{unit}': {error}"
                )));
            }
            is_systemd
        } else if VALID_ENABLED_STATES.contains(&answer.trim()) || text("L").trim() == "0" {
            true
        } else {
            // As Ansible's run_command(systemctl, check_rc=True): bare systemctl, failing.
            let c_rc: i32 = text("K").trim().parse().unwrap_or(1);
            if c_rc != 0 {
                let bin = text("B").trim();
                let cmd = format!("{}{}", bin, systemctl.trim_start_matches("systemctl"));
                let mut failure = Outcome::failure(text("D").trim_end().to_string());
                failure.set("cmd", cmd);
                failure.set("rc", i64::from(c_rc));
                failure.set("stdout", text("C"));
                failure.set("stderr", text("D"));
                return Ok(failure);
            }
            false
        };
    let found = is_systemd || is_initd;
    if is_initd && !is_systemd {
        warnings.push(format!(
            "The service ({unit}) is actually an init script but the system is managed by systemd"
        ));
    }
    let decision = decide(&args, &status, (rc, answer), sysv_enabled);
    // Ansible fails on a missing unit (or an unknown state) only after the steps before that
    // check ran: masking for a missing unit, masking and enabling for an unknown state.
    let mut gate = None;
    let mut actions = decision.actions.clone();
    if (args.get("enabled").is_some() || args.get("state").is_some()) && !found {
        gate = Some(Outcome::failure(format!(
            "Could not find the requested service {unit}: host"
        )));
        actions.retain(|verb| matches!(*verb, "mask" | "unmask"));
    } else if args.get("state").is_some() && !status.contains_key(&Value::from("ActiveState")) {
        let mut failure = Outcome::failure("Service is in unknown state");
        failure.set("status", Value::map(status.clone()));
        gate = Some(failure);
        actions.retain(|verb| matches!(*verb, "mask" | "unmask" | "enable" | "disable"));
    }
    if !actions.is_empty() {
        outcome.changed = true;
        if !target.check_mode {
            // Each verb marks its start on stdout and, failing, leaves its stderr on stderr.
            let q = quote(&unit);
            let mut script = String::from("exec 3>&1\n");
            for verb in &actions {
                script += &format!(
                    "printf '\\001{verb}\\n'; e=$({systemctl} {verb} {q} 2>&1 >&3) || {{ [ -z \"$e\" ] || printf '%s\\n' \"$e\" >&2; exit 1; }}\n"
                );
            }
            let out = target.run(&script, None, None).await?;
            if out.rc != 0 {
                let stdout = out.stdout_text();
                let (verb, printed) = stdout
                    .rsplit_once('\u{1}')
                    .and_then(|(_, last)| last.split_once('\n'))
                    .unwrap_or(("start", ""));
                let msg = if matches!(verb, "mask" | "unmask") && !found {
                    format!("Could not find the requested service {unit}: host")
                } else {
                    action_failure(verb, &unit, printed, &out.stderr_text())
                };
                return Ok(Outcome::failure(msg));
            }
        }
    }
    if let Some(failure) = gate {
        return Ok(failure);
    }
    if let Some(enabled) = decision.enabled {
        outcome.set("enabled", enabled);
    }
    if let Some(state) = decision.state {
        outcome.set("state", state);
    }
    outcome.set("status", Value::map(status));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Args {
        crate::args::test_args("systemd", SYSTEMD_SPEC, pairs)
    }

    #[test]
    fn systemctl_takes_scope_and_flags() {
        assert_eq!(systemctl(&args(&[("state", "started")])), "systemctl");
        assert_eq!(
            systemctl(&args(&[
                ("scope", "user"),
                ("no_block", "yes"),
                ("force", "true")
            ])),
            "systemctl --user --no-block --force"
        );
    }

    #[test]
    fn show_output_parses_with_multiline_exec() {
        let status = parse_show(
            "Id=x.service\nActiveState=active\nExecStart={ path=/bin/x ; argv[]=/bin/x\n  -f }\nDescription=a=b\n",
        );
        let get = |k: &str| {
            status
                .get(&Value::from(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        assert_eq!(get("ActiveState").as_deref(), Some("active"));
        assert_eq!(get("Description").as_deref(), Some("a=b"));
        assert_eq!(
            get("ExecStart").as_deref(),
            Some("{ path=/bin/x ; argv[]=/bin/x\n  -f }")
        );
    }

    #[test]
    fn decisions_follow_ansible() {
        let active = parse_show("ActiveState=active\nLoadState=loaded\n");
        let inactive = parse_show("ActiveState=inactive\nLoadState=loaded\n");
        let d = decide(
            &args(&[("state", "started"), ("enabled", "yes")]),
            &inactive,
            (1, "disabled"),
            false,
        );
        assert_eq!(d.actions, vec!["enable", "start"]);
        assert_eq!((d.enabled, d.state), (Some(true), Some("started")));
        let d = decide(
            &args(&[("state", "started"), ("enabled", "yes")]),
            &active,
            (0, "enabled"),
            false,
        );
        assert!(d.actions.is_empty());
        let d = decide(
            &args(&[("state", "reloaded")]),
            &inactive,
            (0, "enabled"),
            false,
        );
        assert_eq!(d.actions, vec!["start"]);
        let d = decide(
            &args(&[("state", "restarted")]),
            &active,
            (0, "enabled"),
            false,
        );
        assert_eq!(d.actions, vec!["restart"]);
        let d = decide(
            &args(&[("masked", "yes"), ("enabled", "no")]),
            &inactive,
            (1, "masked"),
            false,
        );
        assert!(d.actions.is_empty());
        let d = decide(
            &args(&[("enabled", "yes")]),
            &inactive,
            (0, "indirect"),
            false,
        );
        assert_eq!(d.actions, vec!["enable"]);
        let d = decide(&args(&[("enabled", "yes")]), &inactive, (1, ""), true);
        assert!(d.actions.is_empty());
    }

    #[test]
    fn failures_read_like_ansible() {
        assert_eq!(
            action_failure("mask", "x", "", "Failed to mask unit: exists.\n"),
            "Failed to mask the service (x): Failed to mask unit: exists."
        );
        assert_eq!(
            action_failure("enable", "x", "out\n", "err\n"),
            "Unable to enable service x: out\nerr\n"
        );
        assert_eq!(
            action_failure("start", "x", "out", "masked.\n"),
            "Unable to start service x: masked.\n"
        );
        assert!(request_was_ignored("Running in chroot, ignoring request."));
        assert!(!request_was_ignored("Id=x.service\nignoring request"));
    }

    #[test]
    fn sysv_status_reads_like_ansible() {
        assert_eq!(sysv_running("x", 3, "x is not running\n"), Some(false));
        assert_eq!(sysv_running("x", 0, "x is running\n"), Some(true));
        assert_eq!(sysv_running("x", 0, ""), Some(true));
        assert_eq!(sysv_running("x", 0, "x is not running\n"), Some(false));
        assert_eq!(sysv_running("x", 5, "a\nb\nc\n"), None);
    }
}
