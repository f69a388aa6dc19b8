//! `lineinfile`: one line present (inserted or replaced) or absent, as Ansible's module decides
//! it: `regexp`/`search_string` find the line to replace, `insertafter`/`insertbefore` (with
//! `EOF`/`BOF`) where a new one goes, `backrefs` expands groups, `firstmatch` stops at the first.

use crate::edit::{self, BackupKey, Edit, WriteOptions, chomp};
use crate::fs::{self, Attrs};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target, pyre};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
        ArgSpec::new("regexp", ArgType::Str).aliases(&["regex"]),
        ArgSpec::new("search_string", ArgType::Str),
        ArgSpec::new("line", ArgType::Str).aliases(&["value"]),
        ArgSpec::new("insertafter", ArgType::Str),
        ArgSpec::new("insertbefore", ArgType::Str),
        ArgSpec::new("backrefs", ArgType::Bool),
        ArgSpec::new("create", ArgType::Bool),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("firstmatch", ArgType::Bool),
        ArgSpec::new("validate", ArgType::Str),
    ];
    crate::fs::with_common::<12, 21>(own)
};

module!(
    /// The `lineinfile` module.
    pub LineInFile = "lineinfile", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["insertbefore", "insertafter"])?;
    args.exclusive(&["regexp", "search_string"])?;
    let path = args.str("path").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let present = args.str("state") != Some("absent");
    let regexp = match args.str("regexp") {
        Some(p) => Some(pyre::compile("regexp", p, false).map_err(ModuleError::Args)?),
        None => None,
    };
    let line = args.str("line");
    if present && args.bool("backrefs", false) && regexp.is_none() {
        return Ok(Outcome::failure("regexp is required with backrefs=true"));
    }
    let Some(line) = line.or((!present).then_some("")) else {
        return Ok(Outcome::failure("line is required with state=present"));
    };
    if !present
        && args.get("line").is_none()
        && regexp.is_none()
        && args.get("search_string").is_none()
    {
        return Ok(Outcome::failure(
            "one of line, search_string, or regexp is required with state=absent",
        ));
    }
    let loaded = edit::load(target, &path, &attrs).await?;
    if loaded.probe.followed().is_some_and(fs::Stat::is_dir) {
        let mut outcome = Outcome::failure(format!("Path {path} is a directory !"));
        outcome.set("rc", 256);
        return Ok(outcome);
    }
    let search = args.str("search_string");
    let matcher = |l: &str| match (&regexp, search) {
        (Some(re), _) => pyre::is_match(re, l),
        (None, Some(s)) => Ok(l.contains(s)),
        (None, None) => Ok(false),
    };
    if !present {
        let Some(text) = &loaded.text else {
            let mut outcome = Outcome::changed(false);
            outcome.msg = Some("file not present".into());
            return Ok(outcome);
        };
        let lines = edit::lines(text);
        let exact = regexp.is_none() && search.is_none();
        let (mut kept, mut found) = (Vec::new(), Vec::new());
        for l in lines {
            let hit = if exact {
                chomp(&l) == line
            } else {
                matcher(&l)?
            };
            if hit { &mut found } else { &mut kept }.push(l);
        }
        let msg = if found.is_empty() {
            String::new()
        } else {
            format!("{} line(s) removed", found.len())
        };
        let edit = Edit {
            new_text: (!found.is_empty()).then(|| kept.concat()),
            msg,
        };
        let mut outcome = edit::apply(
            target,
            &path,
            &loaded,
            edit,
            &attrs,
            write_options(&args),
            BackupKey::Always,
        )
        .await?;
        outcome.set("found", i64::try_from(found.len()).unwrap_or_default());
        return Ok(outcome);
    }
    if loaded.text.is_none() && !args.bool("create", false) {
        let mut outcome = Outcome::failure(format!("Destination {path} does not exist !"));
        outcome.set("rc", 257);
        return Ok(outcome);
    }
    let mut lines = edit::lines(loaded.text.as_deref().unwrap_or_default());
    let (new_lines, msg) = match place(&mut lines, &args, line, regexp.as_ref(), search)? {
        Some(msg) => (Some(lines.concat()), msg),
        None => (None, String::new()),
    };
    let edit = Edit {
        new_text: new_lines,
        msg,
    };
    edit::apply(
        target,
        &path,
        &loaded,
        edit,
        &attrs,
        write_options(&args),
        BackupKey::Always,
    )
    .await
}

