//! `apt`: Debian packages through `apt-get`, as Ansible's apt module decides (without
//! python3-apt on the target).
//!
//! One probe reads what Ansible reads from python-apt's cache: `dpkg-query` for what is
//! installed, `apt-cache policy` for the candidate and every available version, `apt-mark
//! showauto` for automatically installed packages, the cache's mtime (refreshed first in the
//! same command when `update_cache`/`cache_valid_time` ask). The module then decides exactly as
//! Ansible's (version pins `name=1.2*` match with fnmatch, `name>=1.2` compare as Debian
//! versions) and runs the same `apt-get` command line, `--simulate` in check mode, so `changed`
//! and the messages are Ansible's. apt-get itself waits for the dpkg lock (`lock_timeout`).

use oxible_yaml::{Map, Value};

use crate::pkg::{self, APT_ENV, deb_cmp, set_output, texts};
use crate::setup::sections;
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

pub(crate) const SPEC: &[ArgSpec] = &[
    ArgSpec::new("package", ArgType::List).aliases(&["pkg", "name"]),
    ArgSpec::new("state", ArgType::Str).choices(&[
        "absent",
        "build-dep",
        "fixed",
        "latest",
        "present",
    ]),
    ArgSpec::new("update_cache", ArgType::Bool).aliases(&["update-cache"]),
    ArgSpec::new("update_cache_retries", ArgType::Int),
    ArgSpec::new("update_cache_retry_max_delay", ArgType::Int),
    ArgSpec::new("cache_valid_time", ArgType::Int),
    ArgSpec::new("purge", ArgType::Bool),
    ArgSpec::new("deb", ArgType::Path),
    ArgSpec::new("default_release", ArgType::Str).aliases(&["default-release"]),
    ArgSpec::new("install_recommends", ArgType::Bool).aliases(&["install-recommends"]),
    ArgSpec::new("force", ArgType::Bool),
    ArgSpec::new("upgrade", ArgType::Str).choices(&["dist", "full", "no", "safe", "yes"]),
    ArgSpec::new("dpkg_options", ArgType::Str),
    ArgSpec::new("autoremove", ArgType::Bool),
    ArgSpec::new("autoclean", ArgType::Bool),
    ArgSpec::new("fail_on_autoremove", ArgType::Bool),
    ArgSpec::new("only_upgrade", ArgType::Bool),
    // oxible always uses apt-get (Ansible prefers aptitude for upgrades when installed).
    ArgSpec::new("force_apt_get", ArgType::Bool),
    ArgSpec::new("allow_unauthenticated", ArgType::Bool).aliases(&["allow-unauthenticated"]),
    ArgSpec::new("allow_downgrade", ArgType::Bool).aliases(&[
        "allow-downgrade",
        "allow_downgrades",
        "allow-downgrades",
    ]),
    ArgSpec::new("allow_change_held_packages", ArgType::Bool),
    ArgSpec::new("lock_timeout", ArgType::Int),
    // oxible needs no python3-apt on the target: accepted, nothing to install.
    ArgSpec::new("auto_install_module_deps", ArgType::Bool),
];

module!(
    /// The `apt` module.
    pub Apt = "apt", SPEC, run
);

/// Where Ansible finds apt-get and apt-mark (`get_bin_path`), as its messages name them.
const APT_GET: &str = "/usr/bin/apt-get";
const APT_MARK: &str = "/usr/bin/apt-mark";

/// What the target's package database says of one package.
#[derive(Debug, Default, Clone)]
struct Status {
    /// dpkg's current state is `installed`.
    installed: bool,
    /// Installed, or removed with its configuration files left (purge has work to do).
    has_files: bool,
    /// The installed version.
    version: Option<String>,
    /// apt's candidate.
    candidate: Option<String>,
    /// Every version apt knows (installed one included).
    versions: Vec<String>,
    /// apt knows the name with versions, or it is installed.
    known: bool,
    /// Some package provides the name (`apt-cache showpkg`'s `Reverse Provides`): without
    /// versions of its own it is a virtual package apt can satisfy.
    provided: bool,
    /// Marked as automatically installed.
    auto: bool,
}

