//! `file`: a path's state (file, directory, link, hard link, touched, absent) and its mode,
//! owner and group, as Ansible's `file` module sets them.
//!
//! One probe reads the path (following links when `follow`), the umask and the wanted ids; the
//! changes then run as one command. The result has Ansible's keys (`path` or `dest`/`src`, the
//! path info `uid`, `gid`, `owner`, `group`, `mode`, `state`, `size`) and, with `--diff`, the
//! before/after states.

use oxible_yaml::{Map, Value};

use crate::fs::{self, Attrs, Diff, Probe, ProbeOutput, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new("state", ArgType::Str).choices(&[
            "absent",
            "directory",
            "file",
            "hard",
            "link",
            "touch",
        ]),
        ArgSpec::new("recurse", ArgType::Bool),
        ArgSpec::new("force", ArgType::Bool),
        ArgSpec::new("follow", ArgType::Bool),
        ArgSpec::new("src", ArgType::Path),
        ArgSpec::new("modification_time", ArgType::Str),
        ArgSpec::new("modification_time_format", ArgType::Str),
        ArgSpec::new("access_time", ArgType::Str),
        ArgSpec::new("access_time_format", ArgType::Str),
        ArgSpec::new("_original_basename", ArgType::Str),
        ArgSpec::new("_diff_peek", ArgType::Bool),
    ];
    fs::with_common::<12, 21>(own)
};

module!(
    /// The `file` module.
    pub File = "file", SPEC, run
);

/// What one run decided: the result's keys besides path info, and the commands to run.
struct Plan {
    changed: bool,
    diff: Diff,
    commands: Vec<String>,
    /// The path whose info the result reports.
    path: String,
    /// The keys before path info (`path`, or `dest` and `src`).
    keys: Map,
}

fn failure(msg: String, path: &str) -> Box<Outcome> {
    let mut outcome = Outcome::failure(msg);
    outcome.set("path", path);
    Box::new(outcome)
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    run_probed(target, args, None).await
}

/// The `file` module on `target`, starting from `probed` when the caller already probed
/// `path` (with realpath, and the ids of `owner`/`group`) in its own round trip, as `copy`
/// does before it settles the attributes of an unchanged file.
pub(crate) async fn run_probed(
    target: &Target,
    args: Args,
    probed: Option<fs::ProbeOutput>,
) -> Result<Outcome, ModuleError> {
    let mut path = args.str("path").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let follow = args.bool("follow", true);
    let force = args.bool("force", false);
    let recurse = args.bool("recurse", false);
    let src = args.str("src").map(str::to_string);
    let want = Want {
        realpath: true,
        ..Want::default()
    };
    let mut ids = match probed {
        Some(ids) => ids,
        None => fs::probe_path(target, &path, want, &attrs).await?,
    };
    let mut probe = ids.first();
    let state_arg = args.str("state");
    if !matches!(state_arg, Some("link" | "absent"))
        && probe.followed().is_some_and(fs::Stat::is_dir)
        && let Some(base) = args
            .str("_original_basename")
            .map(str::to_string)
            .or_else(|| src.as_deref().map(basename))
    {
        path = format!("{}/{base}", path.trim_end_matches('/'));
        ids = fs::probe_path(target, &path, want, &attrs).await?;
        probe = ids.first();
    }
    let prev_state = probe.state();
    let state = match state_arg {
        Some(s) => s,
        None if prev_state != "absent" => prev_state,
        None if recurse => "directory",
        None => "file",
    };
    if recurse && state != "directory" {
        return Ok(*failure(
            "recurse option requires state to be 'directory'".into(),
            &path,
        ));
    }
    if src.is_some() && !matches!(state, "link" | "hard") {
        return Ok(*failure(
            "src option requires state to be 'link' or 'hard'".into(),
            &path,
        ));
    }
    let plan = match state {
        "absent" => absent(target, &path, &probe).await?,
        "directory" => directory(target, &path, &probe, &ids, &attrs, follow, recurse).await?,
        "link" | "hard" => {
            link(
                target,
                &path,
                &probe,
                &ids,
                &attrs,
                src.as_deref(),
                force,
                state == "hard",
            )
            .await?
        }
        _ => existing(&path, &probe, &ids, &attrs, follow, state == "touch"),
    };
    let mut plan = match plan {
        Ok(plan) => plan,
        Err(outcome) => return Ok(*outcome),
    };
    let times = match Times::from_args(&args, state) {
        Ok(times) => times,
        Err(msg) => return Ok(*failure(msg, &path)),
    };
    if matches!(state, "touch" | "file" | "directory" | "hard") {
        times.apply(&mut plan, state == "touch", prev_state == "absent");
    }
    if !target.check_mode
        && let Err(ModuleError::Failed(msg)) = fs::run_all(target, &plan.commands).await
    {
        return Ok(*failure(msg, &path));
    }
    let mut outcome = Outcome::changed(plan.changed);
    outcome.values = plan.keys;
    let warnings = attrs.unknown_id_warnings(&ids);
    if target.check_mode && state != "absent" && !warnings.is_empty() {
        outcome.set("warnings", Value::seq(warnings));
    }
    if (plan.changed && !target.check_mode) || plan.path != path {
        probe = fs::probe_path(target, &plan.path, Want::default(), &Attrs::default())
            .await?
            .first();
    }
    fs::add_path_info(&mut outcome, &probe);
    if target.diff {
        outcome.diff = Some(plan.diff.into_value());
    }
    Ok(outcome)
}

