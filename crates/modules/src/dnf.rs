//! `dnf` (and `yum`, which ansible-core 2.17+ redirects to it): RPM packages through the `dnf`
//! command line, deciding as Ansible's dnf module does with python3-dnf.
//!
//! One probe reads the rpm database (`rpm -qa`, and `rpm -q`/`--whatprovides`/`-qf`/`-qp` for
//! each name, as Ansible's `_is_installed` asks dnf's sack); the module then decides per spec
//! exactly as Ansible's `_mark_package_install` (globs always go to dnf; a versioned spec older
//! than what is installed is left alone unless `allow_downgrade`; an installed spec is upgraded
//! only for `latest`) and runs `dnf install`/`upgrade`/`remove`/`autoremove` (`dnf group …` for
//! groups, `dnf module …` for module streams, which Ansible drives through `ModuleBase`) with the
//! options
//! Ansible sets on dnf's `Base` (`install_weak_deps`, `clean_requirements_on_remove`, gpg
//! checks …) as `--setopt`s. When nothing has to be asked of dnf, nothing is run ("Nothing to
//! do"). `results` lists `Installed: <nevra>` / `Removed: <nevra>` as Ansible's transaction
//! sets do: from the rpm database before and after the run, or from dnf's transaction table in
//! check mode (`--assumeno`).

use std::collections::HashMap;

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// Ansible's yumdnf argument spec, plus the dnf action's `use_backend`/`use`.
pub(crate) const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::List).aliases(&["pkg"]),
    ArgSpec::new("state", ArgType::Str).choices(&[
        "absent",
        "installed",
        "latest",
        "present",
        "removed",
    ]),
    ArgSpec::new("list", ArgType::Str),
    ArgSpec::new("allow_downgrade", ArgType::Bool),
    ArgSpec::new("allowerasing", ArgType::Bool),
    ArgSpec::new("autoremove", ArgType::Bool),
    ArgSpec::new("best", ArgType::Bool),
    ArgSpec::new("nobest", ArgType::Bool),
    ArgSpec::new("bugfix", ArgType::Bool),
    ArgSpec::new("security", ArgType::Bool),
    ArgSpec::new("cacheonly", ArgType::Bool),
    ArgSpec::new("conf_file", ArgType::Str),
    ArgSpec::new("disable_excludes", ArgType::Str),
    ArgSpec::new("disable_gpg_check", ArgType::Bool),
    ArgSpec::new("disable_plugin", ArgType::List),
    ArgSpec::new("enable_plugin", ArgType::List),
    ArgSpec::new("disablerepo", ArgType::List),
    ArgSpec::new("enablerepo", ArgType::List),
    ArgSpec::new("download_only", ArgType::Bool),
    ArgSpec::new("download_dir", ArgType::Str),
    ArgSpec::new("exclude", ArgType::List),
    ArgSpec::new("installroot", ArgType::Str),
    // Deprecated in Ansible (removed in 2.20) and without effect on dnf: accepted.
    ArgSpec::new("install_repoquery", ArgType::Bool),
    ArgSpec::new("install_weak_deps", ArgType::Bool),
    ArgSpec::new("releasever", ArgType::Raw),
    ArgSpec::new("skip_broken", ArgType::Bool),
    ArgSpec::new("update_cache", ArgType::Bool).aliases(&["expire-cache"]),
    ArgSpec::new("update_only", ArgType::Bool),
    ArgSpec::new("validate_certs", ArgType::Bool),
    ArgSpec::new("sslverify", ArgType::Bool),
    // Accepted and unused, as by ansible-core 2.19's dnf module: dnf itself waits for its lock
    // without a limit.
    ArgSpec::new("lock_timeout", ArgType::Int),
    ArgSpec::new("use_backend", ArgType::Str)
        .choices(&["auto", "dnf", "yum", "yum4", "dnf4", "dnf5"]),
    ArgSpec::new("use", ArgType::Str),
];

module!(
    /// The `dnf` module.
    pub Dnf = "dnf", SPEC, run
);

module!(
    /// The `yum` module: ansible-core 2.17+ redirects it to `dnf`.
    pub Yum = "yum", SPEC, run
);

/// What the probe asks rpm for each package: name, epoch, version, release, arch.
const QF: &str = "'%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'";

/// The locale Ansible's module runs dnf under (`get_best_parsable_locale`).
const ENV: &str = "export LC_ALL=C LANG=C LANGUAGE=C LC_MESSAGES=C\n";

/// One package as rpm describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pkg {
    name: String,
    epoch: String,
    version: String,
    release: String,
    arch: String,
}

impl Pkg {
    /// A `rpm --qf QF` line.
    fn parse(line: &str) -> Option<Pkg> {
        let mut f = line.split('\t');
        let pkg = Pkg {
            name: f.next()?.to_string(),
            epoch: f.next()?.to_string(),
            version: f.next()?.to_string(),
            release: f.next()?.to_string(),
            arch: f.next()?.trim_end().to_string(),
        };
        Some(pkg)
    }

    /// All `rpm --qf QF` lines of `text`.
    fn parse_all(text: &str) -> Vec<Pkg> {
        text.lines().filter_map(Pkg::parse).collect()
    }

    /// `name-[epoch:]version-release.arch`, as dnf prints a package (epoch only when not 0).
    fn nevra(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr(), self.arch)
    }

    /// `[epoch:]version-release`.
    fn evr(&self) -> String {
        match self.epoch.as_str() {
            "" | "0" | "(none)" => format!("{}-{}", self.version, self.release),
            e => format!("{e}:{}-{}", self.version, self.release),
        }
    }
}

/// A comps group or environment as `dnf group list --ids` lists it.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    id: String,
    name: String,
    installed: bool,
    environment: bool,
}

impl Group {
    /// The groups of a `dnf group list --ids` listing (`Installed Groups:` … headers, then
    /// `   Name (id)` lines).
    fn parse_all(text: &str) -> Vec<Group> {
        let mut out = Vec::new();
        let (mut installed, mut environment) = (false, false);
        for line in text.lines() {
            if !line.starts_with(' ') {
                installed = line.starts_with("Installed");
                environment = line.contains("Environment");
                continue;
            }
            let line = line.trim();
            if let Some((name, id)) = line.strip_suffix(')').and_then(|l| l.rsplit_once(" (")) {
                out.push(Group {
                    id: id.to_string(),
                    name: name.to_string(),
                    installed,
                    environment,
                });
            }
        }
        out
    }

    /// dnf's `group_by_pattern`, then `environment_by_pattern`: the first group whose id or
    /// name matches `pattern` (a glob, case-insensitive).
    fn find<'a>(groups: &'a [Group], pattern: &str) -> Option<&'a Group> {
        let pattern = pattern.to_lowercase();
        let matches = |g: &&Group| {
            oxible_inventory::fnmatch(&pattern, &g.id.to_lowercase())
                || oxible_inventory::fnmatch(&pattern, &g.name.to_lowercase())
        };
        groups
            .iter()
            .filter(|g| !g.environment)
            .find(matches)
            .or_else(|| groups.iter().filter(|g| g.environment).find(matches))
    }
}

