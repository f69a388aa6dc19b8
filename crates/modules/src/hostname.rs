//! `hostname`: the host's name, current and permanent, as ansible-core's Linux strategies set
//! it: `hostnamectl` when systemd runs the host (or `use: systemd`/`debian`), else by the
//! distribution: `/etc/hostname` (Debian and most others; the running name is left alone, as
//! Ansible's file strategy does), `/etc/sysconfig/network` (Red Hat family), `/etc/HOSTNAME`
//! (SLES), `/etc/conf.d/hostname` (Gentoo/OpenRC), `/etc/hostname` plus `hostname -F`
//! (Alpine). Files are written in place, since containers bind-mount `/etc/hostname`. Result
//! keys: `name`, `ansible_facts` (`ansible_hostname`, `ansible_nodename`, `ansible_fqdn`,
//! `ansible_domain`), and a `hostname = …` diff when it changed.

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::system::{probe, section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("use", ArgType::Str).choices(&[
        "alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin", "openbsd", "openrc",
        "redhat", "sles", "solaris", "systemd",
    ]),
];

module!(
    /// The `hostname` module.
    pub Hostname = "hostname", SPEC, run
);

/// How the name is read and written (Ansible's strategy classes that run on Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Systemd,
    /// The permanent name in this file (whole file), the running name not touched.
    File(&'static str),
    /// `/etc/hostname`, then `hostname -F` for the running name.
    Alpine,
    /// `HOSTNAME=` in `/etc/sysconfig/network`.
    RedHat,
    /// `hostname="…"` in `/etc/conf.d/hostname`.
    OpenRc,
}

/// The strategy for the `use` argument or, without it, for the probed host.
fn strategy(use_: Option<&str>, systemd: bool, distro: &str) -> Result<Strategy, String> {
    Ok(match use_ {
        Some("debian" | "systemd") => Strategy::Systemd,
        Some("alpine") => Strategy::Alpine,
        Some("redhat") => Strategy::RedHat,
        Some("openrc") => Strategy::OpenRc,
        Some("sles") => Strategy::File("/etc/HOSTNAME"),
        Some(other) => {
            return Err(format!(
                "oxible's hostname module does not implement the '{other}' strategy on Linux"
            ));
        }
        None if systemd => Strategy::Systemd,
        None => match distro {
            "rhel" | "centos" | "rocky" | "almalinux" | "ol" | "amzn" | "scientific"
            | "cloudlinux" | "virtuozzo" | "anolis" | "alinux" | "eurolinux" => Strategy::RedHat,
            "sles" | "sled" | "opensuse-leap" => Strategy::File("/etc/HOSTNAME"),
            "gentoo" => Strategy::OpenRc,
            "alpine" => Strategy::Alpine,
            _ => Strategy::File("/etc/hostname"),
        },
    })
}

/// A shell snippet printing the (current, permanent) names on two lines.
fn read_snippet(s: Strategy) -> &'static str {
    match s {
        Strategy::Systemd => {
            "hostnamectl --transient status || echo @@fail; hostnamectl --static status || echo @@fail"
        }
        Strategy::File("/etc/HOSTNAME") => {
            "for i in 1 2; do [ -f /etc/HOSTNAME ] && sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' /etc/HOSTNAME | tr -d '\\n'; echo; done"
        }
        Strategy::File(_) | Strategy::Alpine => {
            "for i in 1 2; do [ -f /etc/hostname ] && sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' /etc/hostname | tr -d '\\n'; echo; done"
        }
        Strategy::RedHat => {
            "for i in 1 2; do sed -n 's/^[[:space:]]*HOSTNAME[^=]*=[[:space:]]*//p' /etc/sysconfig/network 2>/dev/null | head -1 | sed 's/[[:space:]]*$//' | tr -d '\\n'; echo; done"
        }
        Strategy::OpenRc => {
            "for i in 1 2; do sed -n 's/^[[:space:]]*hostname=//p' /etc/conf.d/hostname 2>/dev/null | head -1 | sed -e 's/[[:space:]]*$//' -e 's/^\"//' -e 's/\"$//' | tr -d '\\n'; echo; done"
        }
    }
}