fn basename(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string()
}

fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(at) => &path[..at],
        None => ".",
    }
}

fn keys(pairs: &[(&str, Option<&str>)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                Value::from(*k),
                v.map(Value::from).unwrap_or_else(Value::null),
            )
        })
        .collect()
}

type Planned = Result<Plan, Box<Outcome>>;

async fn absent(target: &Target, path: &str, probe: &Probe) -> Result<Planned, ModuleError> {
    let prev = probe.state();
    let map = keys(&[("path", Some(path)), ("state", Some("absent"))]);
    if prev == "absent" {
        return Ok(Ok(Plan {
            changed: false,
            diff: Diff::initial(path, "absent", "absent"),
            commands: Vec::new(),
            path: path.to_string(),
            keys: map,
        }));
    }
    let mut diff = Diff::initial(path, "absent", prev);
    if prev == "directory" && target.diff {
        diff.before.insert(
            Value::from("path_content"),
            walk_listing(target, path).await?,
        );
    }
    Ok(Ok(Plan {
        changed: true,
        diff,
        commands: vec![format!("rm -rf -- {}", oxible_shell::quote(path))],
        path: path.to_string(),
        keys: map,
    }))
}

/// `{directories, files}` under `path` in Python's `os.walk` order, as Ansible's diff lists them.
async fn walk_listing(target: &Target, path: &str) -> Result<Value, ModuleError> {
    let out = target
        .run(
            &format!(
                "find {} -mindepth 1 -printf '%y%Y %h\\t%p\\n'",
                oxible_shell::quote(path)
            ),
            None,
            None,
        )
        .await?;
    let text = out.stdout_text();
    let entries: Vec<(bool, bool, &str, &str)> = text
        .lines()
        .filter_map(|line| {
            let (types, rest) = line.split_once(' ')?;
            let (parent, full) = rest.split_once('\t')?;
            let mut t = types.chars();
            let (own, followed) = (t.next()?, t.next()?);
            Some((own == 'd', followed == 'd', parent, full))
        })
        .collect();
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    let mut stack = vec![path.trim_end_matches('/').to_string()];
    while let Some(dir) = stack.pop() {
        let mut descend = Vec::new();
        for (real_dir, is_dir, parent, full) in &entries {
            if *parent != dir {
                continue;
            }
            if *is_dir {
                dirs.push(Value::from(*full));
                if *real_dir {
                    descend.push(full.to_string());
                }
            } else {
                files.push(Value::from(*full));
            }
        }
        stack.extend(descend.into_iter().rev());
    }
    let mut map = Map::new();
    map.insert(Value::from("directories"), Value::seq(dirs));
    map.insert(Value::from("files"), Value::seq(files));
    Ok(Value::map(map))
}