/// A module stream as `dnf module list` lists it (one row of its table).
#[derive(Debug, Clone, PartialEq)]
struct Stream {
    name: String,
    stream: String,
    /// `[e]`: the module's enabled stream.
    enabled: bool,
    /// A profile marked `[i]`: installed from this stream.
    installed: bool,
}

impl Stream {
    /// The rows of a `dnf module list` listing: per repository a `Name  Stream  Profiles …`
    /// header, then `name stream [flags] profiles summary` rows up to a blank line (lines
    /// starting with a space continue a wrapped row).
    fn parse_all(text: &str) -> Vec<Stream> {
        let mut out = Vec::new();
        let mut table = false;
        for line in text.lines() {
            if line.trim().is_empty() {
                table = false;
            } else if line.starts_with("Name ") && line.contains(" Stream ") {
                table = true;
            } else if table && !line.starts_with(' ') {
                let mut words = line.split_whitespace();
                let (Some(name), Some(stream)) = (words.next(), words.next()) else {
                    continue;
                };
                let rest: Vec<&str> = words.collect();
                let flags = rest.first().filter(|w| w.starts_with('[')).copied();
                out.push(Stream {
                    name: name.to_string(),
                    stream: stream.to_string(),
                    enabled: flags.is_some_and(|f| f.contains("[e]")),
                    installed: rest.iter().any(|w| w.trim_end_matches(',') == "[i]"),
                });
            }
        }
        out
    }

    /// The streams a module spec (`name[:stream[:version[:context[:arch]]]][/profile]`) names,
    /// as dnf's `ModuleBase._get_modules` finds them (the name a glob), with the spec's name;
    /// empty when it names none (Ansible then looks for a group of that name).
    fn matching<'a>(streams: &'a [Stream], spec: &'a str) -> (Vec<&'a Stream>, &'a str) {
        let nsvca = spec.split('/').next().unwrap_or(spec);
        let mut parts = nsvca.split(':');
        let name = parts.next().unwrap_or(nsvca);
        let stream = parts.next();
        let found = streams
            .iter()
            .filter(|s| {
                oxible_inventory::fnmatch(name, &s.name)
                    && stream.is_none_or(|want| oxible_inventory::fnmatch(want, &s.stream))
            })
            .collect();
        (found, name)
    }

    /// Ansible's `_is_module_installed`: the module has an enabled stream, and it is the
    /// spec's stream when the spec names one.
    fn is_installed(streams: &[Stream], spec: &str) -> bool {
        let nsvca = spec.split('/').next().unwrap_or(spec);
        let mut parts = nsvca.split(':');
        let name = parts.next().unwrap_or(nsvca);
        let stream = parts.next();
        streams
            .iter()
            .find(|s| s.name == name && s.enabled)
            .is_some_and(|enabled| stream.is_none_or(|want| want == enabled.stream))
    }
}

/// What a name in `name:` stands for, as Ansible's `_parse_spec_group_file` sorts them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A package spec (name, name-version, NEVRA, provide such as `name >= 1.0`).
    Spec,
    /// A spec with glob characters: always handed to dnf.
    Glob,
    /// An absolute path: the installed package owning it, else a file provide for dnf.
    Path,
    /// A local `.rpm` file.
    File,
    /// A remote `.rpm` (downloaded by the probe).
    Url,
    /// `@module[:stream][/profile]` when dnf knows such a module stream, else `@group` or
    /// `@environment` (or a name with `/`).
    Group,
}

fn kind(name: &str) -> Kind {
    if name.contains("://") {
        Kind::Url
    } else if name.ends_with(".rpm") {
        Kind::File
    } else if name.starts_with('/') {
        Kind::Path
    } else if name.starts_with('@') || name.contains('/') {
        Kind::Group
    } else if name.contains(['*', '?', '[']) {
        Kind::Glob
    } else {
        Kind::Spec
    }
}

/// Ansible's `listify_comma_sep_strings_in_list`: comma-separated items split and appended.
fn listify(items: Vec<String>) -> Vec<String> {
    let (split, mut keep): (Vec<String>, Vec<String>) =
        items.into_iter().partition(|i| i.contains(','));
    keep.extend(
        split
            .iter()
            .flat_map(|i| i.split(',').map(|p| p.trim().to_string())),
    );
    if keep == [""] { Vec::new() } else { keep }
}

/// rpm's `rpmvercmp`: alternating alphabetic and numeric segments, `~` sorting before
/// everything (even the end), `^` after the end but before anything else.
fn rpmvercmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    if a == b {
        return Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while a.first().is_some_and(|c| sep(*c)) {
            a = &a[1..];
        }
        while b.first().is_some_and(|c| sep(*c)) {
            b = &b[1..];
        }
        match (a.first(), b.first()) {
            (Some(b'~'), Some(b'~')) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (Some(b'~'), _) => return Less,
            (_, Some(b'~')) => return Greater,
            (Some(b'^'), Some(b'^')) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (Some(b'^'), None) => return Greater,
            (None, Some(b'^')) => return Less,
            (Some(b'^'), _) => return Less,
            (_, Some(b'^')) => return Greater,
            (None, None) => return Equal,
            (None, _) => return Less,
            (_, None) => return Greater,
            _ => {}
        }
        let numeric = a[0].is_ascii_digit();
        let run = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (la, lb) = (run(a), run(b));
        if lb == 0 {
            // Segments of different types: the numeric one is newer.
            return if numeric { Greater } else { Less };
        }
        let (sa, sb) = (&a[..la], &b[..lb]);
        let order = if numeric {
            let trim = |s: &[u8]| {
                let zeros = s.iter().take_while(|c| **c == b'0').count();
                s[zeros..].to_vec()
            };
            let (ta, tb) = (trim(sa), trim(sb));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(&tb))
        } else {
            sa.cmp(sb)
        };
        if order != Equal {
            return order;
        }
        a = &a[la..];
        b = &b[lb..];
    }
}

/// Compares `[epoch:]version[-release]` texts as rpm does (a missing release matches any).
fn evr_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(evr: &str) -> (u64, &str, Option<&str>) {
        let (epoch, rest) = match evr.split_once(':') {
            Some((e, rest)) => (e.parse().unwrap_or(0), rest),
            None => (0, evr),
        };
        match rest.rsplit_once('-') {
            Some((v, r)) => (epoch, v, Some(r)),
            None => (epoch, rest, None),
        }
    }
    let ((ea, va, ra), (eb, vb, rb)) = (split(a), split(b));
    ea.cmp(&eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
            _ => std::cmp::Ordering::Equal,
        })
}

/// The installed package a versioned spec (`name-1.0`, `name-1.0-1`, `name-1.0-1.noarch`)
/// names, with the `[epoch:]version[-release]` the spec asks for; `None` for a bare name or a
/// spec no installed name starts.
fn versioned<'a>(spec: &'a str, installed: &'a [Pkg]) -> Option<(&'a Pkg, &'a str)> {
    installed.iter().find_map(|p| {
        let rest = spec.strip_prefix(p.name.as_str())?.strip_prefix('-')?;
        let rest = rest
            .strip_suffix(p.arch.as_str())
            .and_then(|r| r.strip_suffix('.'))
            .unwrap_or(rest);
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then_some((p, rest))
    })
}

