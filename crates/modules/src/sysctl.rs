//! `sysctl` (ansible.posix): a kernel parameter set in a sysctl file (`sysctl_file`, default
//! `/etc/sysctl.conf`) and optionally in the running kernel, as ansible.posix's Linux path does:
//! the file is rewritten with every `key=value` line normalised (spaces around `=` dropped,
//! later duplicates removed), the parameter's line replaced or appended (or dropped for
//! `state: absent`); `sysctl_set` writes `/proc/sys` through `sysctl -w`, `reload` runs
//! `sysctl -p <file>` after a change (`ignoreerrors` adds `-e`). Result: `changed` only.

use oxible_shell::quote;
use oxible_yaml::ValueKind;

use crate::system::{probe, section, write_stdin};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str)
        .required()
        .aliases(&["key"]),
    ArgSpec::new("value", ArgType::Raw).aliases(&["val"]),
    ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]),
    ArgSpec::new("reload", ArgType::Bool),
    ArgSpec::new("sysctl_set", ArgType::Bool),
    ArgSpec::new("ignoreerrors", ArgType::Bool),
    ArgSpec::new("sysctl_file", ArgType::Path),
];

module!(
    /// The `sysctl` module (`ansible.posix.sysctl`).
    pub Sysctl = "sysctl", SPEC, run
);

/// The value as the module compares and writes it: booleans (and their spellings) as `1`/`0`,
/// other text stripped.
fn parse_value(args: &Args) -> Option<String> {
    let value = args.get("value")?;
    Some(match &value.kind {
        ValueKind::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        _ => {
            let text = value.py_str();
            match text.to_lowercase().as_str() {
                "y" | "yes" | "on" | "1" | "true" | "t" => "1".to_string(),
                "n" | "no" | "off" | "0" | "false" | "f" => "0".to_string(),
                _ => text.trim().to_string(),
            }
        }
    })
}

/// Whether a line holds a setting (not blank, not a `#`/`;` comment, has `=`).
fn setting(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with(['#', ';']) {
        return None;
    }
    line.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
}

/// The file's value of `name` (the last one), and its new lines.
fn fix_lines(text: &str, name: &str, value: Option<&str>) -> (Option<String>, Vec<String>) {
    let mut current = None;
    let mut seen: Vec<&str> = Vec::new();
    let mut lines = Vec::new();
    for line in text.lines() {
        let Some((k, v)) = setting(line) else {
            lines.push(line.trim().to_string());
            continue;
        };
        if k == name {
            current = Some(v.to_string());
        }
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        if k == name {
            if let Some(value) = value {
                lines.push(format!("{k}={value}"));
            }
        } else {
            lines.push(format!("{k}={v}"));
        }
    }
    if !seen.contains(&name)
        && let Some(value) = value
    {
        lines.push(format!("{name}={value}"));
    }
    (current, lines)
}