/// The path whose attributes are managed: the link's target when following a link.
fn resolved(path: &str, probe: &Probe, follow: bool) -> String {
    match (&probe.lstat, &probe.realpath) {
        (Some(st), Some(real)) if follow && st.is_link() && probe.target.is_some() => real.clone(),
        _ => path.to_string(),
    }
}

/// `access_time` and `modification_time`: `now` or `preserve` (the default, except for
/// `state: touch`, whose default is `now`), as Ansible's `file` module.
struct Times {
    access_now: bool,
    modification_now: bool,
}

impl Times {
    fn from_args(args: &Args, state: &str) -> Result<Self, String> {
        let default = if state == "touch" { "now" } else { "preserve" };
        let now = |param: &str| match args.str(param).unwrap_or(default) {
            "now" => Ok(true),
            "preserve" => Ok(false),
            other => Err(format!(
                "{param}={other}: oxible sets times to 'now' or keeps them ('preserve'); explicit timestamps are not supported"
            )),
        };
        Ok(Self {
            access_now: now("access_time")?,
            modification_now: now("modification_time")?,
        })
    }

    /// Makes `plan` touch the times asked for (a change, as in Ansible); `touch` plans start
    /// with a plain `touch`, which keeps its job of creating a missing file.
    fn apply(&self, plan: &mut Plan, touch: bool, absent: bool) {
        let flags = match (self.access_now, self.modification_now) {
            (true, true) => Some(""),
            (true, false) => Some("-a "),
            (false, true) => Some("-m "),
            (false, false) => None,
        };
        let quoted = oxible_shell::quote(&plan.path);
        if touch {
            match flags {
                Some(flags) => plan.commands[0] = format!("touch {flags}-- {quoted}"),
                None if absent => {}
                None => {
                    plan.commands.remove(0);
                    plan.changed = !plan.commands.is_empty();
                }
            }
        } else if let Some(flags) = flags {
            plan.commands.push(format!("touch -c {flags}-- {quoted}"));
            plan.changed = true;
        }
    }
}

/// States `file` and `touch`.
fn existing(
    path: &str,
    probe: &Probe,
    ids: &ProbeOutput,
    attrs: &Attrs,
    follow: bool,
    touch: bool,
) -> Planned {
    let prev = probe.state();
    if touch {
        let mut diff = Diff::initial(path, "touch", prev);
        let map = keys(&[("dest", Some(path))]);
        let quoted = oxible_shell::quote(path);
        let mut commands = vec![format!("touch -- {quoted}")];
        let st = match probe.followed() {
            Some(st) => st.clone(),
            None => fs::Stat {
                st_mode: 0o100_666 & !ids.umask,
                ..fs::Stat::default()
            },
        };
        let mut attr_diff = Diff::default();
        commands.extend(
            attrs
                .plan(path, &st, ids, &mut attr_diff)
                .map_err(|msg| failure(msg, path))?,
        );
        diff.before.extend(attr_diff.before);
        diff.after.extend(attr_diff.after);
        return Ok(Plan {
            changed: true,
            diff,
            commands,
            path: path.to_string(),
            keys: map,
        });
    }
    let real = resolved(path, probe, follow);
    let st = probe.followed().filter(|_| follow).or(probe.lstat.as_ref());
    let state = if follow && prev == "link" {
        match probe.target.as_ref() {
            Some(t) if t.is_dir() => "directory",
            Some(t) if t.nlink > 1 => "hard",
            Some(_) => "file",
            None => "absent",
        }
    } else {
        prev
    };
    let Some(st) = st.filter(|_| matches!(state, "file" | "hard")) else {
        let mut outcome = failure(format!("file ({real}) is {state}, cannot continue"), &real);
        outcome.set("state", state);
        return Err(outcome);
    };
    let mut diff = Diff::initial(&real, "file", state);
    let commands = attrs
        .plan(&real, st, ids, &mut diff)
        .map_err(|msg| failure(msg, &real))?;
    Ok(Plan {
        changed: !commands.is_empty(),
        diff,
        commands,
        path: real.clone(),
        keys: keys(&[("path", Some(&real))]),
    })
}

