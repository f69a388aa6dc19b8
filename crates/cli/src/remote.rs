//! How hosts are reached and privileges escalated, from the command line and ansible.cfg.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use oxible_executor::{BecomeOptions, ConnectOptions};

use crate::config::Config;
use crate::exit::{Failure, FailureClass};
use crate::playbook_cmd::Args;

/// `-u`, `--private-key`, `--ssh-*-args` and `-T` over ansible.cfg's settings.
pub fn connect_options(args: &Args, config: &Config) -> Result<ConnectOptions, Failure> {
    let words = |flag: &str, text: &Option<String>| -> Result<Vec<String>, Failure> {
        match text {
            None => Ok(Vec::new()),
            Some(text) => oxible_shell::split(text, false)
                .map(|tokens| tokens.into_iter().map(|t| t.text).collect())
                .map_err(|e| Failure::new(FailureClass::Options, format!("{flag}: {e}"))),
        }
    };
    Ok(ConnectOptions {
        remote_user: args.user.clone().or_else(|| config.remote_user.clone()),
        private_key: args
            .private_key
            .clone()
            .or_else(|| config.private_key_file.clone()),
        ssh_args: without_multiplexing(words("ssh_args", &config.ssh_args)?),
        ssh_common_args: words(
            "--ssh-common-args",
            &args
                .ssh_common_args
                .clone()
                .or_else(|| config.ssh_common_args.clone()),
        )?,
        ssh_extra_args: words(
            "--ssh-extra-args",
            &args
                .ssh_extra_args
                .clone()
                .or_else(|| config.ssh_extra_args.clone()),
        )?,
        host_key_checking: config.host_key_checking,
        timeout: args.timeout.unwrap_or(config.timeout),
    })
}

/// `ssh_args` without the ControlMaster/ControlPersist/ControlPath options Ansible's default
/// carries (`-C -o ControlMaster=auto -o ControlPersist=60s`): oxible keeps one multiplexed
/// master per host itself, and ssh takes the first value given for an option.
fn without_multiplexing(words: Vec<String>) -> Vec<String> {
    let is_control = |option: &str| {
        let name = option.split(['=', ' ']).next().unwrap_or_default();
        ["controlmaster", "controlpersist", "controlpath"]
            .contains(&name.to_ascii_lowercase().as_str())
    };
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        if word == "-o" {
            match words.next() {
                Some(option) if is_control(&option) => {}
                Some(option) => out.extend([word, option]),
                None => out.push(word),
            }
        } else if let Some(option) = word.strip_prefix("-o")
            && is_control(option)
        {
        } else {
            out.push(word);
        }
    }
    out
}

/// `-b`, `--become-user`, `--become-method` and the password from `-K` (asked on the
/// terminal) or `--become-password-file` / ansible.cfg's `become_password_file`.
pub fn become_options(args: &Args, config: &Config) -> Result<BecomeOptions, Failure> {
    let file = args
        .become_password_file
        .as_ref()
        .or(config.become_password_file.as_ref());
    let password = match (args.ask_become_pass || config.become_ask_pass, file) {
        (true, Some(_)) => {
            return Err(Failure::new(
                FailureClass::Options,
                "The password file and the password prompt (-K) are mutually exclusive",
            ));
        }
        (true, None) => Some(ask_password("BECOME password: ")?),
        (false, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::new(
                    FailureClass::Options,
                    format!(
                        "cannot read the become password file {}: {e}",
                        path.display()
                    ),
                )
            })?;
            Some(text.trim_end_matches(['\r', '\n']).to_string())
        }
        (false, None) => None,
    };
    Ok(BecomeOptions {
        enabled: args.become_ || config.become_,
        user: args
            .become_user
            .clone()
            .or_else(|| config.become_user.clone()),
        method: args
            .become_method
            .clone()
            .or_else(|| config.become_method.clone()),
        password,
    })
}

/// Reads a password from the terminal without echoing it; refused without a terminal.
fn ask_password(prompt: &str) -> Result<String, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            FailureClass::Options,
            "-K/--ask-become-pass needs a terminal to ask on; give the password with --become-password-file (or ansible_become_password) instead",
        ));
    }
    let stty = |setting: &str| {
        Command::new("stty")
            .arg(setting)
            .stdin(Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let silenced = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if silenced {
        stty("echo");
    }
    let _ = writeln!(stderr);
    read.map_err(|e| {
        Failure::new(
            FailureClass::General,
            format!("cannot read the password: {e}"),
        )
    })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::without_multiplexing;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn ssh_args_lose_only_the_multiplexing_options() {
        assert_eq!(
            without_multiplexing(words(
                "-C -o ControlMaster=auto -o ControlPersist=60s -oControlPath=/x -o ServerAliveInterval=30 -4"
            )),
            words("-C -o ServerAliveInterval=30 -4")
        );
        let spaced = vec![
            "-o".to_string(),
            "controlpersist 60s".to_string(),
            "-o".to_string(),
        ];
        assert_eq!(without_multiplexing(spaced), words("-o"));
    }
}