/// What can be installed for a package spec (Ansible's `version_installable`).
#[derive(Debug, PartialEq)]
enum Installable {
    None,
    /// A virtual package: let apt choose.
    Any,
    Version(String),
}

/// The parsed task, shared by every path.
struct Job<'a> {
    target: &'a Target,
    args: &'a Args,
    /// `-o "Dpkg::Options::=--force-confdef" … -o DPkg::Lock::Timeout=60`.
    dpkg_options: String,
    check_arg: &'static str,
}

impl Job<'_> {
    fn flag(&self, name: &str, text: &'static str) -> &'static str {
        if self.args.bool(name, false) {
            text
        } else {
            ""
        }
    }

    /// Runs `cmd` under apt's environment; `then` runs after it succeeds.
    async fn apt(&self, cmd: &str, then: &str) -> Result<(i32, String, String), ModuleError> {
        let script = format!("{APT_ENV}{cmd}\nrc=$?\n[ $rc -ne 0 ] || {{ {then} :; }}\nexit $rc");
        let out = self.target.run(&script, None, None).await?;
        let (stdout, stderr) = texts(&out);
        Ok((out.rc, stdout, stderr))
    }

    /// `diff` as Ansible's `parse_diff` (when asked, or `always`), else `{}`.
    fn diff(&self, out: &str, always: bool) -> Value {
        let mut map = Map::new();
        if self.target.diff || always {
            let lines: Vec<&str> = out.lines().collect();
            let start = lines
                .iter()
                .position(|l| *l == "Reading state information...")
                .map_or(0, |i| i + 1);
            let end = lines
                .iter()
                .position(|l| upgraded_line(l))
                .map_or(lines.len(), |i| i + 1);
            let text = lines
                .get(start..end.max(start))
                .unwrap_or_default()
                .join("\n");
            map.insert(Value::from("prepared"), Value::from(text));
        }
        Value::map(map)
    }

    /// A finished apt-get run as Ansible's result: `changed`, stdout/stderr, diff.
    fn result(&self, changed: bool, stdout: &str, stderr: &str) -> Outcome {
        let mut outcome = Outcome::changed(changed);
        set_output(&mut outcome, stdout, stderr);
        outcome.diff = Some(self.diff(stdout, false));
        outcome
    }
}

/// `0 upgraded, …` / `12 packages upgraded, …`: where apt-get's plan ends.
fn upgraded_line(line: &str) -> bool {
    let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.len() < line.len()
        && (rest.starts_with(" upgraded") || rest.starts_with(" packages upgraded"))
}

/// Whether a package name is a pattern (none of these characters is valid in a name).
fn is_glob(name: &str) -> bool {
    name.contains(['*', '?', '[', ']', '!'])
}