/// The dnf options every command of the task gets, from Ansible's `_configure_base` and
/// `_specify_repositories`.
///
/// `repos` are the repository ids the host defines: Ansible enables and disables the
/// repositories matching each pattern and ignores a pattern matching none, where dnf's command
/// line refuses it (`Unknown repo`), so only matching patterns are passed on.
fn options(args: &Args, repos: &[String]) -> String {
    let mut o: Vec<String> = Vec::new();
    let flag = |v: bool| if v { "True" } else { "False" };
    if let Some(conf) = args.str("conf_file") {
        o.push(format!("-c {}", quote(conf)));
    }
    if let Some(root) = args.str("installroot").filter(|r| *r != "/") {
        o.push(format!("--installroot={}", quote(root)));
    }
    if let Some(release) = args.get("releasever").filter(|v| !v.is_null()) {
        o.push(format!("--releasever={}", quote(&release.py_str())));
    }
    if args.bool("disable_gpg_check", false) {
        o.push("--nogpgcheck".into());
    } else {
        o.push("--setopt=gpgcheck=True --setopt=localpkg_gpgcheck=True".into());
    }
    if !args.bool("sslverify", true) || !args.bool("validate_certs", true) {
        o.push("--setopt=sslverify=False".into());
    }
    for x in listify(args.strings("exclude")) {
        o.push(format!("--exclude={}", quote(&x)));
    }
    if let Some(d) = args.str("disable_excludes") {
        o.push(format!("--disableexcludes={}", quote(d)));
    }
    for (param, opt) in [
        ("disablerepo", "--disablerepo"),
        ("enablerepo", "--enablerepo"),
        ("disable_plugin", "--disableplugin"),
        ("enable_plugin", "--enableplugin"),
    ] {
        let repo = param.ends_with("repo");
        for r in listify(args.strings(param)).iter().filter(|r| {
            !r.is_empty() && (!repo || repos.iter().any(|id| oxible_inventory::fnmatch(r, id)))
        }) {
            o.push(format!("{opt}={}", quote(r)));
        }
    }
    if args.bool("skip_broken", false) {
        o.push("--setopt=strict=False".into());
    }
    if let Some(nobest) = args.get("nobest").and_then(Value::as_bool) {
        o.push(format!("--setopt=best={}", flag(!nobest)));
    } else if let Some(best) = args.get("best").and_then(Value::as_bool) {
        o.push(format!("--setopt=best={}", flag(best)));
    }
    if args.bool("cacheonly", false) {
        o.push("--cacheonly".into());
    }
    if args.bool("download_only", false) {
        o.push("--downloadonly".into());
        if let Some(dir) = args.str("download_dir") {
            o.push(format!("--downloaddir={}", quote(dir)));
        }
    }
    if args.bool("security", false) {
        o.push("--security".into());
    }
    if args.bool("bugfix", false) {
        o.push("--bugfix".into());
    }
    o.push(format!(
        "--setopt=clean_requirements_on_remove={} --setopt=install_weak_deps={}",
        flag(args.bool("autoremove", false)),
        flag(args.bool("install_weak_deps", true))
    ));
    o.join(" ")
}

/// A failure with Ansible's `results: []` (and `rc` when given).
fn fail(msg: impl Into<String>, rc: Option<i64>) -> Outcome {
    let mut outcome = Outcome::failure(msg);
    outcome.set("results", Value::seq(Vec::new()));
    if let Some(rc) = rc {
        outcome.set("rc", rc);
    }
    outcome
}

/// A finished module run: `msg`, `rc` 0, `results`.
fn done(changed: bool, msg: &str, results: Vec<String>) -> Outcome {
    let mut outcome = Outcome::changed(changed);
    outcome.msg = Some(msg.to_string());
    outcome.set("rc", 0).set(
        "results",
        Value::seq(results.into_iter().map(Value::from).collect()),
    );
    outcome
}

pub(crate) async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if args.get("use").is_some() && args.get("use_backend").is_some() {
        return Ok(Outcome::action_failure(
            "parameters are mutually exclusive: ('use', 'use_backend')",
        ));
    }
    args.exclusive(&["name", "list"])?;
    args.exclusive(&["best", "nobest"])?;
    // `name` defaults to `[]`, so Ansible's required_one_of (name, list, update_cache) always
    // holds.
    if matches!(args.str("use").or(args.str("use_backend")), Some("dnf5")) {
        return Ok(Outcome::failure(
            "oxible's dnf drives dnf 4 (the dnf of EL8/EL9); the dnf5 backend is not implemented",
        ));
    }
    let names: Vec<String> = listify(
        args.strings("name")
            .iter()
            .map(|n| n.trim().to_string())
            .collect(),
    );
    if names
        .iter()
        .any(|n| n.contains(' ') && !n.contains(['@', '>', '<', '=']))
    {
        return Ok(Outcome::failure(
            "It appears that a space separated string of packages was passed in as an argument. \
             To operate on several packages, pass a comma separated string of packages or a list \
             of packages.",
        ));
    }
    let autoremove = args.bool("autoremove", false);
    let state = match args.str("state") {
        Some(s) => s,
        None if autoremove => "absent",
        None => "installed",
    };
    if autoremove && !matches!(state, "absent" | "removed") {
        return Ok(fail(
            "Autoremove should be used alone or with state=absent",
            None,
        ));
    }
    let repos = if ["enablerepo", "disablerepo"]
        .iter()
        .any(|p| args.get(p).is_some())
    {
        let out = target.run(REPO_IDS, None, None).await?;
        out.stdout_text().lines().map(str::to_string).collect()
    } else {
        Vec::new()
    };
    let opts = options(&args, &repos);
    if let Some(conf) = args.str("conf_file") {
        let out = target
            .run(&format!("test -r {}", quote(conf)), None, None)
            .await?;
        if out.rc != 0 {
            let mut outcome = fail("cannot read configuration file", None);
            outcome.set("conf_file", conf);
            return Ok(outcome);
        }
    }
    let update_cache = args.bool("update_cache", false);
    if update_cache && names.is_empty() {
        let out = target
            .run(
                &format!("{ENV}dnf {opts} makecache --refresh 2>&1"),
                None,
                None,
            )
            .await?;
        if out.rc != 0 {
            return Ok(fail(dnf_error(&out.stdout_text()), Some(1)));
        }
        return Ok(done(false, "Cache updated", Vec::new()));
    }
    if let Some(what) = args.str("list") {
        return list(target, &opts, what).await;
    }
    let job = Job {
        target,
        args: &args,
        opts,
        state: match state {
            "present" => "installed",
            "removed" => "absent",
            s => s,
        },
        names,
    };
    job.ensure(update_cache).await
}

