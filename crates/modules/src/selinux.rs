//! `ansible.posix.selinux` and `ansible.posix.seboolean`. On a host with SELinux they follow
//! the collection's modules (runtime mode through `getenforce`/`setenforce`, the config file's
//! `SELINUX=`/`SELINUXTYPE=` lines, booleans through `getsebool`/`setsebool [-P]`). On a host
//! without SELinux (no `/sys/fs/selinux`, no `getenforce`) they do nothing and say so with
//! `changed: false`, where Ansible's modules fail for want of the Python bindings (or, with
//! them, for the missing config file / "SELinux is disabled"): a deliberate difference, in
//! docs/COMPATIBILITY.md.

use crate::system::{probe, section, set_output};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SELINUX_SPEC: &[ArgSpec] = &[
    ArgSpec::new("policy", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).required().choices(&[
        "enforcing",
        "permissive",
        "disabled",
    ]),
    ArgSpec::new("configfile", ArgType::Str).aliases(&["conf", "file"]),
    ArgSpec::new("update_kernel_param", ArgType::Bool),
];

const SEBOOLEAN_SPEC: &[ArgSpec] = &[
    ArgSpec::new("ignore_selinux_state", ArgType::Bool),
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("persistent", ArgType::Bool),
    ArgSpec::new("state", ArgType::Bool).required(),
];

module!(
    /// The `ansible.posix.selinux` module.
    pub Selinux = "selinux", SELINUX_SPEC, run_selinux
);

module!(
    /// The `ansible.posix.seboolean` module.
    pub Seboolean = "seboolean", SEBOOLEAN_SPEC, run_seboolean
);

/// The message of both modules on a host without SELinux.
const ABSENT: &str = "SELinux is not available on this host (no /sys/fs/selinux and no \
                      getenforce): nothing to do";

/// A snippet printing `yes` when the host has SELinux (kernel support or its tools).
const PRESENT_SNIPPET: &str = "if [ -d /sys/fs/selinux ] && [ -e /sys/fs/selinux/enforce ] \
     || command -v getenforce >/dev/null 2>&1; then echo yes; fi";

/// The `KEY=value` of an SELinux config text (`SELINUX`, `SELINUXTYPE`), as the module's
/// regular expression reads it (last one wins).
fn config_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.trim_start().strip_prefix('='))
        .map(|v| v.trim().to_string())
        .next_back()
}

async fn run_selinux(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let state = args.str("state").unwrap_or_default().to_string();
    let configfile = args
        .str("configfile")
        .unwrap_or("/etc/selinux/config")
        .to_string();
    let conf = oxible_shell::quote(&configfile);
    let script = format!(
        "{}{}{}",
        section("present", PRESENT_SNIPPET),
        section(
            "runtime",
            "getenforce 2>/dev/null; sestatus 2>/dev/null | sed -n 's/^Loaded policy name: *//p'"
        ),
        section(
            "config",
            &format!("[ -f {conf} ] && echo found && cat {conf}")
        ),
    );
    let s = probe(target, &script).await?;
    let mut policy = args.str("policy").map(str::to_string);
    if s.get("present").is_none_or(|p| p.trim() != "yes") {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some(ABSENT.into());
        outcome
            .set("configfile", configfile.as_str())
            .set("policy", policy.unwrap_or_default())
            .set("state", state.as_str())
            .set("reboot_required", false);
        return Ok(outcome);
    }
    let config = s.get("config").cloned().unwrap_or_default();
    let Some(config) = config.strip_prefix("found\n") else {
        let mut outcome = Outcome::failure(format!("Unable to find file {configfile}"));
        outcome.set(
            "details",
            "Please install SELinux-policy package, if this package is not installed previously.",
        );
        return Ok(outcome);
    };
    let mut runtime = s.get("runtime").map(|r| r.lines()).into_iter().flatten();
    let runtime_state = runtime.next().unwrap_or("Disabled").trim().to_lowercase();
    let runtime_policy = runtime.next().unwrap_or_default().trim().to_string();
    let config_policy = config_value(config, "SELINUXTYPE").unwrap_or_default();
    let config_state = config_value(config, "SELINUX").unwrap_or_default();
    if state != "disabled" && policy.is_none() {
        return Ok(Outcome::failure(
            "Policy is required if state is not 'disabled'",
        ));
    }
    let policy = policy.get_or_insert(config_policy.clone()).clone();
    let mut msgs = Vec::new();
    let mut commands = Vec::new();
    let mut changed = false;
    let mut reboot_required = false;
    let mut warnings = Vec::new();
    if runtime_state != "disabled" && policy != runtime_policy {
        if target.check_mode {
            return Ok(Outcome::changed(true));
        }
        msgs.push(format!(
            "Running SELinux policy changed from '{runtime_policy}' to '{policy}'"
        ));
        changed = true;
    }
    let sed = |key: &str, value: &str| {
        format!("sed -i -E 's/^[[:space:]]*{key}[[:space:]]*=.*/{key}={value}/' {conf}",)
    };
    if policy != config_policy {
        if target.check_mode {
            return Ok(Outcome::changed(true));
        }
        commands.push(sed("SELINUXTYPE", &policy));
        msgs.push(format!(
            "SELinux policy configuration in '{configfile}' changed from '{config_policy}' to '{policy}'"
        ));
        changed = true;
    }
    if state != runtime_state {
        if runtime_state == "disabled" {
            warnings.push(format!(
                "Reboot is required to set SELinux state to '{state}'"
            ));
            reboot_required = true;
        } else if state == "disabled" {
            if runtime_state != "permissive" {
                commands.push("setenforce 0".into());
                warnings.push(format!(
                    "SELinux state temporarily changed from '{runtime_state}' to 'permissive'. \
                     State change will take effect next reboot."
                ));
                changed = true;
            } else {
                warnings.push("SELinux state change will take effect next reboot".into());
            }
            reboot_required = true;
        } else {
            let flag = if state == "enforcing" { 1 } else { 0 };
            commands.push(format!("setenforce {flag}"));
            msgs.push(format!(
                "SELinux state changed from '{runtime_state}' to '{state}'"
            ));
            changed = true;
        }
    }
    if state != config_state {
        commands.push(sed("SELINUX", &state));
        msgs.push(format!(
            "Config SELinux state changed from '{config_state}' to '{state}'"
        ));
        changed = true;
    }
    if !target.check_mode && !commands.is_empty() {
        let out = target.run(&commands.join(" && "), None, None).await?;
        if out.rc != 0 {
            let mut outcome = Outcome::failure(format!(
                "failed to change SELinux: {}",
                out.stderr_text().trim()
            ));
            set_output(&mut outcome, &out.stdout_text(), &out.stderr_text());
            return Ok(outcome);
        }
    }
    let mut outcome = Outcome::changed(changed);
    outcome.msg = Some(msgs.join(", "));
    outcome
        .set("configfile", configfile.as_str())
        .set("policy", policy.as_str())
        .set("state", state.as_str())
        .set("reboot_required", reboot_required);
    if !warnings.is_empty() {
        outcome.set(
            "warnings",
            oxible_yaml::Value::seq(warnings.into_iter().map(oxible_yaml::Value::from).collect()),
        );
    }
    Ok(outcome)
}