/// Ansible's `expand_dpkg_options`.
fn expand_dpkg_options(compressed: &str) -> String {
    compressed
        .split(',')
        .map(|o| format!("-o \"Dpkg::Options::=--{o}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A package spec quoted as Ansible writes it into apt-get's command line (`'name=1.0'`).
fn sq(word: &str) -> String {
    if word.contains('\'') {
        oxible_shell::quote(word)
    } else {
        format!("'{word}'")
    }
}

/// `name`, `name=1.2*`, `name>=1.2` split as Ansible's `package_split`.
fn split_spec(spec: &str) -> (&str, Option<&'static str>, Option<&str>) {
    if let Some(i) = spec.find('=') {
        if i > 0 && spec.as_bytes()[i - 1] == b'>' {
            return (&spec[..i - 1], Some(">="), Some(&spec[i + 1..]));
        }
        return (&spec[..i], Some("="), Some(&spec[i + 1..]));
    }
    (spec, None, None)
}

pub(crate) async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["deb", "package", "upgrade"])?;
    let wanted = ["autoremove", "deb", "package", "update_cache", "upgrade"];
    if wanted.iter().all(|n| args.get(n).is_none()) {
        return Err(ModuleError::Args(format!(
            "one of the following is required: {}",
            wanted.join(", ")
        )));
    }
    let job = Job {
        target,
        args: &args,
        dpkg_options: format!(
            "{} -o DPkg::Lock::Timeout={}",
            expand_dpkg_options(
                args.str("dpkg_options")
                    .unwrap_or("force-confdef,force-confold")
            ),
            args.int("lock_timeout").unwrap_or(60)
        ),
        check_arg: if target.check_mode { "--simulate" } else { "" },
    };
    let unfiltered: Vec<String> = args.strings("package");
    let packages: Vec<String> = unfiltered
        .iter()
        .filter(|p| *p != "*")
        .map(|p| p.trim().to_string())
        .collect();
    let wildcard = packages.iter().any(|p| is_glob(split_spec(p).0));
    let probed_names: Vec<&str> = if wildcard {
        Vec::new()
    } else {
        packages.iter().map(|p| split_spec(p).0).collect()
    };
    let text = probe(&job, &probed_names, true, wildcard).await?;
    let secs = sections(&text);
    if let Some(err) = secs.get("updatefail") {
        return Ok(Outcome::failure(format!(
            "Failed to update apt cache after {} retries: {err}",
            args.int("update_cache_retries").unwrap_or(5)
        )));
    }
    let mut cache = secs.get("cache").map(|c| c.split_whitespace());
    let mut field = || {
        cache
            .as_mut()
            .and_then(Iterator::next)
            .and_then(|w| w.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let (before, after, attempted) = (field(), field(), field() == 1);
    let cache_updated = attempted && (target.check_mode || before != after);
    let cache_time = if attempted { after } else { before };
    let upgrade = args.str("upgrade").filter(|u| *u != "no");
    let refresh =
        args.bool("update_cache", false) || args.int("cache_valid_time").unwrap_or(0) != 0;
    if refresh && unfiltered.is_empty() && upgrade.is_none() && args.get("deb").is_none() {
        let mut outcome = Outcome::changed(cache_updated);
        outcome
            .set("cache_updated", cache_updated)
            .set("cache_update_time", cache_time);
        return Ok(outcome);
    }
    if let Some(mode) = upgrade {
        return upgrade_all(&job, mode).await;
    }
    if let Some(deb) = args.str("deb") {
        if args.str("state").is_some_and(|s| s != "present") {
            return Ok(Outcome::failure("deb only supports state=present"));
        }
        return install_deb(&job, deb).await;
    }
    let state = args.str("state").unwrap_or("present");
    if state == "latest" && unfiltered.iter().any(|p| p == "*") {
        if !packages.is_empty() {
            return Ok(Outcome::failure(
                "unable to install additional packages when upgrading all installed packages",
            ));
        }
        return upgrade_all(&job, "yes").await;
    }
    if let Some(bad) = packages.iter().find(|p| p.matches('=').count() > 1) {
        return Ok(Outcome::failure(format!("invalid package spec: {bad}")));
    }
    if packages.is_empty() {
        for (name, op, marker) in [
            ("autoclean", "autoclean", "Del "),
            (
                "autoremove",
                "autoremove",
                "The following packages will be REMOVED",
            ),
        ] {
            if args.bool(name, false) {
                return cleanup(&job, op, marker).await;
            }
        }
    }
    let (specs, secs) = if wildcard {
        let expanded = expand(&packages, secs.get("pkgnames").map_or("", String::as_str))
            .map_err(ModuleError::Failed)?;
        let names: Vec<&str> = expanded.iter().map(|p| split_spec(p).0).collect();
        let text = probe(&job, &names, false, false).await?;
        (expanded, parse_probe(&sections(&text)))
    } else {
        (packages, parse_probe(&secs))
    };
    let mut outcome = if state == "absent" {
        return remove(&job, &specs, &secs).await;
    } else {
        install(&job, &specs, &secs, state).await?
    };
    outcome
        .set("cache_updated", cache_updated)
        .set("cache_update_time", cache_time);
    Ok(outcome)
}

/// One command: refresh the cache when asked (`with_cache`), list apt's package names (to
/// expand patterns, `list_names`), then read the named packages.
async fn probe(
    job: &Job<'_>,
    names: &[&str],
    with_cache: bool,
    list_names: bool,
) -> Result<String, ModuleError> {
    let mut script = String::from(APT_ENV);
    if with_cache {
        let args = job.args;
        let refresh =
            args.bool("update_cache", false) || args.int("cache_valid_time").unwrap_or(0) != 0;
        let retries = args.int("update_cache_retries").unwrap_or(5).max(1);
        let max_delay = args.int("update_cache_retry_max_delay").unwrap_or(12);
        script.push_str(&format!(
            "mt() {{ for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do \
             [ -e $f ] && {{ stat -c %Y $f; return; }}; done; echo 0; }}\n\
             before=$(mt); tried=0\n\
             if [ {refresh} = 1 ] && [ $((before + {valid})) -lt $(date +%s) ]; then\n\
               tried=1\n\
               if [ {check} = 0 ]; then\n\
                 i=0; d=1\n\
                 until err=$(apt-get update -q 2>&1 >/dev/null); do\n\
                   i=$((i + 1)); [ $i -ge {retries} ] && {{ printf '@@updatefail\\n%s\\n' \"$err\"; exit 0; }}\n\
                   sleep $d; d=$((d * 2)); [ $d -gt {max_delay} ] && d={max_delay}\n\
                 done\n\
               fi\n\
             fi\n\
             echo @@cache; echo \"$before $(mt) $tried\"\n",
            refresh = u8::from(refresh),
            valid = args.int("cache_valid_time").unwrap_or(0),
            check = u8::from(job.target.check_mode),
        ));
    }
    if list_names {
        script.push_str("echo @@pkgnames; apt-cache pkgnames 2>/dev/null | grep -v :\n");
    }
    if !names.is_empty() {
        let words = oxible_shell::join(names);
        let release = job
            .args
            .str("default_release")
            .map(|r| format!("-o APT::Default-Release={}", oxible_shell::quote(r)))
            .unwrap_or_default();
        script.push_str(&format!(
            "echo @@dpkg; dpkg-query -W -f='${{Package}}\\t${{db:Status-Abbrev}}\\t${{Version}}\\n' {words} 2>/dev/null\n\
             echo @@policy; apt-cache {release} policy {words} 2>/dev/null\n\
             echo @@provides; apt-cache showpkg {words} 2>/dev/null\n\
             echo @@auto; apt-mark showauto {words} 2>/dev/null\n\
             echo @@end\n"
        ));
    }
    let out = job.target.run(&script, None, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(format!(
            "cannot read the package database: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(out.stdout_text())
}

/// Each package's status from the probe's `dpkg`, `policy` and `auto` sections.
fn parse_probe(
    secs: &std::collections::HashMap<&str, String>,
) -> std::collections::HashMap<String, Status> {
    let mut all: std::collections::HashMap<String, Status> = std::collections::HashMap::new();
    let text = |name: &str| secs.get(name).map_or("", String::as_str);
    for line in text("dpkg").lines() {
        let mut fields = line.split('\t');
        let (Some(name), Some(abbrev), Some(version)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let st = all.entry(name.to_string()).or_default();
        let current = abbrev.as_bytes().get(1).copied();
        st.installed = current == Some(b'i');
        st.has_files = matches!(
            current,
            Some(b'i' | b'c' | b'U' | b'F' | b'H' | b'W' | b't')
        );
        if st.installed {
            st.version = Some(version.to_string());
        }
    }
    let mut current: Option<String> = None;
    for line in text("policy").lines() {
        if !line.starts_with(' ') {
            current = line.strip_suffix(':').map(str::to_string);
            continue;
        }
        let Some(name) = &current else { continue };
        let st = all.entry(name.clone()).or_default();
        if let Some(candidate) = line.trim().strip_prefix("Candidate: ") {
            st.candidate = (candidate != "(none)").then(|| candidate.to_string());
        } else if let Some(rest) = line
            .strip_prefix(" *** ")
            .or_else(|| line.strip_prefix("     "))
            && !rest.starts_with(' ')
            && let Some(version) = rest.split_whitespace().next()
        {
            st.versions.push(version.to_string());
        }
    }
    for st in all.values_mut() {
        st.known = st.installed || !st.versions.is_empty();
    }
    let (mut current, mut providers) = (None, false);
    for line in text("provides").lines() {
        if let Some(name) = line.strip_prefix("Package: ") {
            (current, providers) = (Some(name.trim()), false);
        } else if line.starts_with("Reverse Provides:") {
            providers = true;
        } else if providers
            && !line.trim().is_empty()
            && let Some(name) = current
        {
            all.entry(name.to_string()).or_default().provided = true;
        }
    }
    for name in text("auto").lines() {
        if let Some(st) = all.get_mut(name.trim()) {
            st.auto = true;
        }
    }
    // Names apt-cache policy printed but with no versions: virtual packages.
    for line in text("policy").lines().filter(|l| !l.starts_with(' ')) {
        if let Some(name) = line.strip_suffix(':') {
            all.entry(name.to_string()).or_default();
        }
    }
    all
}

/// Package names with wildcards expanded against apt's names, as Ansible's
/// `expand_pkgspec_from_fnmatches`.
fn expand(specs: &[String], names: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for spec in specs {
        let (name, _, _) = split_spec(spec);
        if !is_glob(name) {
            out.push(spec.clone());
            continue;
        }
        let matches: Vec<String> = names
            .lines()
            .filter(|n| oxible_inventory::fnmatch(name, n))
            .map(str::to_string)
            .collect();
        if matches.is_empty() {
            return Err(format!("No package(s) matching '{name}' available"));
        }
        out.extend(matches);
    }
    Ok(out)
}

/// Ansible's `package_status` for an install: (installed, installed version matches,
/// installable). `Err` when apt has no version of the name and no package provides it (python-apt
/// has no such package then, even when dpkg or another package's fields mention the name).
fn status_for(
    st: Option<&Status>,
    name: &str,
    cmp: Option<&str>,
    version: Option<&str>,
) -> Result<(bool, bool, Installable), String> {
    let Some(st) = st.filter(|s| s.known) else {
        return match st {
            Some(st) if st.provided => Ok((false, false, Installable::Any)),
            _ => Err(format!("No package matching '{name}' is available")),
        };
    };
    let best = match (cmp, version) {
        (Some("="), Some(pattern)) => st
            .versions
            .iter()
            .filter(|v| oxible_inventory::fnmatch(pattern, v))
            .max_by(|a, b| deb_cmp(a, b))
            .cloned(),
        _ => st.candidate.clone(),
    };
    let Some(installed) = st.version.as_deref().filter(|_| st.installed) else {
        return Ok((
            false,
            false,
            best.map_or(Installable::None, Installable::Version),
        ));
    };
    let matches = |v: &str| match (cmp, version) {
        (Some("="), Some(pattern)) => oxible_inventory::fnmatch(pattern, v),
        (Some(_), Some(min)) => deb_cmp(v, min).is_ge(),
        _ => true,
    };
    let installable = match best {
        Some(b) if b != installed && matches(&b) => Installable::Version(b),
        _ => Installable::None,
    };
    Ok((true, matches(installed), installable))
}

async fn install(
    job: &Job<'_>,
    specs: &[String],
    db: &std::collections::HashMap<String, Status>,
    state: &str,
) -> Result<Outcome, ModuleError> {
    let args = job.args;
    let build_dep = state == "build-dep";
    let only_upgrade = args.bool("only_upgrade", false);
    let mut list = Vec::new();
    let mut names = Vec::new();
    for spec in specs {
        if build_dep {
            list.push(sq(spec));
            continue;
        }
        let (name, cmp, version) = split_spec(spec);
        names.push(name);
        let (installed, version_ok, installable) =
            status_for(db.get(name), name, cmp, version).map_err(ModuleError::Failed)?;
        if !installed && only_upgrade {
            continue;
        }
        if !version_ok && installable == Installable::None {
            return Ok(Outcome::failure(format!(
                "no available installation candidate for {spec}"
            )));
        }
        let wanted = installable != Installable::None
            && ((!installed && !only_upgrade) || state == "latest" || !version_ok);
        match (&installable, version) {
            (Installable::Version(v), _) if wanted => list.push(sq(&format!("{name}={v}"))),
            (_, Some(v))
                if wanted
                    || (version_ok && installable != Installable::None && cmp == Some("=")) =>
            {
                list.push(sq(&format!("{name}={v}")));
            }
            _ if wanted => list.push(sq(name)),
            _ => {}
        }
    }
    let mark = if build_dep || job.target.check_mode || names.is_empty() {
        String::new()
    } else {
        format!(
            "{APT_MARK} manual {} >/dev/null;",
            oxible_shell::join(&names)
        )
    };
    if list.is_empty() {
        if names.iter().any(|n| db.get(*n).is_some_and(|s| s.auto)) && !mark.is_empty() {
            job.target.run(&mark, None, None).await?;
        }
        return Ok(Outcome::changed(false));
    }
    let head = format!(
        "{APT_GET} -y {} {} {} {}",
        job.dpkg_options,
        job.flag("only_upgrade", "--only-upgrade"),
        if state == "fixed" { "--fix-broken" } else { "" },
        job.flag("force", "--force-yes"),
    );
    let (fail_on_autoremove, packages) = (
        job.flag("fail_on_autoremove", "--no-remove"),
        list.join(" "),
    );
    let mut cmd = if build_dep {
        format!(
            "{head} {fail_on_autoremove} {} build-dep {packages}",
            job.check_arg
        )
    } else {
        let autoremove = job.flag("autoremove", "--auto-remove");
        format!(
            "{head} {autoremove} {fail_on_autoremove} {} install {packages}",
            job.check_arg
        )
    };
    if let Some(release) = args.str("default_release") {
        cmd.push_str(&format!(" -t '{release}'"));
    }
    match args.get("install_recommends").and_then(Value::as_bool) {
        Some(false) => cmd.push_str(" -o APT::Install-Recommends=no"),
        Some(true) => cmd.push_str(" -o APT::Install-Recommends=yes"),
        None => {}
    }
    for (name, flag) in [
        ("allow_unauthenticated", " --allow-unauthenticated"),
        ("allow_downgrade", " --allow-downgrades"),
        (
            "allow_change_held_packages",
            " --allow-change-held-packages",
        ),
    ] {
        cmd.push_str(job.flag(name, flag));
    }
    let (rc, stdout, stderr) = job.apt(&cmd, &mark).await?;
    if rc != 0 {
        let mut outcome = Outcome::failure(format!("'{cmd}' failed: {stderr}"));
        set_output(&mut outcome, &stdout, &stderr);
        outcome.set("rc", i64::from(rc));
        return Ok(outcome);
    }
    let changed = !build_dep || !stdout.contains("\n0 upgraded, 0 newly installed, 0 to remove");
    Ok(job.result(changed, &stdout, &stderr))
}

async fn remove(
    job: &Job<'_>,
    specs: &[String],
    db: &std::collections::HashMap<String, Status>,
) -> Result<Outcome, ModuleError> {
    let purge = job.args.bool("purge", false);
    let list: Vec<String> = specs
        .iter()
        .filter(|spec| {
            let (name, cmp, version) = split_spec(spec);
            db.get(name).is_some_and(|st| {
                let installed = st.installed
                    && match (cmp, version, st.version.as_deref()) {
                        (Some("="), Some(p), Some(v)) => oxible_inventory::fnmatch(p, v),
                        (Some(_), Some(min), Some(v)) => deb_cmp(v, min).is_ge(),
                        _ => true,
                    };
                installed || (st.has_files && purge)
            })
        })
        .map(|s| sq(s))
        .collect();
    if list.is_empty() {
        return Ok(Outcome::changed(false));
    }
    let packages = list.join(" ");
    let cmd = format!(
        "{APT_GET} -q -y {} {} {} {} {} {} remove {packages}",
        job.dpkg_options,
        job.flag("purge", "--purge"),
        job.flag("force", "--force-yes"),
        job.flag("autoremove", "--auto-remove"),
        job.check_arg,
        job.flag("allow_change_held_packages", "--allow-change-held-packages"),
    );
    let (rc, stdout, stderr) = job.apt(&cmd, "").await?;
    if rc != 0 {
        let mut outcome = Outcome::failure(format!("'apt-get remove {packages}' failed: {stderr}"));
        set_output(&mut outcome, &stdout, &stderr);
        outcome.set("rc", i64::from(rc));
        return Ok(outcome);
    }
    Ok(job.result(true, &stdout, &stderr))
}

/// `autoremove`/`autoclean` without packages: changed when apt-get says it removed something.
async fn cleanup(job: &Job<'_>, operation: &str, marker: &str) -> Result<Outcome, ModuleError> {
    let cmd = format!(
        "{APT_GET} -y {} {} {} {operation} {}",
        job.dpkg_options,
        job.flag("purge", "--purge"),
        job.flag("force", "--force-yes"),
        job.check_arg
    );
    let (rc, stdout, stderr) = job.apt(&cmd, "").await?;
    if rc != 0 {
        let mut outcome = Outcome::failure(format!("'apt-get {operation}' failed: {stderr}"));
        set_output(&mut outcome, &stdout, &stderr);
        outcome.set("rc", i64::from(rc));
        return Ok(outcome);
    }
    Ok(job.result(stdout.contains(marker), &stdout, &stderr))
}

/// `upgrade=yes|safe|full|dist` (and `name=* state=latest`) through apt-get.
async fn upgrade_all(job: &Job<'_>, mode: &str) -> Result<Outcome, ModuleError> {
    let autoremove = job.flag("autoremove", "--auto-remove");
    let command = match mode {
        "dist" | "full" => format!("dist-upgrade {autoremove}"),
        _ => format!("upgrade --with-new-pkgs {autoremove}"),
    };
    let cmd = format!(
        "{APT_GET} -y {} {} {} {} {} {} {command}",
        job.dpkg_options,
        job.flag("force", "--force-yes"),
        job.flag("fail_on_autoremove", "--no-remove"),
        job.flag("allow_unauthenticated", "--allow-unauthenticated"),
        job.flag("allow_downgrade", "--allow-downgrades"),
        job.check_arg,
    );
    let cmd = match job.args.str("default_release") {
        Some(release) => format!("{cmd} -t '{release}'"),
        None => cmd,
    };
    let (rc, stdout, stderr) = job.apt(&cmd, "").await?;
    if rc != 0 {
        let mut outcome = Outcome::failure(format!("'{APT_GET} {command}' failed: {stderr}"));
        outcome
            .set("stdout", stdout.as_str())
            .set("rc", i64::from(rc));
        return Ok(outcome);
    }
    let changed = !stdout.contains("\n0 upgraded, 0 newly installed, 0 to remove");
    let mut outcome = job.result(changed, &stdout, &stderr);
    if !changed {
        outcome.diff = None;
    }
    outcome.msg = Some(stdout);
    Ok(outcome)
}

/// `deb=`: a package file on the target (or a URL it downloads first), installed when its
/// version differs from the installed one; apt-get resolves its dependencies.
async fn install_deb(job: &Job<'_>, deb: &str) -> Result<Outcome, ModuleError> {
    let path = if deb.contains("://") {
        "\"$tmp/package.deb\"".to_string()
    } else if deb.starts_with('/') {
        oxible_shell::quote(deb)
    } else {
        oxible_shell::quote(&format!("./{deb}"))
    };
    let fetch = if deb.contains("://") {
        let download =
            pkg::download_snippet(&oxible_shell::quote(deb), "\"$tmp/package.deb\"", true);
        format!(
            "tmp=$(mktemp -d); trap 'rm -rf \"$tmp\"' EXIT\n\
             {{ {download}; }} 2>/dev/null || {{ echo \"Failure downloading {deb}\" >&2; exit 3; }}\n"
        )
    } else {
        String::new()
    };
    let downgrade_ok = job.args.bool("allow_downgrade", false) || job.args.bool("force", false);
    let cmd = format!(
        "{APT_GET} -y {} {} {} {} install {path}",
        job.dpkg_options,
        job.check_arg,
        if downgrade_ok {
            "--allow-downgrades"
        } else {
            ""
        },
        job.flag("allow_unauthenticated", "--allow-unauthenticated"),
    );
    // Exit 4: same version installed; 5: a later one is, and downgrading is not allowed.
    let script = format!(
        "{fetch}name=$(dpkg-deb -f {path} Package) && version=$(dpkg-deb -f {path} Version) || exit 3\n\
         have=$(dpkg-query -W -f='${{db:Status-Abbrev}} ${{Version}}' \"$name\" 2>/dev/null)\n\
         case $have in ii\\ *) have=${{have#ii }} ;; *) have= ;; esac\n\
         [ -n \"$have\" ] && dpkg --compare-versions \"$version\" eq \"$have\" && exit 4\n\
         [ -n \"$have\" ] && [ {downgrade} = 0 ] && dpkg --compare-versions \"$version\" lt \"$have\" && exit 5\n\
         {cmd}",
        downgrade = u8::from(downgrade_ok),
    );
    let (rc, stdout, stderr) = job.apt(&script, "").await?;
    match rc {
        0 => {
            let mut outcome = job.result(true, &stdout, &stderr);
            outcome.diff = Some(job.diff(&stdout, true));
            Ok(outcome)
        }
        4 => {
            let mut outcome = Outcome::changed(false);
            set_output(&mut outcome, "", "");
            outcome.diff = Some(Value::from(""));
            Ok(outcome)
        }
        5 => Ok(Outcome::failure("A later version is already installed")),
        3 => Ok(Outcome::failure(format!(
            "Unable to install package: {}",
            stderr.trim()
        ))),
        _ => {
            let mut outcome = Outcome::failure(format!("{cmd} failed"));
            set_output(&mut outcome, &stdout, &stderr);
            Ok(outcome)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_split_like_ansible() {
        assert_eq!(split_spec("a=1.2*"), ("a", Some("="), Some("1.2*")));
        assert_eq!(split_spec("a>=1.2"), ("a", Some(">="), Some("1.2")));
        assert_eq!(split_spec("a"), ("a", None, None));
    }

    #[test]
    fn probe_output_gives_states_and_versions() {
        let text = "@@dpkg\noxdemo\tii \t1.0\noxgone\trc \t2.0\n@@policy\noxdemo:\n  Installed: 1.0\n  \
                    Candidate: 1.1\n  Version table:\n     1.1 500\n        500 file:/srv/repo ./ Packages\n \
                    *** 1.0 100\n        100 /var/lib/dpkg/status\nmta:\n  Installed: (none)\n  \
                    Candidate: (none)\n  Version table:\nmentioned:\n  Installed: (none)\n  \
                    Candidate: (none)\n  Version table:\n@@provides\nPackage: oxdemo\nVersions: \n\
                    1.1\n\nReverse Provides: \nPackage: mta\nVersions: \n\nReverse Depends: \n  \
                    oxdemo,mta\nReverse Provides: \nexim4 4.96 (= )\nPackage: mentioned\nVersions: \n\n\
                    Reverse Provides: \n@@auto\noxdemo\n@@end\n";
        let db = parse_probe(&sections(text));
        let demo = &db["oxdemo"];
        assert!(demo.installed && demo.auto && demo.known);
        assert_eq!(demo.versions, ["1.1", "1.0"]);
        assert_eq!(demo.candidate.as_deref(), Some("1.1"));
        assert!(db["oxgone"].has_files && !db["oxgone"].installed);
        assert_eq!(
            status_for(db.get("oxdemo"), "oxdemo", Some("="), Some("1.1*")),
            Ok((true, false, Installable::Version("1.1".into())))
        );
        assert_eq!(
            status_for(db.get("oxdemo"), "oxdemo", None, None),
            Ok((true, true, Installable::Version("1.1".into())))
        );
        assert_eq!(
            status_for(db.get("mta"), "mta", None, None),
            Ok((false, false, Installable::Any))
        );
        assert!(status_for(None, "nope", None, None).is_err());
        assert!(!db["oxdemo"].provided && db["mta"].provided);
        assert!(status_for(db.get("mentioned"), "mentioned", None, None).is_err());
    }

    #[test]
    fn diff_markers() {
        assert!(upgraded_line(
            "0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
        ));
        assert!(!upgraded_line("Reading state information..."));
        assert_eq!(
            expand(&["ox*".into(), "b".into()], "oxa\noxb\nc\n"),
            Ok(vec!["oxa".into(), "oxb".into(), "b".into()])
        );
    }
}
