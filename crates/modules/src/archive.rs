//! `archive` (community.general): packs paths on the target into a tar (gz, bz2, xz, plain) or
//! zip archive, or compresses a single file, as the collection's module does.
//!
//! One probe expands the paths (globs as Python's `glob`, in directory order) and walks the
//! directories (so `archived` lists them in `os.walk` order); then one command builds the
//! archive with tar/zip/gzip/bzip2/xz into a temp file beside `dest` and compares its
//! contents with the existing archive (member names with their metadata for tar, names and
//! CRC-32 for zip, the uncompressed bytes for a compressed file): only a different archive
//! replaces `dest`, so a converged archive reports `changed=false`, as the module's
//! `is_different_from_original`. `remove` deletes the sources afterwards; the file attributes
//! apply to `dest` last.

use std::collections::HashMap;

use oxible_yaml::Value;

use crate::fs::{self, Attrs, ProbeOutput, Want};
use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::List).required(),
        ArgSpec::new("format", ArgType::Str).choices(&["bz2", "gz", "tar", "xz", "zip"]),
        ArgSpec::new("dest", ArgType::Path),
        ArgSpec::new("exclude_path", ArgType::List),
        ArgSpec::new("exclusion_patterns", ArgType::List),
        ArgSpec::new("force_archive", ArgType::Bool),
        ArgSpec::new("remove", ArgType::Bool),
    ];
    fs::with_common::<7, 16>(own)
};

module!(
    /// The `archive` module (`community.general.archive`).
    pub ArchiveModule = "archive", SPEC, run
);

/// `common_path`: the directory all paths share, with a trailing `/`.
fn common_path(paths: &[String]) -> String {
    let dirs: Vec<String> = paths
        .iter()
        .map(|p| format!("{}/", dirname(p)).replace("//", "/"))
        .collect();
    let Some(first) = dirs.first() else {
        return String::new();
    };
    let mut prefix: &str = first;
    for dir in &dirs[1..] {
        let common = prefix
            .chars()
            .zip(dir.chars())
            .take_while(|(a, b)| a == b)
            .count();
        prefix = &prefix[..prefix
            .char_indices()
            .nth(common)
            .map(|(i, _)| i)
            .unwrap_or(prefix.len())];
    }
    let base = dirname_raw(prefix);
    if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    }
}

/// Python's `os.path.dirname`.
fn dirname_raw(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(at) => path[..at].trim_end_matches('/').max("/"),
        None => "",
    }
}

fn dirname(path: &str) -> String {
    let d = dirname_raw(path);
    if d.is_empty() { ".".into() } else { d.into() }
}

/// Whether a name looks like an archive (`is_archive`).
fn is_archive(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".zip",
    ]
    .iter()
    .any(|ext| base.ends_with(ext))
}

/// A shell snippet printing the paths `pattern` expands to, one per line (Python's `glob`:
/// no hidden files, directory order), or the pattern itself when it has no wildcard.
fn expand_snippet(pattern: &str) -> String {
    let q = oxible_shell::quote;
    if !pattern.contains(['*', '?']) {
        return format!("printf '%s\\n' {}", q(pattern));
    }
    let (dir, base) = pattern.rsplit_once('/').unwrap_or((".", pattern));
    if dir.contains(['*', '?', '[']) {
        return format!("for f in {pattern}; do [ -e \"$f\" ] && printf '%s\\n' \"$f\"; done");
    }
    let dir = if dir.is_empty() { "/" } else { dir };
    let hidden = if base.starts_with('.') {
        String::new()
    } else {
        "! -name '.*' ".into()
    };
    format!(
        "find {} -mindepth 1 -maxdepth 1 -name {} {hidden}-print 2>/dev/null | sed 's,^//,/,'",
        q(dir),
        q(base)
    )
}

