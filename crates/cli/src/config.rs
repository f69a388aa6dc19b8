//! ansible.cfg: found where Ansible looks, read for the settings oxible supports.
//!
//! Search order, first found wins (Ansible's `find_ini_config_file`): `$ANSIBLE_CONFIG`,
//! `./ansible.cfg`, `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`. Environment variables
//! override the file, as in Ansible.

use std::path::{Path, PathBuf};

/// The settings oxible reads from ansible.cfg and the environment.
#[derive(Debug, Default)]
pub struct Config {
    /// `[defaults] inventory` / `ANSIBLE_INVENTORY`: comma-separated inventory sources
    /// (Ansible's default is `/etc/ansible/hosts`).
    pub inventory: Vec<String>,
    /// `[defaults] roles_path` / `ANSIBLE_ROLES_PATH`: colon-separated role directories.
    pub roles_path: Vec<PathBuf>,
    /// `[defaults] host_key_checking` / `ANSIBLE_HOST_KEY_CHECKING` (default true).
    pub host_key_checking: bool,
    /// `[defaults] timeout` / `ANSIBLE_TIMEOUT`: the connect timeout in seconds (default 10).
    pub timeout: u64,
    /// `[defaults] remote_user` / `ANSIBLE_REMOTE_USER`.
    pub remote_user: Option<String>,
    /// `[defaults] private_key_file` / `ANSIBLE_PRIVATE_KEY_FILE`.
    pub private_key_file: Option<PathBuf>,
    /// `[defaults] become_password_file` / `ANSIBLE_BECOME_PASSWORD_FILE`.
    pub become_password_file: Option<PathBuf>,
    /// `[defaults] force_handlers` / `ANSIBLE_FORCE_HANDLERS` (default false).
    pub force_handlers: bool,
    /// `[defaults] retry_files_enabled` / `ANSIBLE_RETRY_FILES_ENABLED` (default false).
    pub retry_files_enabled: bool,
    /// `[defaults] retry_files_save_path` / `ANSIBLE_RETRY_FILES_SAVE_PATH`.
    pub retry_files_save_path: Option<PathBuf>,
    /// `[defaults] forks` / `ANSIBLE_FORKS`, when set (`-f` wins over it).
    pub forks: Option<usize>,
    /// `[ssh_connection] ssh_args` / `ANSIBLE_SSH_ARGS`: the first ssh arguments.
    pub ssh_args: Option<String>,
    /// `[ssh_connection] ssh_common_args` / `ANSIBLE_SSH_COMMON_ARGS`.
    pub ssh_common_args: Option<String>,
    /// `[ssh_connection] ssh_extra_args` / `ANSIBLE_SSH_EXTRA_ARGS`.
    pub ssh_extra_args: Option<String>,
    /// `[privilege_escalation] become` / `ANSIBLE_BECOME` (default false).
    pub become_: bool,
    /// `[privilege_escalation] become_user` / `ANSIBLE_BECOME_USER`.
    pub become_user: Option<String>,
    /// `[privilege_escalation] become_method` / `ANSIBLE_BECOME_METHOD`.
    pub become_method: Option<String>,
    /// `[privilege_escalation] become_ask_pass` / `ANSIBLE_BECOME_ASK_PASS` (default false).
    pub become_ask_pass: bool,
    /// The configuration file read, if any (`-v` names it).
    pub file: Option<PathBuf>,
}

