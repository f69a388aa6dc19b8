//! `yum_repository`: one repository section of `<reposdir>/<file>.repo`, written as
//! ansible-core's module writes it through Python's `RawConfigParser`: the section is removed
//! and added again (so it moves to the end of the file) with every given option, sorted by
//! name (`description` as `name`, booleans as `0`/`1`, `baseurl`/`gpgkey` one per line,
//! `exclude`/`includepkgs` space-separated); a file left without sections is deleted.
//! `changed` and the diff compare Ansible's `dump` (sections and options sorted), so
//! re-ordering alone changes nothing. Common file arguments (`mode`, `owner`, `group`) apply
//! to the file afterwards. Result keys: `repo`, `state`, `diff`.

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::fs::{self, Attrs, Install, ProbeOutput, Source, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// Options written to the file as given (Ansible's `str` parameters).
const TEXT: &[&str] = &[
    "bandwidth",
    "cost",
    "deltarpm_metadata_percentage",
    "deltarpm_percentage",
    "failovermethod",
    "gpgcakey",
    "http_caching",
    "include",
    "ip_resolve",
    "keepcache",
    "metadata_expire",
    "metadata_expire_filter",
    "metalink",
    "mirrorlist",
    "mirrorlist_expire",
    "password",
    "priority",
    "proxy",
    "proxy_password",
    "proxy_username",
    "retries",
    "sslcacert",
    "sslclientcert",
    "sslclientkey",
    "throttle",
    "timeout",
    "ui_repoid_vars",
    "username",
];

/// Boolean options, written `0`/`1`.
const BOOLS: &[&str] = &[
    "async",
    "countme",
    "enabled",
    "enablegroups",
    "gpgcheck",
    "keepalive",
    "module_hotfixes",
    "protect",
    "repo_gpgcheck",
    "s3_enabled",
    "skip_if_unavailable",
    "ssl_check_cert_permissions",
    "sslverify",
];

const SPEC: [ArgSpec; 59] = fs::with_common([
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("description", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("file", ArgType::Str),
    ArgSpec::new("reposdir", ArgType::Path),
    ArgSpec::new("baseurl", ArgType::List),
    ArgSpec::new("gpgkey", ArgType::List),
    ArgSpec::new("exclude", ArgType::List).aliases(&["excludepkgs"]),
    ArgSpec::new("includepkgs", ArgType::List),
    ArgSpec::new("bandwidth", ArgType::Str),
    ArgSpec::new("cost", ArgType::Str),
    ArgSpec::new("deltarpm_metadata_percentage", ArgType::Str),
    ArgSpec::new("deltarpm_percentage", ArgType::Str),
    ArgSpec::new("failovermethod", ArgType::Str).choices(&["roundrobin", "priority"]),
    ArgSpec::new("gpgcakey", ArgType::Str),
    ArgSpec::new("http_caching", ArgType::Str).choices(&["all", "packages", "none"]),
    ArgSpec::new("include", ArgType::Str),
    ArgSpec::new("ip_resolve", ArgType::Str).choices(&["4", "6", "IPv4", "IPv6", "whatever"]),
    ArgSpec::new("keepcache", ArgType::Str).choices(&["0", "1"]),
    ArgSpec::new("metadata_expire", ArgType::Str),
    ArgSpec::new("metadata_expire_filter", ArgType::Str).choices(&[
        "never",
        "read-only:past",
        "read-only:present",
        "read-only:future",
    ]),
    ArgSpec::new("metalink", ArgType::Str),
    ArgSpec::new("mirrorlist", ArgType::Str),
    ArgSpec::new("mirrorlist_expire", ArgType::Str),
    ArgSpec::new("password", ArgType::Str),
    ArgSpec::new("priority", ArgType::Str),
    ArgSpec::new("proxy", ArgType::Str),
    ArgSpec::new("proxy_password", ArgType::Str),
    ArgSpec::new("proxy_username", ArgType::Str),
    ArgSpec::new("retries", ArgType::Str),
    ArgSpec::new("sslcacert", ArgType::Str).aliases(&["ca_cert"]),
    ArgSpec::new("sslclientcert", ArgType::Str).aliases(&["client_cert"]),
    ArgSpec::new("sslclientkey", ArgType::Str).aliases(&["client_key"]),
    ArgSpec::new("throttle", ArgType::Str),
    ArgSpec::new("timeout", ArgType::Str),
    ArgSpec::new("ui_repoid_vars", ArgType::Str),
    ArgSpec::new("username", ArgType::Str),
    ArgSpec::new("async", ArgType::Bool),
    ArgSpec::new("countme", ArgType::Bool),
    ArgSpec::new("enabled", ArgType::Bool),
    ArgSpec::new("enablegroups", ArgType::Bool),
    ArgSpec::new("gpgcheck", ArgType::Bool),
    ArgSpec::new("keepalive", ArgType::Bool),
    ArgSpec::new("module_hotfixes", ArgType::Bool),
    ArgSpec::new("protect", ArgType::Bool),
    ArgSpec::new("repo_gpgcheck", ArgType::Bool),
    ArgSpec::new("s3_enabled", ArgType::Bool),
    ArgSpec::new("skip_if_unavailable", ArgType::Bool),
    ArgSpec::new("ssl_check_cert_permissions", ArgType::Bool),
    ArgSpec::new("sslverify", ArgType::Bool).aliases(&["validate_certs"]),
]);

module!(
    /// The `yum_repository` module.
    pub YumRepository = "yum_repository", &SPEC, run
);

/// An INI file as Python's `RawConfigParser` reads it: sections in file order, options
/// (names lower-cased) in order, multi-line values joined with `\n`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Ini {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl Ini {
    /// Parses `text` (comment lines `#`/`;` and blank lines skipped, indented lines continue
    /// the previous value, `key = value` or `key: value`).
    fn parse(text: &str) -> Ini {
        let mut ini = Ini::default();
        let mut last_indent: Option<usize> = None;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let (Some(base), Some((_, options))) = (last_indent, ini.sections.last_mut())
                && indent > base
                && let Some((_, value)) = options.last_mut()
            {
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if let Some(name) = trimmed
                .strip_prefix('[')
                .and_then(|r| r.rfind(']').map(|i| &r[..i]))
            {
                ini.sections.retain(|(s, _)| s != name);
                ini.sections.push((name.to_string(), Vec::new()));
                last_indent = None;
                continue;
            }
            let Some(at) = trimmed.find(['=', ':']) else {
                continue;
            };
            let key = trimmed[..at].trim().to_lowercase();
            let value = trimmed[at + 1..].trim().to_string();
            if let Some((_, options)) = ini.sections.last_mut() {
                options.retain(|(k, _)| *k != key);
                options.push((key, value));
                last_indent = Some(indent);
            }
        }
        ini
    }

    /// The file as `RawConfigParser.write` writes it.
    fn write(&self) -> String {
        let mut out = String::new();
        for (name, options) in &self.sections {
            out.push_str(&format!("[{name}]\n"));
            for (key, value) in options {
                out.push_str(&format!("{key} = {}\n", value.replace('\n', "\n\t")));
            }
            out.push('\n');
        }
        out
    }

    /// Ansible's `dump`: sections and options sorted, `key = value` lines.
    fn dump(&self) -> String {
        let mut sections: Vec<&(String, Vec<(String, String)>)> = self.sections.iter().collect();
        sections.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::new();
        for (name, options) in sections {
            out.push_str(&format!("[{name}]\n"));
            let mut options: Vec<&(String, String)> = options.iter().collect();
            options.sort();
            for (key, value) in options {
                out.push_str(&format!("{key} = {value}\n"));
            }
            out.push('\n');
        }
        out
    }

    fn remove(&mut self, section: &str) {
        self.sections.retain(|(s, _)| s != section);
    }
}

/// The options Ansible writes for the task, sorted by name.
fn options(args: &Args) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(description) = args.str("description") {
        out.push(("name".into(), description.to_string()));
    }
    for (key, sep) in [
        ("baseurl", "\n"),
        ("gpgkey", "\n"),
        ("exclude", " "),
        ("includepkgs", " "),
    ] {
        if args.get(key).is_some() {
            out.push((key.into(), args.strings(key).join(sep)));
        }
    }
    for key in TEXT {
        if let Some(v) = args.str(key) {
            out.push(((*key).into(), v.to_string()));
        }
    }
    for key in BOOLS {
        if let Some(v) = args.get(key).and_then(Value::as_bool) {
            out.push(((*key).into(), if v { "1" } else { "0" }.into()));
        }
    }
    out.sort();
    out
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    if state == "present" {
        if ["baseurl", "mirrorlist", "metalink"]
            .iter()
            .all(|k| args.get(k).is_none())
        {
            return Ok(Outcome::failure(
                "state is present but any of the following are missing: baseurl, mirrorlist, metalink",
            ));
        }
        if args.get("description").is_none() {
            return Ok(Outcome::failure(
                "state is present but all of the following are missing: description",
            ));
        }
    }
    let reposdir = args.str("reposdir").unwrap_or("/etc/yum.repos.d");
    let file = args.str("file").unwrap_or(&name);
    let dest = format!("{}/{file}.repo", reposdir.trim_end_matches('/'));
    let attrs = Attrs::from_args(&args)?;
    let q = quote(&dest);
    let script = format!(
        "[ -d {} ] || {{ echo nodir; exit 0; }}; {}{}{}",
        quote(reposdir),
        fs::ids_snippet(&attrs),
        fs::probe_snippet(&q, Want::default()),
        fs::content_snippet(&q)
    );
    let out = target.run(&script, None, None).await?;
    if out.stdout_text().trim() == "nodir" {
        return Ok(Outcome::failure(format!(
            "Repo directory '{reposdir}' does not exist."
        )));
    }
    let probe = ProbeOutput::parse(&out.stdout);
    let before_text = probe
        .content
        .as_deref()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default();
    let mut ini = Ini::parse(&before_text);
    let before = ini.dump();
    ini.remove(&name);
    if state == "present" {
        ini.sections.push((name.clone(), options(&args)));
    }
    let after = ini.dump();
    let mut changed = before != after;
    let mut record = probe.first();
    if changed && !target.check_mode {
        if ini.sections.is_empty() {
            let out = target.run(&format!("rm -f -- {q}"), None, None).await?;
            if out.rc != 0 {
                return Ok(Outcome::failure(format!(
                    "Cannot remove empty repo file {dest}."
                )));
            }
            record = fs::Probe::default();
        } else {
            let perm = match record.followed() {
                Some(st) => st.perm(),
                None => 0o666 & !probe.umask,
            };
            let keep_owner = record.followed().map(|st| (st.uid, st.gid));
            let installed = fs::install(
                target,
                Install::new(
                    dest.clone(),
                    Source::Bytes(ini.write().into_bytes()),
                    perm,
                    keep_owner,
                ),
            )
            .await;
            record = match installed {
                Ok(installed) => installed.probe,
                Err(ModuleError::Failed(err)) => {
                    // Python's open() failing, as Ansible reports it.
                    let errno = if err.contains("Permission denied") {
                        "[Errno 13] Permission denied"
                    } else if err.contains("No such file") {
                        "[Errno 2] No such file or directory"
                    } else {
                        err.trim()
                    };
                    let details = format!("{errno}: '{dest}'");
                    let mut outcome = Outcome::failure(format!("Problems handling file '{dest}'."));
                    // The error headline joins the message and the exception's, as Ansible's
                    // error summary does.
                    let mut exception = Map::new();
                    exception.insert(
                        Value::from("msg"),
                        Value::from(format!("Problems handling file '{dest}': {details}")),
                    );
                    outcome
                        .set("details", details)
                        .set("exception", Value::map(exception));
                    return Ok(outcome);
                }
                Err(e) => return Err(e),
            };
        }
    }
    if attrs.any()
        && let Some(st) = record.followed()
    {
        let mut ignored = fs::Diff::default();
        let commands = attrs
            .plan(&dest, st, &probe, &mut ignored)
            .map_err(ModuleError::Failed)?;
        if !commands.is_empty() {
            changed = true;
            if !target.check_mode {
                let out = target.run(&commands.join(" && "), None, None).await?;
                if out.rc != 0 {
                    return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
                }
            }
        }
    }
    let mut outcome = Outcome::changed(changed);
    outcome.set("repo", name.as_str()).set("state", state);
    let mut diff = Map::new();
    for (k, v) in [
        ("before_header", dest.as_str()),
        ("before", before.as_str()),
        ("after_header", dest.as_str()),
        ("after", after.as_str()),
    ] {
        diff.insert(Value::from(k), Value::from(v));
    }
    outcome.diff = Some(Value::map(diff));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parser_round_trip() {
        let text = "# comment\n[b]\nName = B\nbaseurl = http://one\n  http://two\n\n[a]\nx: 1\n";
        let ini = Ini::parse(text);
        assert_eq!(
            ini.write(),
            "[b]\nname = B\nbaseurl = http://one\n\thttp://two\n\n[a]\nx = 1\n\n"
        );
        assert_eq!(
            ini.dump(),
            "[a]\nx = 1\n\n[b]\nbaseurl = http://one\nhttp://two\nname = B\n\n"
        );
        assert_eq!(Ini::parse(&ini.write()), ini);
    }
}