/// Ansible's `_values_is_equal`: the same words in the same order.
fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().trim().to_string();
    let present = args.str("state") != Some("absent");
    let value = parse_value(&args);
    if name.is_empty() {
        return Ok(Outcome::failure("name cannot be blank"));
    }
    let value = match (present, value) {
        (true, None) => {
            return Ok(Outcome::failure(
                "state is present but all of the following are missing: value",
            ));
        }
        (true, Some(v)) if v.is_empty() => return Ok(Outcome::failure("value cannot be blank")),
        (_, v) => v.unwrap_or_default(),
    };
    let file = args
        .str("sysctl_file")
        .unwrap_or("/etc/sysctl.conf")
        .to_string();
    let reload = args.bool("reload", true);
    let set = args.bool("sysctl_set", false);
    let ignore = args.bool("ignoreerrors", false);

    let script = format!(
        "{}{}{}",
        section(
            "PROC",
            &format!(
                "LANG=C LC_ALL=C sysctl -e -n {} 2>/dev/null || echo @@none",
                quote(&name)
            )
        ),
        section(
            "FILE",
            &format!("f={}; [ -f \"$f\" ] && cat \"$f\"", quote(&file))
        ),
        section(
            "REAL",
            &format!("readlink -f {q} || echo {q}", q = quote(&file))
        )
    );
    let found = probe(target, &script).await?;
    let proc_value = found
        .get("PROC")
        .filter(|v| v.trim_end() != "@@none")
        .cloned();
    let text = found.get("FILE").cloned().unwrap_or_default();
    let (current, lines) = fix_lines(&text, &name, present.then_some(value.as_str()));

    let mut changed = false;
    let mut write_file = false;
    let mut set_proc = false;
    match (&current, present) {
        (None, true) => (changed, write_file) = (true, true),
        (None, false) => {}
        (Some(v), false) if !v.is_empty() => (changed, write_file) = (true, true),
        (Some(v), _) if *v != value => (changed, write_file) = (true, true),
        _ if reload => {
            changed = proc_value.as_deref().is_none_or(|p| !same_words(p, &value));
        }
        _ => {}
    }
    if set && present {
        match &proc_value {
            None => changed = true,
            Some(p) if !same_words(p, &value) => (changed, set_proc) = (true, true),
            _ => {}
        }
    }
    if target.check_mode || !(set_proc || write_file || (changed && reload)) {
        return Ok(Outcome::changed(changed));
    }
    let e = if ignore { "-e " } else { "" };
    // A sysctl command whose failure (exit code, or the errors Ansible looks for in its
    // output) fails the module with `prefix` and the output, trailing newline kept.
    let checked = |cmd: String, prefix: String| {
        format!(
            "out=$(LANG=C LC_ALL=C {cmd} 2>&1; echo \"x$?\"); rc=${{out##*x}}; out=${{out%x*}}\n\
             if [ \"$rc\" -ne 0 ] || printf '%s\\n' \"$out\" | grep -Eq \
             '^sysctl: setting key \"[^\"]+\": (Invalid argument|Read-only file system)$'; then \
             printf '%s%s' {} \"$out\" >&2; exit 1; fi\n",
            quote(&prefix)
        )
    };
    let mut script = String::new();
    if set_proc {
        // Ansible quotes the value inside a command string that is split shell-style again,
        // so sysctl gets `name=value` as one word.
        script.push_str(&checked(
            format!("sysctl {e}-w {}", quote(&format!("{name}={value}"))),
            format!("setting {name} failed: "),
        ));
    }
    let mut stdin = None;
    if write_file {
        let content: String = lines.iter().map(|l| format!("{}\n", l.trim())).collect();
        let real = found
            .get("REAL")
            .map(|r| r.trim_end_matches('\n'))
            .filter(|r| !r.is_empty())
            .unwrap_or(&file);
        script.push_str(&write_stdin(real, "644"));
        stdin = Some(content.into_bytes());
    }
    if changed && reload {
        script.push_str(&checked(
            format!("sysctl {e}-p {}", quote(&file)),
            "Failed to reload sysctl: ".to_string(),
        ));
    }
    let out = target.run(&script, None, stdin).await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(out.stderr_text()));
    }
    Ok(Outcome::changed(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_normalised_and_the_key_replaced() {
        let text = "# comment\n a = 1 \nvm.swappiness = 10\na=2\n\n";
        let (cur, lines) = fix_lines(text, "vm.swappiness", Some("5"));
        assert_eq!(cur.as_deref(), Some("10"));
        assert_eq!(lines, ["# comment", "a=1", "vm.swappiness=5", ""]);
        let (_, lines) = fix_lines(text, "vm.swappiness", None);
        assert_eq!(lines, ["# comment", "a=1", ""]);
        let (cur, lines) = fix_lines("", "x", Some("1"));
        assert_eq!((cur, lines), (None, vec!["x=1".to_string()]));
    }

    #[test]
    fn values_compare_by_words() {
        assert!(same_words("4096\t87380  6291456\n", "4096 87380 6291456"));
        assert!(!same_words("1", "0"));
    }
}