async fn directory(
    target: &Target,
    path: &str,
    probe: &Probe,
    ids: &ProbeOutput,
    attrs: &Attrs,
    follow: bool,
    recurse: bool,
) -> Result<Planned, ModuleError> {
    let real = resolved(path, probe, follow);
    let prev = if follow && probe.state() == "link" {
        match &probe.target {
            Some(t) if t.is_dir() => "directory",
            Some(_) => "file",
            None => "absent",
        }
    } else {
        probe.state()
    };
    let mut diff = Diff::initial(&real, "directory", prev);
    let map = keys(&[("path", Some(&real))]);
    let quoted = oxible_shell::quote(&real);
    if prev == "absent" && target.check_mode {
        // ansible-core's `ensure_directory` returns here in check mode, before it looks at the
        // attributes: an owner created earlier in the play need not exist yet.
        return Ok(Ok(Plan {
            changed: true,
            diff,
            commands: Vec::new(),
            path: real,
            keys: map,
        }));
    }
    if prev == "absent" {
        // Like `mkdir -p`, with the attributes applied to every directory it creates.
        let st = fs::Stat {
            st_mode: 0o040_777 & !ids.umask,
            ..fs::Stat::default()
        };
        let mut attr_diff = Diff::default();
        let attr_commands = attrs
            .plan("$d", &st, ids, &mut attr_diff)
            .map_err(|msg| failure(msg, &real));
        let attr_commands = match attr_commands {
            Ok(c) => c,
            Err(outcome) => return Ok(Err(outcome)),
        };
        diff.before.extend(attr_diff.before);
        diff.after.extend(attr_diff.after);
        let per_dir = attr_commands
            .iter()
            .map(|c| c.replace("'$d'", "\"$d\""))
            .collect::<Vec<_>>()
            .join(" && ");
        let apply = if per_dir.is_empty() {
            String::new()
        } else {
            format!(" && {{ {per_dir}; }}")
        };
        let script = format!(
            "p={quoted}; d=''; old_ifs=$IFS; IFS=/; set -f; for part in $p; do IFS=$old_ifs; [ -z \"$part\" ] && continue; d=\"${{d%/}}/$part\"; case \"$p\" in /*) ;; *) d=\"${{d#/}}\";; esac; if [ ! -e \"$d\" ]; then mkdir -- \"$d\"{apply} || exit 1; fi; done"
        );
        return Ok(Ok(Plan {
            changed: true,
            diff,
            commands: vec![script],
            path: real,
            keys: map,
        }));
    }
    if prev != "directory" {
        return Ok(Err(failure(
            format!("{real} already exists as a {prev}"),
            &real,
        )));
    }
    let st = probe.followed().cloned().unwrap_or_default();
    let mut commands = match attrs.plan(&real, &st, ids, &mut diff) {
        Ok(c) => c,
        Err(msg) => return Ok(Err(failure(msg, &real))),
    };
    if recurse && attrs.any() {
        commands.extend(recursive(target, &real, ids, attrs).await?);
    }
    Ok(Ok(Plan {
        changed: !commands.is_empty(),
        diff,
        commands,
        path: real,
        keys: map,
    }))
}

/// The attribute commands for everything below `dir` (links themselves, not followed).
async fn recursive(
    target: &Target,
    dir: &str,
    ids: &ProbeOutput,
    attrs: &Attrs,
) -> Result<Vec<String>, ModuleError> {
    let script = format!(
        "LC_ALL=C; export LC_ALL; find {} -mindepth 1 | while IFS= read -r f; do printf 'n %s\\n' \"$f\"; {} done",
        oxible_shell::quote(dir),
        fs::probe_snippet("\"$f\"", Want::default())
    );
    let out = target.run(&script, None, None).await?;
    let names: Vec<String> = out
        .stdout_text()
        .lines()
        .filter_map(|l| l.strip_prefix("n ").map(str::to_string))
        .collect();
    let parsed = ProbeOutput::parse(&out.stdout);
    let mut commands = Vec::new();
    for (name, probe) in names.iter().zip(parsed.records) {
        if let Some(st) = &probe.lstat {
            commands.extend(
                attrs
                    .plan(name, st, ids, &mut Diff::default())
                    .map_err(ModuleError::Failed)?,
            );
        }
    }
    Ok(commands)
}