/// The shell commands setting the (current, permanent) name.
fn write_snippets(s: Strategy, name: &str) -> (String, String) {
    let q = quote(name);
    match s {
        Strategy::Systemd => (
            format!("hostnamectl --transient set-hostname {q}"),
            format!("hostnamectl --pretty --static set-hostname {q}"),
        ),
        Strategy::File(file) => (String::new(), format!("printf '%s\\n' {q} >{file}")),
        Strategy::Alpine => (
            "hostname -F /etc/hostname".to_string(),
            format!("printf '%s\\n' {q} >/etc/hostname"),
        ),
        Strategy::RedHat => (
            String::new(),
            format!(
                "f=/etc/sysconfig/network; if grep -q '^[[:space:]]*HOSTNAME' \"$f\" 2>/dev/null; then \
                 sed -i \"s/^[[:space:]]*HOSTNAME.*/HOSTNAME=$(printf '%s' {q} | sed 's/[\\/&]/\\\\&/g')/\" \"$f\"; \
                 else printf 'HOSTNAME=%s\\n' {q} >>\"$f\"; fi"
            ),
        ),
        Strategy::OpenRc => (
            String::new(),
            format!(
                "f=/etc/conf.d/hostname; sed -i \"0,/^[[:space:]]*hostname=.*/s//hostname=\\\"$(printf '%s' {q} | sed 's/[\\/&]/\\\\&/g')\\\"/\" \"$f\""
            ),
        ),
    }
}

/// The probe section holding a strategy's two names.
fn section_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Systemd => "SYSTEMD_NAMES",
        Strategy::File("/etc/HOSTNAME") => "SLES",
        Strategy::File(_) | Strategy::Alpine => "FILE",
        Strategy::RedHat => "REDHAT",
        Strategy::OpenRc => "OPENRC",
    }
}