fn write_options(args: &Args) -> WriteOptions<'_> {
    WriteOptions {
        backup: args.bool("backup", false),
        validate: args.str("validate"),
    }
}

/// Ansible's `present`: edits `lines`; `Some(msg)` when they changed.
fn place(
    lines: &mut Vec<String>,
    args: &Args,
    line: &str,
    regexp: Option<&oxible_pyre::Regex>,
    search: Option<&str>,
) -> Result<Option<String>, ModuleError> {
    let after = args.str("insertafter");
    let before = args.str("insertbefore");
    let firstmatch = args.bool("firstmatch", false);
    let backrefs = args.bool("backrefs", false);
    let ins = match (after, before) {
        (Some(a), _) if a != "BOF" && a != "EOF" => Some(pyre::compile("insertafter", a, false)),
        (None, Some(b)) if b != "BOF" => Some(pyre::compile("insertbefore", b, false)),
        _ => None,
    }
    .transpose()
    .map_err(ModuleError::Args)?;
    let mut index = [-1_i64, -1_i64];
    let mut matched: Option<String> = None;
    for (n, cur) in lines.iter().enumerate() {
        let hit = match (regexp, search) {
            (Some(re), _) => match pyre::search(re, cur)? {
                Some(c) if backrefs => Some(pyre::expand(line, re, &c)?),
                Some(_) => Some(line.to_string()),
                None => None,
            },
            (None, Some(s)) => cur.contains(s).then(|| line.to_string()),
            _ => None,
        };
        if let Some(new) = hit {
            index[0] = n as i64;
            matched = Some(new);
            if firstmatch {
                break;
            }
        }
    }
    if matched.is_none() {
        for (n, cur) in lines.iter().enumerate() {
            if chomp(cur) == line {
                index[0] = n as i64;
            } else if let Some(re) = &ins
                && pyre::is_match(re, cur)?
            {
                index[1] = if after.is_some() {
                    n as i64 + 1
                } else {
                    n as i64
                };
                if firstmatch {
                    break;
                }
            }
        }
    }
    let added = Some("line added".to_string());
    let nl = |s: &str| format!("{s}\n");
    let fix_last = |lines: &mut Vec<String>| {
        if let Some(last) = lines.last_mut()
            && !last.ends_with(['\n', '\r'])
        {
            last.push('\n');
        }
    };
    let at = |i: i64| usize::try_from(i).unwrap_or_default();
    if index[0] != -1 {
        let new_line = matched.clone().unwrap_or_else(|| line.to_string());
        let new_line = if new_line.ends_with('\n') {
            new_line
        } else {
            nl(&new_line)
        };
        if lines[at(index[0])] != new_line {
            lines[at(index[0])] = new_line;
            return Ok(Some("line replaced".into()));
        }
        return Ok(None);
    }
    if backrefs {
        return Ok(None);
    }
    if before == Some("BOF") || after == Some("BOF") {
        lines.insert(0, nl(line));
        return Ok(added);
    }
    if after == Some("EOF") || index[1] == -1 {
        if lines.last().is_some_and(|l| !l.ends_with(['\n', '\r'])) {
            lines.push("\n".into());
        }
        lines.push(nl(line));
        return Ok(added);
    }
    if after.is_some() {
        let i = at(index[1]);
        if lines.len() == i {
            if chomp(&lines[i - 1]) != line {
                fix_last(lines);
                lines.push(nl(line));
                return Ok(added);
            }
            return Ok(None);
        }
        if chomp(&lines[i]) != line {
            lines.insert(i, nl(line));
            return Ok(added);
        }
        return Ok(None);
    }
    lines.insert(at(index[1]), nl(line));
    Ok(added)
}