/// States `link` and `hard`.
#[allow(clippy::too_many_arguments)]
async fn link(
    target: &Target,
    path: &str,
    probe: &Probe,
    ids: &ProbeOutput,
    attrs: &Attrs,
    src: Option<&str>,
    force: bool,
    hard: bool,
) -> Result<Planned, ModuleError> {
    let prev = probe.state();
    let state = if hard { "hard" } else { "link" };
    let fail = |msg: String| Ok(Err(failure(msg, path)));
    let src = match (src, &probe.link) {
        (Some(s), _) => s.to_string(),
        (None, Some(old)) if !hard => old.clone(),
        (None, _) if hard && prev != "hard" => {
            return fail("src is required for creating new hardlinks".into());
        }
        (None, _) if prev != "link" => {
            return fail("src is required for creating new symlinks".into());
        }
        (None, _) => String::new(),
    };
    let base = if prev == "directory" {
        path
    } else {
        dirname(path)
    };
    let absrc = if src.starts_with('/') || hard {
        src.clone()
    } else {
        format!("{}/{src}", base.trim_end_matches('/'))
    };
    let src_probe = fs::probe_path(target, &absrc, Want::default(), &Attrs::default())
        .await?
        .first();
    if src_probe.followed().is_none() && (hard || !force) {
        if hard {
            let mut outcome = Outcome::failure("src does not exist");
            outcome.set("dest", path).set("src", src.as_str());
            return Ok(Err(Box::new(outcome)));
        }
        return fail(format!(
            "src file does not exist, use 'force=yes' if you really want to create the link: {absrc}"
        ));
    }
    let mut diff = Diff::initial(path, state, prev);
    let changed = match prev {
        "absent" => true,
        "directory" if !hard && !force => {
            return fail(format!(
                "refusing to convert from directory to symlink for {path}"
            ));
        }
        "directory" => true,
        "file" | "hard" if !hard && !force => {
            return fail(format!(
                "refusing to convert from {prev} to symlink for {path}"
            ));
        }
        "link" => {
            let old = probe.link.clone().unwrap_or_default();
            let differs = old != src;
            if differs {
                diff.set("src", Value::from(old), Value::from(src.as_str()));
            }
            differs
        }
        "hard" if hard => {
            let same = probe.followed().map(|s| s.inode) == src_probe.followed().map(|s| s.inode);
            if !same && !force {
                let mut outcome =
                    Outcome::failure("Cannot link, different hard link exists at destination");
                outcome.set("dest", path).set("src", src.as_str());
                return Ok(Err(Box::new(outcome)));
            }
            !same
        }
        _ if hard && !force => {
            let mut outcome =
                Outcome::failure(format!("Cannot link, {prev} exists at destination"));
            outcome.set("dest", path).set("src", src.as_str());
            return Ok(Err(Box::new(outcome)));
        }
        _ => true,
    };
    let quoted = oxible_shell::quote(path);
    let mut commands = Vec::new();
    if changed {
        let tool = if hard { "ln" } else { "ln -s" };
        let clear = if prev == "directory" {
            format!("rmdir -- {quoted} && ")
        } else {
            String::new()
        };
        commands.push(format!(
            "{clear}tmp={}/.oxible.$$.tmp && {tool} -- {} \"$tmp\" && mv -f -T -- \"$tmp\" {quoted}",
            oxible_shell::quote(dirname(path)),
            oxible_shell::quote(&src)
        ));
    }
    // Attributes apply to the link's target (follow) once it exists.
    if let Some(st) = src_probe.followed() {
        let attr_path = if hard {
            path.to_string()
        } else {
            absrc.clone()
        };
        match attrs.plan(&attr_path, st, ids, &mut diff) {
            Ok(c) => commands.extend(c),
            Err(msg) => return fail(msg),
        }
    }
    let map = keys(&[("dest", Some(path)), ("src", Some(&src))]);
    Ok(Ok(Plan {
        changed: changed || commands.len() > usize::from(changed),
        diff,
        commands,
        path: path.to_string(),
        keys: map,
    }))
}