/// Lists the repository ids of dnf's default repository directories.
const REPO_IDS: &str = "cat /etc/yum.repos.d/*.repo /etc/yum/repos.d/*.repo /etc/distro.repos.d/*.repo \
2>/dev/null | sed -n 's/^[[:space:]]*\\[\\(.*\\)\\][[:space:]]*$/\\1/p'";

/// What dnf says when every repository is disabled.
const NO_REPOS: &str = "There are no enabled repositories";

/// The install specs dnf could not mark, with Ansible's failure text for each (its
/// `MarkingError` joined to the spec, "No package … available." for a spec matching nothing).
/// With every repository disabled, dnf stops before matching: every spec that is no local file
/// fails as matching nothing, as Ansible's marking does.
fn marking_errors(text: &str, specs: &[String]) -> Vec<(String, String)> {
    if text.contains(NO_REPOS) {
        return specs
            .iter()
            .filter(|s| kind(s) != Kind::File)
            .map(|s| (s.clone(), format!("No package {s} available.")))
            .collect();
    }
    text.lines()
        .filter_map(|l| {
            if let Some(spec) = l.strip_prefix("No match for argument: ") {
                Some((spec.to_string(), format!("No package {spec} available.")))
            } else {
                let (_, spec) = l.split_once(" for argument: ")?;
                Some((spec.to_string(), format!("{spec} {l}")))
            }
        })
        .collect()
}

/// `list=`: Ansible's `list_items` through `dnf repoquery`/`repolist` (`installed`,
/// `available`, `updates`/`upgrades`, `repos`/`repositories`, or a package spec, whose installed
/// matches come first): package dicts as Ansible's `_package_dict`, installed packages sorted by
/// name and version, then available ones by repository, name and version (the order of dnf's
/// sack).
async fn list(target: &Target, opts: &str, what: &str) -> Result<Outcome, ModuleError> {
    let qf = "--qf '%{name}\\t%{epoch}\\t%{version}\\t%{release}\\t%{arch}\\t%{repoid}'";
    let query = |sel: &str, spec: &str| format!("dnf {opts} -q repoquery {sel} {qf} {spec} 2>&1");
    let spec = format!("-- {}", quote(what));
    let script = match what {
        "repos" | "repositories" => {
            section("repos", &format!("dnf {opts} -q repolist --enabled 2>&1"))
        }
        "installed" => section("installed", &query("--installed", "")),
        "available" => section("available", &query("--available", "")),
        "updates" | "upgrades" => section("available", &query("--upgrades", "")),
        _ => format!(
            "{}{}",
            section("installed", &query("--installed", &spec)),
            section("available", &query("--available", &spec))
        ),
    };
    let out = target.run(&format!("{ENV}{script}"), None, None).await?;
    let secs = sections(&out.stdout_text());
    let get = |k: &str| secs.get(k).map_or("", String::as_str);
    if out.rc != 0 {
        return Ok(fail(dnf_error(&out.stdout_text()), Some(1)));
    }
    let mut results: Vec<Value> = Vec::new();
    if matches!(what, "repos" | "repositories") {
        for line in get("repos").lines().skip(1) {
            if let Some(id) = line.split_whitespace().next() {
                let mut repo = Map::new();
                repo.insert(Value::from("repoid"), Value::from(id));
                repo.insert(Value::from("state"), Value::from("enabled"));
                results.push(Value::map(repo));
            }
        }
    } else {
        for (key, state) in [("installed", "installed"), ("available", "available")] {
            let mut found: Vec<(Pkg, String)> = get(key)
                .lines()
                .filter_map(|l| {
                    let (pkg, repo) = l.rsplit_once('\t')?;
                    Some((Pkg::parse(pkg)?, repo.to_string()))
                })
                .collect();
            found.sort_by(|(a, ra), (b, rb)| {
                let by_repo = if state == "available" {
                    ra.cmp(rb)
                } else {
                    std::cmp::Ordering::Equal
                };
                by_repo
                    .then_with(|| a.name.cmp(&b.name))
                    .then_with(|| evr_cmp(&a.evr(), &b.evr()))
                    .then_with(|| a.arch.cmp(&b.arch))
            });
            for (pkg, repo) in found {
                let envra = format!(
                    "{}:{}-{}-{}.{}",
                    pkg.epoch, pkg.name, pkg.version, pkg.release, pkg.arch
                );
                let mut dict = Map::new();
                for (k, v) in [
                    ("name", pkg.name.as_str()),
                    ("arch", pkg.arch.as_str()),
                    ("epoch", pkg.epoch.as_str()),
                    ("release", pkg.release.as_str()),
                    ("version", pkg.version.as_str()),
                    (
                        "repo",
                        if state == "installed" {
                            "@System"
                        } else {
                            repo.as_str()
                        },
                    ),
                    ("envra", envra.as_str()),
                    ("nevra", envra.as_str()),
                    ("yumstate", state),
                ] {
                    dict.insert(Value::from(k), Value::from(v));
                }
                results.push(Value::map(dict));
            }
        }
    }
    let mut outcome = Outcome::changed(false);
    outcome.msg = Some(String::new());
    outcome.set("results", Value::seq(results));
    Ok(outcome)
}

/// The first `Error: …` dnf printed (what Ansible's exceptions carry), else its last line.
fn dnf_error(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    match lines.iter().position(|l| l.starts_with("Error:")) {
        Some(i) => {
            let first = lines[i].trim_start_matches("Error:").trim();
            let rest: Vec<&str> = lines[i + 1..].to_vec();
            if first.is_empty() {
                rest.join("\n")
            } else if rest.is_empty() {
                first.to_string()
            } else {
                format!("{first}\n{}", rest.join("\n"))
            }
        }
        None => lines.last().map_or_else(String::new, |l| l.to_string()),
    }
}

/// The parsed task.
struct Job<'a> {
    target: &'a Target,
    args: &'a Args,
    /// dnf options for every command.
    opts: String,
    /// `installed`, `latest` or `absent`.
    state: &'a str,
    names: Vec<String>,
}

/// What the task asks of dnf, spec by spec.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    install: Vec<String>,
    upgrade: Vec<String>,
    remove: Vec<String>,
    /// Groups and environments (ids) for `dnf group install`/`upgrade`/`remove`.
    group_install: Vec<String>,
    /// Module specs for `dnf module install` (which enables their streams), `update` and
    /// `remove`.
    module_install: Vec<String>,
    module_upgrade: Vec<String>,
    module_remove: Vec<String>,
    /// Modules to `dnf module reset` after their removal (Ansible disables and resets them).
    module_reset: Vec<String>,
    group_upgrade: Vec<String>,
    group_remove: Vec<String>,
    /// `dnf upgrade` of everything (`name: '*'`, `state: latest`).
    upgrade_all: bool,
    autoremove: bool,
    /// Results known before dnf runs (`Installed <file>`, `No match for argument: …`).
    notes: Vec<String>,
    /// `Module <spec> installed.` and the like, which Ansible lists before groups' results.
    module_notes: Vec<String>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.install.is_empty()
            && self.group_install.is_empty()
            && self.module_install.is_empty()
            && self.module_upgrade.is_empty()
            && self.module_remove.is_empty()
            && self.group_upgrade.is_empty()
            && self.group_remove.is_empty()
            && self.upgrade.is_empty()
            && self.remove.is_empty()
            && !self.upgrade_all
            && !self.autoremove
    }
}

