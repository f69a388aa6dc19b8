//! Lookups on the controller's process and configuration: env, pipe, lines, vars, config.

use std::process::{Command, Stdio};

use oxible_yaml::Value;

use super::{Call, LookupError, fail, failure, text_term};
use crate::convert::from_jinja;

/// `env`: each environment variable (the term's first word), else `default`, else `''`.
pub(super) fn env(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    call.terms
        .iter()
        .map(|term| {
            let term = text_term("env", term)?;
            let name = term.split_whitespace().next().unwrap_or_default();
            Ok(match (std::env::var(name), call.option("default")) {
                (Ok(value), _) => Value::from(value),
                (Err(_), Some(default)) if !default.is_null() => default.clone(),
                (Err(_), _) => Value::from(""),
            })
        })
        .collect()
}

/// The standard output of `command` run by `sh` in the base directory; `lookup` names the
/// lookup in errors.
fn shell(call: &Call<'_>, lookup: &str, command: &str) -> Result<String, LookupError> {
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(call.base_dir())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| failure!("lookup_plugin.{lookup}({command}) could not run: {e}"))?;
    if !output.status.success() {
        return fail!(
            "lookup_plugin.{lookup}({command}) returned {}",
            output.status.code().unwrap_or(-1)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `pipe`: each command's output, trailing whitespace stripped.
pub(super) fn pipe(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    call.terms
        .iter()
        .map(|term| Ok(Value::from(shell(call, "pipe", &term.py_str())?.trim_end())))
        .collect()
}

/// `lines`: each command's output lines.
pub(super) fn lines(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let mut out = Vec::new();
    for term in call.terms {
        let text = shell(call, "lines", &term.py_str())?;
        out.extend(text.lines().map(Value::from));
    }
    Ok(out)
}

/// `vars`: each variable's templated value, else `default`, else undefined.
pub(super) fn vars(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    call.terms
        .iter()
        .map(|term| {
            let name = text_term("vars", term)?;
            match (call.var_jinja(name), call.option("default")) {
                (Some(value), _) => from_jinja(&value).map_err(|e| failure!("{name}: {e}")),
                (None, Some(default)) if !default.is_null() => Ok(default.clone()),
                (None, _) => Err(LookupError::Undefined(format!(
                    "No variable named '{name}' was found."
                ))),
            }
        })
        .collect()
}

/// The ansible-core settings `config` knows, with their defaults.
fn setting(name: &str) -> Option<Value> {
    Some(match name {
        "DEFAULT_BECOME_METHOD" => Value::from("sudo"),
        "DEFAULT_BECOME_USER" => Value::from("root"),
        "DEFAULT_TIMEOUT" => Value::from(10),
        "DEFAULT_FORKS" => Value::from(5),
        "DEFAULT_POLL_INTERVAL" => Value::from(15),
        "DEFAULT_GATHERING" => Value::from("implicit"),
        "DEFAULT_HASH_BEHAVIOUR" => Value::from("replace"),
        "DEFAULT_TRANSPORT" => Value::from("ssh"),
        "DEFAULT_MODULE_NAME" => Value::from("command"),
        "DEFAULT_MANAGED_STR" => Value::from("Ansible managed"),
        "DEFAULT_REMOTE_PORT" => Value::null(),
        "HOST_KEY_CHECKING" => Value::from(true),
        "RETRY_FILES_ENABLED"
        | "DEFAULT_PRIVATE_ROLE_VARS"
        | "DEFAULT_KEEP_REMOTE_FILES"
        | "ANSIBLE_FORCE_COLOR" => Value::from(false),
        _ => return None,
    })
}

/// `config`: ansible-core settings by name (a few, at their defaults); `on_missing` is
/// `error` (default), `skip` or `warn` (which skips).
pub(super) fn config(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let on_missing = call
        .option("on_missing")
        .map_or_else(|| "error".to_string(), Value::py_str);
    if !matches!(on_missing.as_str(), "error" | "skip" | "warn") {
        return fail!(
            "Invalid option for error handling, missing must be error, warn or skip, got: {on_missing}."
        );
    }
    let mut out = Vec::new();
    for term in call.terms {
        let name = text_term("config", term)?;
        match setting(name) {
            Some(value) => out.push(value),
            None if on_missing == "error" => {
                return fail!("No setting was provided for required configuration {name}");
            }
            None => {}
        }
    }
    Ok(out)
}