/// What [`fqdn`] reads: the kernel's name and its `getent hosts` line.
const FQDN_PROBE: &str = "h=$(uname -n); getent hosts \"$h\" | head -1; echo \"@@$h\"";

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().to_string();
    // One probe: whether systemd runs the host, the distribution, the names every strategy
    // would read, and the kernel's name for the fqdn.
    let mut script = section(
        "SYSTEMD",
        "command -v systemctl >/dev/null && for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e $c ] && echo yes && break; done",
    );
    script.push_str(&section(
        "ID",
        ". /etc/os-release 2>/dev/null; echo \"$ID\"",
    ));
    script.push_str(&section("FQDN", FQDN_PROBE));
    script.push_str(&section(
        "SYSTEMD_NAMES",
        &format!(
            "if command -v hostnamectl >/dev/null; then {}; else echo @@missing; fi",
            read_snippet(Strategy::Systemd)
        ),
    ));
    for s in [
        Strategy::File("/etc/HOSTNAME"),
        Strategy::File("/etc/hostname"),
        Strategy::RedHat,
        Strategy::OpenRc,
    ] {
        script.push_str(&section(section_name(s), read_snippet(s)));
    }
    let found = probe(target, &script).await?;
    let systemd = found.get("SYSTEMD").is_some_and(|s| s.contains("yes"));
    let distro = found.get("ID").map(|s| s.trim()).unwrap_or_default();
    let s = match strategy(args.str("use"), systemd, distro) {
        Ok(s) => s,
        // Ansible's generic strategy raises NotImplementedError: a failure without a message.
        Err(_) if args.str("use") == Some("generic") => {
            let mut outcome = Outcome::failure("Task failed: Module failed.");
            let mut exception = Map::new();
            exception.insert(Value::from("msg"), Value::from(""));
            outcome.set("exception", Value::map(exception));
            return Ok(outcome);
        }
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let names = found.get(section_name(s)).cloned().unwrap_or_default();
    if names.contains("@@missing") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"hostnamectl\" in paths: \
             /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ));
    }
    if names.contains("@@fail") {
        return Ok(Outcome::failure(format!(
            "Command failed rc=1, out=, err={}",
            names.trim()
        )));
    }
    let mut lines = names.lines().map(str::trim);
    let (current, permanent) = (
        lines.next().unwrap_or_default().to_string(),
        lines.next().unwrap_or_default().to_string(),
    );
    let (set_current, set_permanent) = write_snippets(s, &name);
    let mut script = String::new();
    let mut changed = false;
    // systemd sets the permanent name, then the running one; the file strategies have no
    // running name of their own (it is the file's), so both steps follow the file.
    let steps = match s {
        Strategy::Systemd => vec![(&permanent, set_permanent), (&current, set_current)],
        _ => vec![(&permanent, set_current), (&permanent, set_permanent)],
    };
    for (have, cmd) in steps {
        if *have != name {
            changed = true;
            if !cmd.is_empty() {
                script.push_str(&format!("{cmd} || exit 1\n"));
            }
        }
    }
    // Ansible's facts name the fqdn of the kernel's name once the module has set it.
    let mut fqdn_probe = found.get("FQDN").cloned().unwrap_or_default();
    if changed && !target.check_mode && !script.is_empty() {
        script.push_str(&section("FQDN", FQDN_PROBE));
        // Ansible's systemd strategy refuses the name as it is about to set it (not in check
        // mode, not when nothing changes).
        if s == Strategy::Systemd && name.len() > 64 {
            return Ok(Outcome::failure(
                "name cannot be longer than 64 characters on systemd servers, try a shorter name",
            ));
        }
        let out = target.run(&script, None, None).await?;
        if out.rc != 0 {
            return Ok(Outcome::failure(format!(
                "Command failed rc={}, out={}, err={}",
                out.rc,
                out.stdout_text(),
                out.stderr_text()
            )));
        }
        if let Some(after) = sections(&out.stdout_text()).remove("FQDN") {
            fqdn_probe = after;
        }
    }
    let before = if name != current {
        &current
    } else {
        &permanent
    };
    let mut outcome = Outcome::changed(changed);
    outcome.set("name", name.as_str());
    let fqdn = fqdn(&fqdn_probe);
    let mut facts = Map::new();
    for (key, value) in [
        (
            "ansible_hostname",
            name.split('.').next().unwrap_or_default().to_string(),
        ),
        ("ansible_nodename", name.clone()),
        ("ansible_fqdn", fqdn.clone()),
        (
            "ansible_domain",
            fqdn.split('.').skip(1).collect::<Vec<_>>().join("."),
        ),
    ] {
        facts.insert(Value::from(key), Value::from(value));
    }
    outcome.set("ansible_facts", Value::map(facts));
    if changed {
        let mut diff = Map::new();
        diff.insert(
            Value::from("after"),
            Value::from(format!("hostname = {name}\n")),
        );
        diff.insert(
            Value::from("before"),
            Value::from(format!("hostname = {before}\n")),
        );
        outcome.diff = Some(Value::map(diff));
    }
    Ok(outcome)
}

/// Python's `socket.getfqdn()` from `getent hosts <name>` output and the kernel's name
/// (after `@@`): the first of the entry's names with a dot, else the kernel's name.
fn fqdn(probe: &str) -> String {
    let kernel = probe
        .lines()
        .find_map(|l| l.strip_prefix("@@"))
        .unwrap_or_default()
        .to_string();
    probe
        .lines()
        .find(|l| !l.starts_with("@@"))
        .and_then(|entry| {
            let names: Vec<&str> = entry.split_whitespace().skip(1).collect();
            names
                .iter()
                .find(|n| n.contains('.'))
                .or(names.first())
                .map(|n| n.to_string())
        })
        .unwrap_or(kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_follow_use_then_systemd_then_the_distribution() {
        assert_eq!(
            strategy(Some("debian"), false, "debian"),
            Ok(Strategy::Systemd)
        );
        assert_eq!(strategy(None, true, "debian"), Ok(Strategy::Systemd));
        assert_eq!(
            strategy(None, false, "debian"),
            Ok(Strategy::File("/etc/hostname"))
        );
        assert_eq!(strategy(None, false, "rocky"), Ok(Strategy::RedHat));
        assert!(strategy(Some("freebsd"), false, "debian").is_err());
    }

    #[test]
    fn fqdn_prefers_a_dotted_name() {
        assert_eq!(
            fqdn("10.0.0.1 web web.example.org\n@@web\n"),
            "web.example.org"
        );
        assert_eq!(fqdn("@@box\n"), "box");
    }
}