async fn run_seboolean(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().to_string();
    let persistent = args.bool("persistent", false);
    let state = args.bool("state", false);
    let quoted = oxible_shell::quote(&name);
    let script = format!(
        "{}{}",
        section("present", PRESENT_SNIPPET),
        section(
            "bool",
            &format!("getenforce 2>/dev/null; getsebool {quoted} 2>&1")
        ),
    );
    let s = probe(target, &script).await?;
    let mut outcome = Outcome::changed(false);
    outcome
        .set("name", name.as_str())
        .set("persistent", persistent)
        .set("state", state);
    if s.get("present").is_none_or(|p| p.trim() != "yes") {
        outcome.msg = Some(ABSENT.into());
        return Ok(outcome);
    }
    let text = s.get("bool").cloned().unwrap_or_default();
    let mut lines = text.lines();
    let enabled = lines
        .next()
        .is_some_and(|m| !m.trim().eq_ignore_ascii_case("disabled"));
    if !enabled && !args.bool("ignore_selinux_state", false) {
        return Ok(Outcome::failure("SELinux is disabled on this host."));
    }
    let current = lines.next().unwrap_or_default();
    let Some(value) = current
        .rsplit("--> ")
        .next()
        .filter(|_| current.contains("--> "))
    else {
        return Ok(Outcome::failure(format!(
            "Failed to determine current state for boolean {name}"
        )));
    };
    let is_on = value.trim() == "on";
    if is_on == state && !persistent {
        return Ok(outcome);
    }
    // persistent: the policy store may differ from the running value; setsebool -P is
    // idempotent, so it is only skipped when the running value already matches and a
    // persistent listing (semanage) agrees.
    if persistent && is_on == state {
        let check = format!(
            "semanage boolean -l -C 2>/dev/null | awk -v n={quoted} '$1==n {{print $2}}' | tr -d '(,'"
        );
        let out = target.run(&check, None, None).await?;
        let stored = out.stdout_text().trim().to_string();
        if stored.is_empty() || (stored == "on") == state {
            return Ok(outcome);
        }
    }
    outcome.changed = true;
    if !target.check_mode {
        let flag = if persistent { "-P " } else { "" };
        let value = if state { "on" } else { "off" };
        let out = target
            .run(&format!("setsebool {flag}{quoted} {value}"), None, None)
            .await?;
        if out.rc != 0 {
            return Ok(Outcome::failure(format!(
                "Failed to set boolean {name} to {state}: {}",
                out.stderr_text().trim()
            )));
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_read_like_the_module() {
        let text = "# SELINUX=disabled\nSELINUX=enforcing\nSELINUXTYPE = targeted\n";
        assert_eq!(config_value(text, "SELINUX").as_deref(), Some("enforcing"));
        assert_eq!(
            config_value(text, "SELINUXTYPE").as_deref(),
            Some("targeted")
        );
    }
}