impl Job<'_> {
    fn rpm(&self) -> String {
        match self.args.str("installroot").filter(|r| *r != "/") {
            Some(root) => format!("rpm --root {}", quote(root)),
            None => "rpm".to_string(),
        }
    }

    async fn ensure(&self, update_cache: bool) -> Result<Outcome, ModuleError> {
        let rpm = self.rpm();
        let mut script = format!(
            "{ENV}command -v dnf >/dev/null 2>&1 || {{ echo nodnf; exit 0; }}\n{}",
            section("uid", "id -u")
        );
        if update_cache {
            script.push_str(&section(
                "cache",
                &format!(
                    "dnf {} makecache --refresh >/dev/null 2>&1 || echo failed",
                    self.opts
                ),
            ));
        }
        let download = self.names.iter().any(|n| kind(n) == Kind::Url);
        if download {
            // Remote packages are downloaded here, removed once the task is done.
            script.push_str("tmpd=$(mktemp -d /tmp/oxible-dnf.XXXXXX)\n");
            script.push_str(&section("tmp", "echo \"$tmpd\""));
        }
        if self.names.iter().any(|n| kind(n) == Kind::Group) {
            script.push_str(&section(
                "groups",
                &format!("dnf {} -q group list --ids 2>/dev/null", self.opts),
            ));
            script.push_str(&section(
                "modules",
                &format!("dnf {} -q module list 2>/dev/null", self.opts),
            ));
        }
        script.push_str(&section("before", &format!("{rpm} -qa --qf {QF}")));
        for (i, name) in self.names.iter().enumerate() {
            let q = quote(name);
            let cmd = match kind(name) {
                Kind::Spec => format!(
                    "{rpm} -q --qf {QF} -- {q} 2>/dev/null || {rpm} -q --qf {QF} --whatprovides -- {q} 2>/dev/null"
                ),
                Kind::Glob => format!("{rpm} -qa --qf {QF} -- {q}"),
                Kind::Path => format!("{rpm} -qf --qf {QF} -- {q} 2>/dev/null"),
                Kind::File => format!("{rpm} -qp --nosignature --qf {QF} -- {q} 2>&1"),
                Kind::Url => {
                    let file = name.rsplit('/').next().unwrap_or("package.rpm");
                    let download = crate::pkg::download_snippet(
                        &q,
                        "\"$f\"",
                        self.args.bool("validate_certs", true) && self.args.bool("sslverify", true),
                    );
                    format!(
                        "f=\"$tmpd\"/{f}; if err=$({download} 2>&1); then \
                         echo \"$f\"; {rpm} -qp --nosignature --qf {QF} -- \"$f\" 2>&1; \
                         else echo \"@fail $err\"; fi",
                        f = quote(file)
                    )
                }
                Kind::Group => String::new(),
            };
            script.push_str(&section(&format!("q{i}"), &cmd));
        }
        // The probe's status is not its commands': a missing rpm or a failed query is data.
        script.push_str("true\n");
        let out = self.target.run(&script, None, None).await?;
        let text = out.stdout_text();
        if text.trim() == "nodnf" {
            return Ok(fail(
                "dnf is not installed on the target (oxible's dnf module drives the dnf command)",
                None,
            ));
        }
        let secs = sections(&text);
        let get = |k: &str| secs.get(k).map_or("", String::as_str);
        let tmp = get("tmp").trim().to_string();
        let result = self.decide_and_run(&secs).await;
        if !tmp.is_empty() {
            self.target
                .run(&format!("rm -rf {}", quote(&tmp)), None, None)
                .await?;
        }
        result
    }

    async fn decide_and_run(&self, secs: &HashMap<String, String>) -> Result<Outcome, ModuleError> {
        let get = |k: &str| secs.get(k).map_or("", String::as_str);
        if !self.args.bool("download_only", false) && get("uid").trim() != "0" {
            return Ok(fail(
                "This command has to be run under the root user.",
                None,
            ));
        }
        if get("cache").trim() == "failed" {
            let out = self
                .target
                .run(
                    &format!("{ENV}dnf {} makecache --refresh 2>&1", self.opts),
                    None,
                    None,
                )
                .await?;
            return Ok(fail(dnf_error(&out.stdout_text()), Some(1)));
        }
        let before = Pkg::parse_all(get("before"));
        let groups = Group::parse_all(get("groups"));
        let streams = Stream::parse_all(get("modules"));
        // Module results, then group results, as Ansible marks them.
        let mut group_notes: Vec<String> = Vec::new();
        let mut plan = Plan::default();
        let latest = self.state == "latest";
        let allow_downgrade = self.args.bool("allow_downgrade", false);
        let update_only = self.args.bool("update_only", false);
        if self.names == ["*"] && latest {
            plan.upgrade_all = true;
        } else {
            let mut files = Vec::new();
            for (i, name) in self.names.iter().enumerate() {
                let found = get(&format!("q{i}"));
                let matched = Pkg::parse_all(found);
                match kind(name) {
                    Kind::Group => {
                        let spec = name.trim_start_matches('@').trim();
                        let (found, module) = Stream::matching(&streams, spec);
                        if !found.is_empty() {
                            self.plan_module(&mut plan, &streams, spec, module, &found);
                            continue;
                        }
                        let Some(group) = Group::find(&groups, spec) else {
                            return Ok(fail(format!("No group {spec} available."), None));
                        };
                        let id = group.id.clone();
                        // Ansible reports groups (not environments) as it marks them.
                        let note = |what: &str| {
                            (!group.environment).then(|| format!("Group {id} {what}."))
                        };
                        match self.state {
                            "absent" => {
                                if group.installed {
                                    plan.group_remove.push(id.clone());
                                }
                            }
                            "latest" if group.installed => {
                                group_notes.extend(note("upgraded"));
                                plan.group_upgrade.push(id.clone());
                            }
                            "latest" if update_only => {}
                            _ => {
                                group_notes.extend(note("installed"));
                                plan.group_install.push(id.clone());
                            }
                        }
                    }
                    Kind::File | Kind::Url => {
                        let (path, pkg) = match kind(name) {
                            Kind::Url => {
                                if let Some(err) = found.strip_prefix("@fail") {
                                    return Ok(Outcome::failure(format!(
                                        "Failure downloading {name}, {}",
                                        err.trim()
                                    )));
                                }
                                let mut lines = found.lines();
                                let path = lines.next().unwrap_or_default().to_string();
                                (path, lines.next().and_then(Pkg::parse))
                            }
                            _ => (name.clone(), matched.first().cloned()),
                        };
                        let Some(pkg) = pkg else {
                            return Ok(fail(
                                format!(
                                    "Error occurred attempting remote rpm operation: {}",
                                    found.trim()
                                ),
                                Some(1),
                            ));
                        };
                        files.push((path, pkg));
                    }
                    Kind::Glob if self.state == "absent" => {
                        if matched.is_empty() {
                            plan.notes.push(format!("No match for argument: {name}"));
                        } else {
                            plan.remove.push(name.clone());
                        }
                    }
                    Kind::Glob if update_only => {
                        if !matched.is_empty() {
                            plan.upgrade.push(name.clone());
                        }
                    }
                    Kind::Glob => {
                        if latest && !matched.is_empty() {
                            plan.upgrade.push(name.clone());
                        }
                        plan.install.push(name.clone());
                    }
                    Kind::Spec | Kind::Path => {
                        let installed = !matched.is_empty();
                        // An installed file provide goes to dnf as its package's name.
                        let spec = match (kind(name), matched.first()) {
                            (Kind::Path, Some(p)) => p.name.clone(),
                            _ => name.clone(),
                        };
                        if self.state == "absent" {
                            if installed {
                                plan.remove.push(spec);
                            } else {
                                plan.notes.push(format!("No match for argument: {name}"));
                            }
                            continue;
                        }
                        if update_only {
                            if installed {
                                plan.upgrade.push(spec);
                            } else {
                                plan.notes.push(format!(
                                    "Packages providing {name} not installed due to update_only specified"
                                ));
                            }
                            continue;
                        }
                        if self.newer_installed(name, &before).await? {
                            if allow_downgrade {
                                plan.install.push(spec);
                            }
                        } else if installed {
                            if latest {
                                plan.upgrade.push(spec);
                            }
                        } else {
                            plan.install.push(spec);
                        }
                    }
                }
            }
            if !files.is_empty() {
                if self.state == "absent" {
                    return Ok(fail(
                        "Cannot remove paths -- please specify package name.",
                        None,
                    ));
                }
                for (path, pkg) in &files {
                    let same = before.iter().any(|p| p == pkg);
                    let newer = before.iter().any(|p| {
                        p.name == pkg.name
                            && p.arch == pkg.arch
                            && evr_cmp(&p.evr(), &pkg.evr()).is_gt()
                    });
                    let installed_name = before.iter().any(|p| p.name == pkg.name);
                    if update_only && !installed_name {
                        continue;
                    }
                    if !same && (!newer || allow_downgrade) {
                        plan.install.push(path.clone());
                    }
                }
                // Ansible lists every file, installed or not, before the transaction.
                let mut notes: Vec<String> = files
                    .iter()
                    .map(|(path, _)| format!("Installed {path}"))
                    .collect();
                notes.append(&mut plan.notes);
                plan.notes = notes;
            }
            // Group results follow the files' and precede the packages'.
            let at = plan
                .notes
                .iter()
                .take_while(|n| n.starts_with("Installed "))
                .count();
            let modules = std::mem::take(&mut plan.module_notes);
            plan.notes
                .splice(at..at, modules.into_iter().chain(group_notes));
            plan.autoremove = self.args.bool("autoremove", false) && self.state == "absent";
        }
        if plan.is_empty() {
            return Ok(done(false, "Nothing to do", plan.notes));
        }
        self.execute(plan, &before).await
    }

    /// Ansible's handling of a module spec for the task's state: a result line when the
    /// module's enabled stream is (not) the spec's, and the `dnf module` command. `found` are
    /// the streams the spec names, `module` its name.
    fn plan_module(
        &self,
        plan: &mut Plan,
        streams: &[Stream],
        spec: &str,
        module: &str,
        found: &[&Stream],
    ) {
        let installed = Stream::is_installed(streams, spec);
        let spec = spec.to_string();
        match self.state {
            "absent" => {
                if installed {
                    plan.module_notes.push(format!("Module {spec} removed."));
                }
                // Ansible's disable and reset are kept only when its transaction removed
                // something: when a profile of the spec's streams is installed.
                if found.iter().any(|s| s.installed)
                    && !plan.module_reset.iter().any(|m| m == module)
                {
                    plan.module_reset.push(module.to_string());
                }
                plan.module_remove.push(spec);
            }
            "latest" => {
                if installed {
                    plan.module_notes.push(format!("Module {spec} upgraded."));
                }
                plan.module_upgrade.push(spec);
            }
            _ => {
                if !installed {
                    plan.module_notes.push(format!("Module {spec} installed."));
                }
                plan.module_install.push(spec);
            }
        }
    }

    /// Ansible's `_is_newer_version_installed` for a versioned spec: the installed package of
    /// that name is newer than what the spec names. Confirmed with `dnf repoquery` (the spec
    /// must name a real package) only when rpm's data says so.
    async fn newer_installed(&self, spec: &str, before: &[Pkg]) -> Result<bool, ModuleError> {
        let Some((pkg, wanted)) = versioned(spec, before) else {
            return Ok(false);
        };
        if !evr_cmp(&pkg.evr(), wanted).is_gt() {
            return Ok(false);
        }
        let script = format!(
            "{ENV}dnf {} -q repoquery --qf '%{{name}}\\t%{{epoch}}\\t%{{version}}\\t%{{release}}\\t%{{arch}}' -- {} 2>/dev/null",
            self.opts,
            quote(spec)
        );
        let out = self.target.run(&script, None, None).await?;
        let found = Pkg::parse_all(&out.stdout_text());
        Ok(found
            .iter()
            .filter(|p| p.name == pkg.name)
            .map(Pkg::evr)
            .max_by(|a, b| evr_cmp(a, b))
            .is_some_and(|evr| evr_cmp(&pkg.evr(), &evr).is_gt()))
    }

    /// Runs the plan's dnf commands (dry runs in check mode) and reads what they did.
    async fn execute(&self, plan: Plan, before: &[Pkg]) -> Result<Outcome, ModuleError> {
        let check = self.target.check_mode;
        let answer = if check { "--assumeno" } else { "-y" };
        let words = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(" ");
        let allowerasing = if self.args.bool("allowerasing", false) {
            " --allowerasing"
        } else {
            ""
        };
        let mut commands: Vec<String> = Vec::new();
        // One command per module spec, so that a spec dnf cannot mark is known, as Ansible
        // reports each module's marking errors. python3-dnf's ModuleBase switches an enabled
        // stream where dnf's command line refuses unless told.
        let mut module_specs: Vec<&String> = Vec::new();
        for (specs, command) in [
            (
                &plan.module_install,
                "--setopt=module_stream_switch=True module install",
            ),
            (&plan.module_upgrade, "module update"),
            (&plan.module_remove, "module remove"),
        ] {
            for spec in specs {
                let erasing = if command.ends_with("remove") {
                    ""
                } else {
                    allowerasing
                };
                commands.push(format!("{command}{erasing} -- {}", quote(spec)));
                module_specs.push(spec);
            }
        }
        if !check && !plan.module_reset.is_empty() {
            commands.push(format!("module reset -- {}", words(&plan.module_reset)));
        }
        for (ids, command) in [
            (&plan.group_install, "group install"),
            (&plan.group_upgrade, "group upgrade"),
            (&plan.group_remove, "group remove"),
        ] {
            if !ids.is_empty() {
                commands.push(format!("{command}{allowerasing} -- {}", words(ids)));
            }
        }
        if plan.upgrade_all {
            commands.push(format!("upgrade{allowerasing}"));
        }
        if !plan.install.is_empty() {
            commands.push(format!("install{allowerasing} -- {}", words(&plan.install)));
        }
        if !plan.upgrade.is_empty() {
            commands.push(format!("upgrade{allowerasing} -- {}", words(&plan.upgrade)));
        }
        if !plan.remove.is_empty() {
            commands.push(format!("remove -- {}", words(&plan.remove)));
        }
        if plan.autoremove {
            commands.push("autoremove".to_string());
        }
        let rpm = self.rpm();
        let mut script = String::from(ENV);
        for (k, command) in commands.iter().enumerate() {
            script.push_str(&format!(
                "printf '\\n\\001out{k}\\n'; dnf {} {answer} {command} 2>&1; rc=$?\n\
                 printf '\\n\\001rc{k}\\n%s\\n' $rc\n",
                self.opts
            ));
            if !check {
                script.push_str("[ $rc = 0 ] || exit 0\n");
            }
        }
        if !check {
            script.push_str(&section("after", &format!("{rpm} -qa --qf {QF}")));
        }
        let out = self.target.run(&script, None, None).await?;
        let secs = sections(&out.stdout_text());
        let get = |k: String| secs.get(&k).map_or("", String::as_str);
        let mut results = plan.notes.clone();
        let mut installs: Vec<String> = Vec::new();
        let mut removes: Vec<String> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        let strict = !self.args.bool("skip_broken", false);
        for (k, command) in commands.iter().enumerate() {
            let text = get(format!("out{k}"));
            let rc: i32 = get(format!("rc{k}")).trim().parse().unwrap_or(1);
            let installing = command.starts_with("install");
            if let Some(spec) = module_specs.get(k)
                && text.contains("Problems in request:")
            {
                failures.push(format!("{spec} {}", dnf_error(text)));
            }
            if installing {
                for (spec, failure) in marking_errors(text, &plan.install) {
                    if strict {
                        failures.push(failure);
                    } else {
                        results.push(format!("No package {spec} available."));
                    }
                }
            }
            if text.contains(NO_REPOS) && !installing {
                // Nothing to upgrade from: Ansible's goal stays empty.
                continue;
            }
            let aborted = check && rc == 1 && text.contains("Operation aborted.");
            if rc != 0 && !aborted {
                if !failures.is_empty() {
                    let mut outcome =
                        fail("Failed to install some of the specified packages", Some(1));
                    outcome.set(
                        "failures",
                        Value::seq(failures.into_iter().map(Value::from).collect()),
                    );
                    return Ok(outcome);
                }
                return Ok(self.error(text));
            }
            if check || self.args.bool("download_only", false) {
                let (i, r) = transaction(text, before);
                installs.extend(i);
                removes.extend(r);
            }
        }
        if !check && !self.args.bool("download_only", false) {
            let after = Pkg::parse_all(get("after".to_string()));
            let names = |v: &[Pkg]| -> Vec<String> {
                v.iter()
                    .filter(|p| p.name != "gpg-pubkey")
                    .map(Pkg::nevra)
                    .collect()
            };
            let (b, a) = (names(before), names(&after));
            installs = a.iter().filter(|p| !b.contains(p)).cloned().collect();
            removes = b.iter().filter(|p| !a.contains(p)).cloned().collect();
        }
        installs.sort();
        installs.dedup();
        removes.sort();
        removes.dedup();
        if installs.is_empty() && removes.is_empty() {
            return Ok(done(false, "Nothing to do", results));
        }
        let verb = if self.args.bool("download_only", false) {
            "Downloaded"
        } else {
            "Installed"
        };
        results.extend(installs.iter().map(|p| format!("{verb}: {p}")));
        results.extend(removes.iter().map(|p| format!("Removed: {p}")));
        let msg = if check {
            "Check mode: No changes made, but would have if not in check mode"
        } else {
            ""
        };
        Ok(done(true, msg, results))
    }

    /// A failed dnf command as Ansible's dnf module reports the exception behind it.
    fn error(&self, text: &str) -> Outcome {
        if let Some(line) = text
            .lines()
            .find(|l| l.starts_with("Package ") && l.ends_with(" is not signed"))
        {
            let file = line
                .trim_start_matches("Package ")
                .trim_end_matches(" is not signed");
            let nevra = file.strip_suffix(".rpm").unwrap_or(file);
            return Outcome::failure(format!(
                "Failed to validate GPG signature for {nevra}: {line}"
            ));
        }
        let error = dnf_error(text);
        let mut outcome = if text.contains("Problem") && text.contains("Error:") {
            fail(format!("Depsolve Error occurred: {error}"), Some(1))
        } else {
            fail(format!("Unknown Error occurred: {error}"), Some(1))
        };
        outcome.set("failures", Value::seq(Vec::new()));
        outcome
    }
}