/// The `os.walk(top)` order of the entries below `top`, from `find`'s listing of
/// `<type>\t<path>` lines (directory order within each directory): per directory, its
/// subdirectories, then its files, then each subdirectory's contents.
fn walk_order(top: &str, listing: &str) -> Vec<String> {
    let mut children: HashMap<String, Vec<(bool, String)>> = HashMap::new();
    for line in listing.lines() {
        let Some((kind, path)) = line.split_once('\t') else {
            continue;
        };
        children
            .entry(dirname(path))
            .or_default()
            .push((kind == "d", path.to_string()));
    }
    let mut out = Vec::new();
    let mut stack = vec![top.trim_end_matches('/').to_string()];
    while let Some(dir) = stack.pop() {
        let entries = children.get(&dir).cloned().unwrap_or_default();
        let dirs: Vec<String> = entries
            .iter()
            .filter(|e| e.0)
            .map(|e| e.1.clone())
            .collect();
        out.extend(dirs.iter().cloned());
        out.extend(entries.iter().filter(|e| !e.0).map(|e| e.1.clone()));
        // Recurse into subdirectories in order: push them reversed.
        for d in dirs.iter().rev() {
            stack.push(d.clone());
        }
    }
    out
}

/// The shell function `sig FILE` printing what identifies an archive's contents for `format`
/// (single: the compressed file's uncompressed bytes).
fn sig_function(format: &str, single: bool) -> String {
    let body = if single {
        let tool = match format {
            "bz2" => "bzip2",
            "xz" => "xz",
            _ => "gzip",
        };
        format!("{tool} -dc < \"$1\" 2>/dev/null | sha1sum")
    } else if format == "zip" {
        "unzip -v \"$1\" 2>/dev/null | awk 'NF>=8 && $7 ~ /^[0-9a-f]{8}$/ {print $7, substr($0, index($0,$8))}' | sort".into()
    } else {
        "tar --full-time -tvf \"$1\" 2>/dev/null | sort".into()
    };
    format!("sig() {{ {body}; }}; ")
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let format = args.str("format").unwrap_or("gz").to_string();
    let raw_paths = args.strings("path");
    let excludes = args.strings("exclude_path");
    let patterns = args.strings("exclusion_patterns");
    let attrs = Attrs::from_args(&args)?;
    let remove = args.bool("remove", false);
    let q = oxible_shell::quote;

    // Probe: expansions, then each expanded path's type and walk.
    let mut script = format!("LC_ALL=C; export LC_ALL; {}", fs::ids_snippet(&attrs));
    for (i, p) in raw_paths.iter().enumerate() {
        script.push_str(&section(&format!("e{i}"), &expand_snippet(p)));
    }
    for (i, p) in excludes.iter().enumerate() {
        script.push_str(&section(&format!("x{i}"), &expand_snippet(p)));
    }
    script.push_str(&section(
        "walk",
        &format!(
            "{{ {}; }} | sort -u | while IFS= read -r p; do if [ -d \"$p\" ] && ! [ -L \"$p\" ]; then printf 'D\\t%s\\n' \"$p\"; find \"$p\" -mindepth 1 -printf '%Y\\t%p\\n' | awk -F'\\t' -v top=\"$p\" '{{print \"W\\t\" top \"\\t\" $0}}'; elif [ -e \"$p\" ] || [ -L \"$p\" ]; then printf 'F\\t%s\\n' \"$p\"; fi; done",
            raw_paths
                .iter()
                .map(|p| expand_snippet(p))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ));
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    let ids = ProbeOutput::parse(crate::system::head(&text).as_bytes());
    let parts = sections(&text);
    let lines_of = |name: &str| -> Vec<String> {
        parts
            .get(name)
            .map(|s| {
                s.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut expanded = Vec::new();
    let mut globby = false;
    for (i, p) in raw_paths.iter().enumerate() {
        globby |= p.contains(['*', '?']);
        expanded.extend(lines_of(&format!("e{i}")));
    }
    let mut expanded_excludes = Vec::new();
    for i in 0..excludes.len() {
        expanded_excludes.extend(lines_of(&format!("x{i}")));
    }
    let mut paths: Vec<String> = expanded
        .iter()
        .filter(|p| !expanded_excludes.contains(p))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    let list =
        |items: &[String]| Value::seq(items.iter().map(|s| Value::from(s.as_str())).collect());
    if paths.is_empty() {
        let mut outcome = Outcome::failure("Error, no source paths were found");
        outcome
            .set("path", raw_paths.join(", "))
            .set("expanded_paths", expanded.join(", "))
            .set("expanded_exclude_paths", expanded_excludes.join(", "));
        return Ok(outcome);
    }
    let mut dirs: Vec<String> = Vec::new();
    let mut exists: Vec<String> = Vec::new();
    let mut walks: HashMap<String, String> = HashMap::new();
    for line in lines_of("walk") {
        let mut fields = line.splitn(3, '\t');
        match (fields.next(), fields.next(), fields.next()) {
            (Some("D"), Some(p), None) => {
                dirs.push(p.to_string());
                exists.push(p.to_string());
            }
            (Some("F"), Some(p), None) => exists.push(p.to_string()),
            (Some("W"), Some(top), Some(rest)) => {
                let entry = walks.entry(top.to_string()).or_default();
                entry.push_str(rest);
                entry.push('\n');
            }
            _ => {}
        }
    }
    let root = common_path(&paths);
    let must_archive =
        args.bool("force_archive", false) || globby || dirs.contains(&paths[0]) || paths.len() > 1;
    let dest = match args.str("dest") {
        Some(dest) => dest.to_string(),
        None if !must_archive => format!("{}.{format}", paths[0]),
        None => {
            let mut outcome = Outcome::failure(
                "Error, must specify \"dest\" when archiving multiple files or trees",
            );
            outcome
                .set("dest", Value::null())
                .set("path", raw_paths.join(", "));
            return Ok(outcome);
        }
    };
    if remove
        && paths
            .iter()
            .any(|p| dest.starts_with(&format!("{}/", p.trim_end_matches('/'))) || &dest == p)
    {
        return Ok(Outcome::failure(
            "Error, created archive can not be contained in source paths when remove=true",
        ));
    }
    let targets: Vec<String> = paths
        .iter()
        .filter(|p| exists.contains(p))
        .cloned()
        .collect();
    let missing: Vec<String> = paths
        .iter()
        .filter(|p| !exists.contains(p))
        .cloned()
        .collect();
    let excluded = |path: &str| {
        let name = path.strip_prefix(&root).unwrap_or(path);
        patterns.iter().any(|p| oxible_inventory::fnmatch(p, name))
    };
    let mut members: Vec<String> = Vec::new();
    for t in &targets {
        if dirs.contains(t) {
            members.extend(walk_order(
                t,
                walks.get(t).map(String::as_str).unwrap_or(""),
            ));
        } else {
            members.push(t.clone());
        }
    }
    let members: Vec<String> = members.into_iter().filter(|m| !excluded(m)).collect();
    let single = !must_archive;

    let mut outcome = Outcome::changed(false);
    let qd = q(&dest);
    let mut state = "absent";
    let mut archived: Vec<String> = Vec::new();
    let mut script = format!("LC_ALL=C; export LC_ALL; d={qd}; ");
    if targets.is_empty() || target.check_mode {
        script.push_str("[ -e \"$d\" ] && echo '@exists'; ");
    } else {
        let names: Vec<String> = if single && (format == "gz" || format == "bz2" || format == "xz")
        {
            Vec::new()
        } else {
            members
                .iter()
                .map(|m| m.strip_prefix(&root).unwrap_or(m).to_string())
                .collect()
        };
        let build = if single && matches!(format.as_str(), "gz" | "bz2" | "xz") {
            let tool = match format.as_str() {
                "bz2" => "bzip2",
                "xz" => "xz",
                _ => "gzip -n",
            };
            format!("{tool} -c < {} > \"$t\"", q(&paths[0]))
        } else {
            let list = names.iter().map(|n| q(n)).collect::<Vec<_>>().join(" ");
            match format.as_str() {
                "zip" => format!("rm -f \"$t\"; (cd {} && zip -q \"$t\" -- {list})", q(&root)),
                other => {
                    let flag = match other {
                        "gz" => "-z",
                        "bz2" => "-j",
                        "xz" => "-J",
                        _ => "",
                    };
                    format!(
                        "tar -c {flag} --no-recursion -f \"$t\" -C {} -- {list}",
                        q(&root)
                    )
                }
            }
        };
        let perm = 0o666 & !ids.umask;
        script.push_str(
            "[ -d \"$(dirname -- \"$d\")\" ] || { printf '\\n\\001nodir\\n'; exit 0; }; ",
        );
        script.push_str(&sig_function(&format, single));
        script.push_str(&format!(
            "t=$(mktemp \"$(dirname -- \"$d\")/.oxible_archive.XXXXXX\") || exit 1; \
             {{ {build}; }} >/dev/null 2>\"$t.e\" || {{ printf '\\n\\001fail\\n'; cat \"$t.e\"; rm -f \"$t\" \"$t.e\"; exit 0; }}; rm -f \"$t.e\"; \
             if [ -f \"$d\" ] && [ \"$(sig \"$d\")\" = \"$(sig \"$t\")\" ]; then rm -f \"$t\"; else \
             if [ -e \"$d\" ]; then chmod --reference=\"$d\" \"$t\"; chown --reference=\"$d\" \"$t\" 2>/dev/null; else chmod {perm:o} \"$t\"; fi; \
             mv -f \"$t\" \"$d\" && echo '@changed'; fi; echo '@exists'; "
        ));
        if remove {
            let mut rm = Vec::new();
            for m in &members {
                rm.push(q(m));
            }
            for p in &targets {
                rm.push(q(p));
            }
            script.push_str(&format!("rm -rf -- {} ; ", rm.join(" ")));
        }
        archived = members.clone();
        state = if single && matches!(format.as_str(), "gz" | "bz2" | "xz") {
            "compress"
        } else if missing.is_empty() || single {
            "archive"
        } else {
            "incomplete"
        };
    }
    script.push_str(&fs::probe_snippet("\"$d\"", Want::default()));
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    let parts = sections(&text);
    if parts.contains_key("nodir") {
        // The module's unhandled OSError, as ansible-core reports it.
        let msg = format!("Module failed: [Errno 2] No such file or directory: '{dest}'");
        let mut outcome = Outcome::failure(format!("Task failed: {msg}"));
        let mut exception = oxible_yaml::Map::new();
        exception.insert(Value::from("msg"), Value::from(msg));
        exception.insert(Value::from("context"), Value::from("task"));
        outcome.set("exception", Value::map(exception));
        return Ok(outcome);
    }
    if let Some(err) = parts.get("fail") {
        let archive_format = if format == "zip" || format == "tar" {
            format.clone()
        } else {
            format!("tar.{format}")
        };
        return Ok(Outcome::failure(format!(
            "Error when writing {archive_format} archive at {dest}: {}",
            err.trim()
        )));
    }
    let head = crate::system::head(&text);
    let dest_exists = head.lines().any(|l| l == "@exists");
    if targets.is_empty() {
        if dest_exists {
            state = if is_archive(&dest) {
                "archive"
            } else {
                "compress"
            };
        }
    } else if target.check_mode {
        outcome.changed = must_archive || !dest_exists;
    } else {
        outcome.changed = head.lines().any(|l| l == "@changed");
    }
    let mut probe = ProbeOutput::parse(head.as_bytes()).first();
    if probe.lstat.is_some() && attrs.any() {
        let st = probe.followed().cloned().unwrap_or_default();
        let commands = match attrs.plan(&dest, &st, &ids, &mut fs::Diff::default()) {
            Ok(commands) => commands,
            Err(msg) => return Ok(Outcome::failure(msg)),
        };
        if !commands.is_empty() {
            outcome.changed = true;
            if !target.check_mode {
                fs::run_all(target, &commands).await?;
                probe = fs::probe_path(target, &dest, Want::default(), &Attrs::default())
                    .await?
                    .first();
            }
        }
    }
    let changed = outcome.changed;
    outcome
        .set("archived", list(&archived))
        .set("dest", dest.as_str())
        .set("dest_state", state)
        .set("changed", changed)
        .set("arcroot", root.as_str())
        .set("missing", list(&missing))
        .set("expanded_paths", list(&expanded))
        .set("expanded_exclude_paths", list(&expanded_excludes));
    fs::add_path_info(&mut outcome, &probe);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_paths_like_the_module() {
        assert_eq!(common_path(&["/a/src".into()]), "/a/");
        assert_eq!(
            common_path(&["/a/src/a.txt".into(), "/a/src/sub".into()]),
            "/a/src/"
        );
        assert_eq!(common_path(&["/a/bc".into(), "/a/bd/x".into()]), "/a/");
        assert!(is_archive("/x/y.TAR.gz"));
        assert!(!is_archive("/x/y.log.gz"));
    }

    #[test]
    fn walks_like_os_walk() {
        let listing = "f\t/t/a.txt\nd\t/t/sub\nf\t/t/sub/b.txt\nd\t/t/sub/deep\nf\t/t/z\n";
        assert_eq!(
            walk_order("/t", listing),
            ["/t/sub", "/t/a.txt", "/t/z", "/t/sub/deep", "/t/sub/b.txt"]
        );
    }
}