impl Config {
    /// Finds and reads the configuration file and environment.
    pub fn load() -> Self {
        let file = config_file();
        let (dir, text) = match &file {
            Some(path) => (
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
                std::fs::read_to_string(path).unwrap_or_default(),
            ),
            None => (PathBuf::new(), String::new()),
        };
        // The environment variable, else the key in its section of the file.
        let setting_in = |section: &str, env: &str, key: &str| -> Option<String> {
            std::env::var(env)
                .ok()
                .or_else(|| ini_value(&text, section, key))
        };
        let setting = |env: &str, key: &str| setting_in("defaults", env, key);
        let ssh = |env: &str, key: &str| setting_in("ssh_connection", env, key);
        let escalation = |env: &str, key: &str| setting_in("privilege_escalation", env, key);
        let inventory = setting("ANSIBLE_INVENTORY", "inventory")
            .map(|v| {
                v.split(',')
                    .map(|s| expand(s.trim(), &dir))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_else(|| vec!["/etc/ansible/hosts".to_string()]);
        let roles_path = setting("ANSIBLE_ROLES_PATH", "roles_path")
            .map(|v| {
                v.split(':')
                    .filter(|s| !s.is_empty())
                    .map(|s| PathBuf::from(expand(s, &dir)))
                    .collect()
            })
            .unwrap_or_else(default_roles_path);
        let boolean = |v: String| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "yes" | "true" | "on" | "y" | "t"
            )
        };
        Self {
            inventory,
            roles_path,
            host_key_checking: setting("ANSIBLE_HOST_KEY_CHECKING", "host_key_checking")
                .is_none_or(boolean),
            timeout: setting("ANSIBLE_TIMEOUT", "timeout")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(10),
            remote_user: setting("ANSIBLE_REMOTE_USER", "remote_user"),
            private_key_file: setting("ANSIBLE_PRIVATE_KEY_FILE", "private_key_file")
                .map(|v| PathBuf::from(expand(&v, &dir))),
            become_password_file: setting("ANSIBLE_BECOME_PASSWORD_FILE", "become_password_file")
                .map(|v| PathBuf::from(expand(&v, &dir))),
            force_handlers: setting("ANSIBLE_FORCE_HANDLERS", "force_handlers")
                .is_some_and(boolean),
            retry_files_enabled: setting("ANSIBLE_RETRY_FILES_ENABLED", "retry_files_enabled")
                .is_some_and(boolean),
            retry_files_save_path: setting(
                "ANSIBLE_RETRY_FILES_SAVE_PATH",
                "retry_files_save_path",
            )
            .map(|v| PathBuf::from(expand(&v, &dir))),
            forks: setting("ANSIBLE_FORKS", "forks").and_then(|v| v.trim().parse().ok()),
            ssh_args: ssh("ANSIBLE_SSH_ARGS", "ssh_args"),
            ssh_common_args: ssh("ANSIBLE_SSH_COMMON_ARGS", "ssh_common_args"),
            ssh_extra_args: ssh("ANSIBLE_SSH_EXTRA_ARGS", "ssh_extra_args"),
            become_: escalation("ANSIBLE_BECOME", "become").is_some_and(boolean),
            become_user: escalation("ANSIBLE_BECOME_USER", "become_user"),
            become_method: escalation("ANSIBLE_BECOME_METHOD", "become_method"),
            become_ask_pass: escalation("ANSIBLE_BECOME_ASK_PASS", "become_ask_pass")
                .is_some_and(boolean),
            file,
        }
    }
}

/// Ansible's default `roles_path` after the playbook's own `roles/`.
fn default_roles_path() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(Path::new(&home).join(".ansible/roles"));
    }
    paths.push(PathBuf::from("/usr/share/ansible/roles"));
    paths.push(PathBuf::from("/etc/ansible/roles"));
    paths
}

fn config_file() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("ANSIBLE_CONFIG") {
        let path = PathBuf::from(path);
        candidates.push(if path.is_dir() {
            path.join("ansible.cfg")
        } else {
            path
        });
    }
    candidates.push(PathBuf::from("ansible.cfg"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".ansible.cfg"));
    }
    candidates.push(PathBuf::from("/etc/ansible/ansible.cfg"));
    candidates.into_iter().find(|p| p.is_file())
}

/// `~` expansion, and relative paths taken from the config file's directory as Ansible does
/// for path-typed settings.
fn expand(value: &str, base: &Path) -> String {
    let expanded = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(value),
    };
    if expanded.is_relative() && !value.contains(',') && base.join(&expanded).exists() {
        base.join(expanded).display().to_string()
    } else {
        expanded.display().to_string()
    }
}

/// The value of `key` in `[section]` of INI text (`key = value` or `key: value`).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if current != section {
            continue;
        }
        if let Some((k, v)) = line.split_once(['=', ':'])
            && k.trim() == key
        {
            found = Some(v.trim().to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys_of_the_right_section() {
        let text = "[ssh_connection]\ninventory = no\n[defaults]\n# comment\ninventory = hosts.ini\nroles_path: ./roles:/x\n";
        assert_eq!(
            ini_value(text, "defaults", "inventory").as_deref(),
            Some("hosts.ini")
        );
        assert_eq!(
            ini_value(text, "defaults", "roles_path").as_deref(),
            Some("./roles:/x")
        );
        assert_eq!(ini_value(text, "defaults", "forks"), None);
    }
}