/// The packages a dnf transaction table installs and removes (`--assumeno` output): rows under
/// `Installing…:`, `Upgrading:`, `Downgrading:`, `Reinstalling:` are installed (the versions
/// they replace, found in `before`, removed), rows under `Removing…:` and `replacing` lines
/// are removed.
fn transaction(text: &str, before: &[Pkg]) -> (Vec<String>, Vec<String>) {
    #[derive(PartialEq)]
    enum Part {
        None,
        Install,
        Replace,
        Remove,
    }
    let (mut installs, mut removes) = (Vec::new(), Vec::new());
    let mut part = Part::None;
    let mut carry = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            part = match line {
                // `Installing Groups:` and the like list group names, not packages.
                l if l.contains("Groups:") => Part::None,
                // Module profiles and streams being installed, enabled, switched, reset.
                l if l.contains(" module") && !l.contains("packages") => Part::None,
                l if l.starts_with("Installing") => Part::Install,
                "Upgrading:" | "Downgrading:" | "Reinstalling:" => Part::Replace,
                l if l.starts_with("Removing") => Part::Remove,
                _ => Part::None,
            };
            carry.clear();
            continue;
        }
        if part == Part::None {
            continue;
        }
        let joined = format!("{carry} {line}");
        let words: Vec<&str> = joined.split_whitespace().collect();
        if words.len() == 1 {
            // A long name dnf wrapped: the rest of the row is on the next line.
            carry = words[0].to_string();
            continue;
        }
        carry.clear();
        if words.first() == Some(&"replacing") {
            if let (Some(na), Some(evr)) = (words.get(1), words.get(2))
                && let Some((name, arch)) = na.rsplit_once('.')
            {
                removes.push(format!("{name}-{evr}.{arch}"));
            }
            continue;
        }
        let (Some(name), Some(arch), Some(evr)) = (words.first(), words.get(1), words.get(2))
        else {
            continue;
        };
        let nevra = format!("{name}-{evr}.{arch}");
        match part {
            Part::Remove => removes.push(nevra),
            Part::Replace => {
                removes.extend(
                    before
                        .iter()
                        .filter(|p| p.name == *name && p.arch == *arch)
                        .map(Pkg::nevra),
                );
                installs.push(nevra);
            }
            _ => installs.push(nevra),
        }
    }
    (installs, removes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    fn pkg(name: &str, evr: &str) -> Pkg {
        let (v, r) = evr.split_once('-').expect("v-r");
        Pkg {
            name: name.into(),
            epoch: "0".into(),
            version: v.into(),
            release: r.into(),
            arch: "noarch".into(),
        }
    }

    #[test]
    fn versions_order_like_rpm() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.1", Less),
            ("1.10", "1.9", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("2.0a", "2.0", Greater),
            ("1.a", "1.1", Less),
            ("007", "7", Equal),
        ] {
            assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
        }
        assert_eq!(evr_cmp("1:1.0-1", "2.0-1"), Greater);
        assert_eq!(evr_cmp("1.1-1", "1.1"), Equal);
        assert_eq!(evr_cmp("1.1-2", "1.1-10"), Less);
    }

    #[test]
    fn specs_sort_like_ansible() {
        assert_eq!(kind("http://x/a.rpm"), Kind::Url);
        assert_eq!(kind("/srv/a.rpm"), Kind::File);
        assert_eq!(kind("/usr/bin/vi"), Kind::Path);
        assert_eq!(kind("@core"), Kind::Group);
        assert_eq!(kind("ox*"), Kind::Glob);
        assert_eq!(kind("oxa >= 1.0"), Kind::Spec);
        assert_eq!(
            listify(vec!["a".into(), "b, c".into()]),
            vec!["a", "b", "c"]
        );
        assert!(listify(vec![String::new()]).is_empty());
        let installed = [pkg("oxa", "1.1-1"), pkg("python3", "3.11-1")];
        assert_eq!(
            versioned("oxa-1.0", &installed).map(|(p, v)| (p.name.as_str(), v)),
            Some(("oxa", "1.0"))
        );
        assert_eq!(
            versioned("oxa-1.0-1.noarch", &installed).map(|(_, v)| v),
            Some("1.0-1")
        );
        assert!(versioned("oxa", &installed).is_none());
        assert!(versioned("python3-dnf", &installed).is_none());
    }

    #[test]
    fn transaction_tables_parse() {
        let text = "Dependencies resolved.\n====\n Package  Architecture  Version  Repository  Size\n====\n\
                    Installing:\n oxb   noarch   1.0-1   oxtest   5.9 k\n\
                    Upgrading:\n oxa   noarch   1.1-1   oxtest   5.9 k\n\
                    Installing weak dependencies:\n a-very-long-package-name-that-wraps\n      noarch   2:3.0-1   oxtest   6 k\n\
                    Removing:\n oxc   noarch   2.0-1   @System   8\n\nTransaction Summary\n====\nOperation aborted.\n";
        let before = [pkg("oxa", "1.0-1"), pkg("oxc", "2.0-1")];
        let (i, r) = transaction(text, &before);
        assert_eq!(
            i,
            [
                "oxb-1.0-1.noarch",
                "oxa-1.1-1.noarch",
                "a-very-long-package-name-that-wraps-2:3.0-1.noarch"
            ]
        );
        assert_eq!(r, ["oxa-1.0-1.noarch", "oxc-2.0-1.noarch"]);
    }

    #[test]
    fn groups_parse_and_match_like_comps() {
        let text = "Installed Groups:\n   Oxible test group (oxgroup)\nAvailable Environment Groups:\n   \
                    Server (server-product-environment)\nAvailable Groups:\n   Development Tools (development)\n";
        let groups = Group::parse_all(text);
        assert_eq!(groups.len(), 3);
        assert!(groups[0].installed && !groups[0].environment);
        assert!(groups[1].environment && !groups[1].installed);
        assert_eq!(
            Group::find(&groups, "development tools").map(|g| g.id.as_str()),
            Some("development")
        );
        assert_eq!(
            Group::find(&groups, "ox*").map(|g| g.id.as_str()),
            Some("oxgroup")
        );
        assert_eq!(
            Group::find(&groups, "server").map(|g| g.id.as_str()),
            Some("server-product-environment")
        );
        assert!(Group::find(&groups, "nope").is_none());
        let table = "Installing group/module packages:\n oxb  noarch  1.0-1  oxtest  5.9 k\nInstalling Groups:\n Oxible test group\n";
        assert_eq!(transaction(table, &[]).0, ["oxb-1.0-1.noarch"]);
    }

    #[test]
    fn module_streams_parse_and_match_like_module_base() {
        let text = "oxible test modules\nName  Stream   Profiles             Summary\n\
                    oxmod 1 [d][e] default [d] [i], doc oxible test module\n\
                    oxmod 2        default [d]          oxible test module\n\
                    other 3.1 [x]  common [d]           another module\n\
                    \nHint: [d]efault, [e]nabled, [x]disabled, [i]nstalled\n";
        let streams = Stream::parse_all(text);
        assert_eq!(streams.len(), 3);
        assert!(streams[0].enabled && streams[0].installed);
        assert!(!streams[1].enabled && !streams[1].installed);
        assert_eq!(streams[2].stream, "3.1");
        assert!(!streams[2].enabled);
        let names = |spec| {
            let (found, name) = Stream::matching(&streams, spec);
            let found: Vec<String> = found
                .iter()
                .map(|s| format!("{}:{}", s.name, s.stream))
                .collect();
            (found, name.to_string())
        };
        assert_eq!(names("oxmod:2/default").0, ["oxmod:2"]);
        assert_eq!(names("oxmod").0, ["oxmod:1", "oxmod:2"]);
        assert_eq!(names("ox*:1").0, ["oxmod:1"]);
        assert!(names("oxmod:7").0.is_empty());
        assert_eq!(names("oxmod:1:1:c0ffee01/doc").1, "oxmod");
        assert!(Stream::is_installed(&streams, "oxmod"));
        assert!(Stream::is_installed(&streams, "oxmod:1/doc"));
        assert!(!Stream::is_installed(&streams, "oxmod:2"));
        assert!(!Stream::is_installed(&streams, "other"));
        let table = "Installing group/module packages:\n oxm  noarch  1.0-1  oxmod  5.9 k\n\
                     Installing module profiles:\n oxmod/doc\nEnabling module streams:\n oxmod    1\n";
        assert_eq!(transaction(table, &[]).0, ["oxm-1.0-1.noarch"]);
    }

    #[test]
    fn errors_read_like_dnf_exceptions() {
        assert_eq!(
            dnf_error("Last metadata\nError: Unable to find a match: oxz\n"),
            "Unable to find a match: oxz"
        );
        assert_eq!(
            dnf_error("Error: \n Problem: conflicting requests\n  - nothing provides x\n"),
            " Problem: conflicting requests\n  - nothing provides x"
        );
    }
}
