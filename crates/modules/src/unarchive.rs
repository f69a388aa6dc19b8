//! `unarchive`: unpacks a tar (gz, bz2, xz, zstd) or zip archive into a directory on the
//! target, as Ansible's unarchive action and module together.
//!
//! The action's part: `creates`, the controller's `src` found as `copy` finds it and pushed
//! to a temp directory on the target (or, with `remote_src`, a path there or a URL downloaded
//! there), `dest` must be a directory. The module's part, in shell on the target: the handler
//! is picked in Ansible's order (zip, then GNU tar with `-z`, none, `-j`, `-J`, zstd), the
//! archive is compared with `dest` (`tar --diff`; for zip the `zipinfo -T -s` listing against
//! each path's stat, size, mtime, CRC-32 and mode, with Ansible's itemized `diff`), unpacked
//! only when they differ, then `mode`/`owner`/`group` set on every unpacked path. Check mode
//! works for zip only; tar archives are skipped, as Ansible does.

use std::collections::HashMap;

use oxible_yaml::Value;

use crate::fs::{self, Attrs, ProbeOutput, Stat, Want};
use crate::http::{self, Request, Tool};
use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("src", ArgType::Path).required(),
        ArgSpec::new("dest", ArgType::Path).required(),
        ArgSpec::new("remote_src", ArgType::Bool),
        ArgSpec::new("creates", ArgType::Path),
        ArgSpec::new("list_files", ArgType::Bool),
        ArgSpec::new("keep_newer", ArgType::Bool),
        ArgSpec::new("exclude", ArgType::List),
        ArgSpec::new("include", ArgType::List),
        ArgSpec::new("extra_opts", ArgType::List),
        ArgSpec::new("validate_certs", ArgType::Bool),
        ArgSpec::new("io_buffer_size", ArgType::Int),
        ArgSpec::new("copy", ArgType::Bool),
        ArgSpec::new("decrypt", ArgType::Bool),
    ];
    fs::with_common::<13, 22>(own)
};

module!(
    /// The `unarchive` module (with its action's controller side).
    pub Unarchive = "unarchive", SPEC, run
);

/// The tar handlers after zip, in Ansible's order: class name and compression flag.
const TAR_HANDLERS: [(&str, &str); 5] = [
    ("TgzArchive", "-z"),
    ("TarArchive", ""),
    ("TarBzipArchive", "-j"),
    ("TarXzArchive", "-J"),
    ("TarZstdArchive", "--use-compress-program=zstd"),
];

/// `tar --diff` lines that mean the archive differs, as Ansible's regexes.
fn tar_differs(line: &str, run_uid: i64, attrs: &Attrs) -> bool {
    if line.ends_with(": : Warning: Cannot stat: No such file or directory") {
        return false;
    }
    (run_uid == 0 && attrs.owner.is_none() && line.ends_with(": Uid differs"))
        || (run_uid == 0 && attrs.group.is_none() && line.ends_with(": Gid differs"))
        || (attrs.mode.is_none() && line.ends_with(": Mode differs"))
        || [
            ": Mod time differs",
            ": Warning: Cannot stat: No such file or directory",
            ": Symlink differs",
            ": Contents differ",
            ": Size differs",
        ]
        .iter()
        .any(|end| line.ends_with(end))
        || line.contains(": Invalid owner")
        || line.contains(": Invalid group")
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let mut src = args.str("src").unwrap_or_default().to_string();
    let dest = args.str("dest").unwrap_or_default().to_string();
    args.exclusive(&["include", "exclude"])?;
    if args.get("copy").is_some() && args.get("remote_src").is_some() {
        return Ok(Outcome::action_failure(
            "parameters are mutually exclusive: ('copy', 'remote_src')",
        ));
    }
    let remote_src = match args.get("copy").and_then(Value::as_bool) {
        Some(copy) => !copy,
        None => args.bool("remote_src", false),
    };
    let attrs = Attrs::from_args(&args)?;
    let url_src = remote_src && src.contains("://");
    if !remote_src && src.contains("://") {
        return Ok(Outcome::action_failure(format!(
            "Unsupported option, an URI src ({}) is only supported when remote_src is True",
            http::mask_url(&src)
        )));
    }

    // The controller's file, found before anything runs on the target.
    let local = if remote_src {
        None
    } else {
        match crate::copy::locate(&target.controller_search_path, &src) {
            Ok(found) => match std::fs::read(&found) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    return Ok(Outcome::failure(format!(
                        "Could not read '{}': {e}",
                        found.display()
                    )));
                }
            },
            Err(msg) => return Ok(Outcome::action_failure(msg)),
        }
    };

    // Probe: creates, dest, src, a temp directory when one is needed, ids.
    let qdest = oxible_shell::quote(&dest);
    let mut script = format!("LC_ALL=C; export LC_ALL; {}", fs::ids_snippet(&attrs));
    if let Some(creates) = args.str("creates") {
        script.push_str(&format!(
            "if [ -e {} ]; then echo 'C 1'; exit 0; fi; ",
            oxible_shell::quote(creates)
        ));
    }
    script.push_str(&fs::probe_snippet(&qdest, Want::default()));
    script.push_str(&fs::probe_snippet(
        &oxible_shell::quote(&src),
        Want::default(),
    ));
    if !remote_src || url_src {
        script.push_str("t=$(mktemp -d) && printf 'D %s\\n' \"$t\"; ");
    }
    script.push_str(Tool::detect_snippet());
    script.push_str("printf 'I %s\\n' \"$(id -u)\"; printf 'Z %s\\n' \"$(date +%z)\"; ");
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    if text.lines().any(|l| l == "C 1") {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some(format!(
            "skipped, since {} exists",
            args.str("creates").unwrap_or_default()
        ));
        outcome.set("skipped", true);
        return Ok(outcome);
    }
    let ids = ProbeOutput::parse(&out.stdout);
    let tag = |t: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(t).and_then(|r| r.strip_prefix(' ')))
            .map(str::to_string)
    };
    let tmpdir = tag("D");
    let run_uid: i64 = tag("I").and_then(|u| u.parse().ok()).unwrap_or(0);
    let tz = tag("Z").unwrap_or_default();
    let tool = Tool::from_output(&text);
    let cleanup = |tmpdir: &Option<String>| {
        tmpdir
            .as_ref()
            .map(|t| format!("rm -rf -- {}; ", oxible_shell::quote(t)))
            .unwrap_or_default()
    };
    let dest_probe = ids.records.first().cloned().unwrap_or_default();
    if !dest_probe.followed().is_some_and(Stat::is_dir) {
        target.run(&cleanup(&tmpdir), None, None).await?;
        return Ok(Outcome::action_failure(format!(
            "dest '{dest}' must be an existing dir"
        )));
    }

    // The archive on the target.
    if let Some(bytes) = local {
        let Some(dir) = &tmpdir else {
            return Ok(Outcome::failure(
                "could not make a temp directory on the target",
            ));
        };
        src = format!("{dir}/source");
        target
            .conn
            .put_file(bytes, std::path::Path::new(&src), target.become_.clone())
            .await?;
    } else if url_src {
        let Some(dir) = &tmpdir else {
            return Ok(Outcome::failure(
                "could not make a temp directory on the target",
            ));
        };
        match download(target, tool, &args, &src, dir).await? {
            Ok(path) => src = path,
            Err(msg) => {
                target.run(&cleanup(&tmpdir), None, None).await?;
                return Ok(Outcome::failure(msg));
            }
        }
    } else {
        let src_probe = ids.records.get(1).cloned().unwrap_or_default();
        match src_probe.followed() {
            None => return Ok(Outcome::failure(format!("Source '{src}' does not exist"))),
            Some(st) if st.size == 0 && st.is_reg() => {
                return Ok(Outcome::failure(format!(
                    "Invalid archive '{src}', the file is 0 bytes"
                )));
            }
            _ => {}
        }
    }

    let excludes: Vec<String> = args
        .strings("exclude")
        .iter()
        .map(|e| e.trim_end_matches('/').to_string())
        .collect();
    let zip_excludes = args.strings("exclude");
    let includes = args.strings("include");
    let opts = args.strings("extra_opts");
    let keep_newer = args.bool("keep_newer", false);
    let q = oxible_shell::quote;
    let (qs, qd) = (q(&src), q(&dest));

    // Handler, listing, comparison (and the paths' stats for zip or attributes).
    let mut script = format!(
        "LC_ALL=C; export LC_ALL; s={qs}; d={qd}; TAR=$(command -v gtar || command -v tar); H=; \
         E=$(mktemp) && R=$(mktemp) || exit 1; why() {{ printf '%s' \"$1\" >>\"$R\"; cat \"$E\" >>\"$R\"; printf '\\002' >>\"$R\"; }}; \
         U=$(command -v unzip); \
         if [ -n \"$U\" ] && command -v zipinfo >/dev/null 2>&1; then \
           if unzip -l \"$s\" >/dev/null 2>\"$E\"; then H=ZipArchive; else why \"Command \\\"$U\\\" could not handle archive: \"; fi; fi; \
         if [ -z \"$H\" ] && [ -n \"$U\" ] && unzip -Z 2>&1 | grep -qi zipinfo; then \
           if unzip -l \"$s\" >/dev/null 2>\"$E\"; then H=ZipZArchive; else why \"Command \\\"$U\\\" could not handle archive: \"; fi; fi; "
    );
    // tar's words after the command for `action` (`--list`, `--diff`, `--extract`): the
    // handler's compression flag, extra options, with `attrs` the owner, group and
    // keep-newer options, then the excludes, the archive and the includes.
    let tar_words = |action: &str, flag: &str, attrs_too: bool| {
        let mut words = vec![action.to_string(), "-C".into(), dest.clone()];
        if !flag.is_empty() {
            words.push(flag.to_string());
        }
        if !opts.is_empty() {
            words.push("--show-transformed-names".into());
            words.extend(opts.iter().cloned());
        }
        if attrs_too {
            if let Some(owner) = &attrs.owner {
                words.push(format!("--owner={}", oxible_shell::quote(owner)));
            }
            if let Some(group) = &attrs.group {
                words.push(format!("--group={}", oxible_shell::quote(group)));
            }
            if keep_newer {
                words.push("--keep-newer-files".into());
            }
        }
        words.extend(excludes.iter().map(|e| format!("--exclude={e}")));
        words.extend(["-f".into(), src.clone()]);
        words.extend(includes.iter().cloned());
        words
    };
    // unzip's and zipinfo's trailing words: the excludes, then the includes.
    let zip_filters = || {
        let mut words = Vec::new();
        if !zip_excludes.is_empty() {
            words.push("-x".to_string());
            words.extend(zip_excludes.iter().cloned());
        }
        words.extend(includes.iter().cloned());
        words
    };
    if !target.check_mode {
        script.push_str(
            "if [ -z \"$H\" ] && [ -n \"$TAR\" ] && \"$TAR\" --version 2>/dev/null | head -n1 | grep -q GNU; then ",
        );
        for (name, flag) in TAR_HANDLERS.iter() {
            let words = tar_words("--list", flag, false);
            script.push_str(&format!(
                "if [ -z \"$H\" ]; then if o=$(cd \"$d\" && \"$TAR\" {} 2>\"$E\") && [ -n \"$o\" ]; then H={name}; \
                 else why \"Command \\\"$TAR\\\" could not handle archive: Unable to list files in the archive: \"; fi; fi; ",
                oxible_shell::join(&words)
            ));
        }
        script.push_str("fi; ");
    }
    let flag_of = |handler: &str| {
        TAR_HANDLERS
            .iter()
            .find(|(name, _)| *name == handler)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    };
    // The listing and comparison commands of a handler (`tar` is the tar command's word).
    let commands = |handler: &str, tar: &str| {
        let zip = handler.starts_with("Zip");
        let flag = flag_of(handler);
        let list_cmd = if zip {
            format!("zipinfo -1 {qs}")
        } else {
            let words = tar_words("--list", flag, false);
            format!("(cd {qd} && {tar} {})", oxible_shell::join(&words))
        };
        let check_cmd = if zip {
            let mut words = vec!["zipinfo".to_string()];
            if handler == "ZipZArchive" {
                words = vec!["unzip".into(), "-Zl".into()];
            }
            words.extend(["-T".into(), "-s".into(), src.clone()]);
            words.extend(zip_filters());
            oxible_shell::join(&words)
        } else {
            let words = tar_words("--diff", flag, true);
            format!("(cd {qd} && {tar} {})", oxible_shell::join(&words))
        };
        (list_cmd, check_cmd)
    };
    let stat_loop = format!(
        "while IFS= read -r f; do f=${{f#/}}; p=\"$d/$f\"; if [ -e \"$p\" ] || [ -L \"$p\" ]; then {}; \
         if [ -f \"$p\" ] && ! [ -L \"$p\" ]; then printf 'C %s\\t%s\\n' \"$(gzip -c < \"$p\" | tail -c8 | od -An -tu4 -N4 | tr -d ' ')\" \"$p\"; fi; fi; done",
        fs::stat_line_snippet("\"$p\"")
    );
    let paths_of = |list: &str| {
        format!("{{ {list}; {list} | grep / | cut -d/ -f1; }} 2>/dev/null | {stat_loop}")
    };
    script.push_str("printf 'H %s\\nP %s\\n' \"$H\" \"$TAR\"; ");
    // Each handler's listing and comparison, run for the one picked, in the same command.
    script.push_str("case \"$H\" in\n");
    for handler in ["ZipArchive", "ZipZArchive"]
        .into_iter()
        .chain(TAR_HANDLERS.iter().map(|(name, _)| *name))
    {
        let zip = handler.starts_with("Zip");
        let (list_cmd, check_cmd) = commands(handler, "\"$TAR\"");
        script.push_str(&format!("{handler})\n"));
        script.push_str(&section("list", &format!("{list_cmd} 2>/dev/null")));
        script.push_str(&section(
            "check",
            &format!("{check_cmd} 2>&1; echo \"@rc $?\""),
        ));
        if zip || attrs.any() {
            script.push_str(&section("stat", &paths_of(&list_cmd)));
        }
        if zip {
            script.push_str(&section("crc", &format!("unzip -v {qs} 2>/dev/null")));
        }
        script.push_str(";;\n");
    }
    script.push_str("esac\n");
    script.push_str(&section("why", "cat \"$R\"; rm -f \"$E\" \"$R\""));
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    let line_tag = |t: &str| {
        crate::system::head(&text)
            .lines()
            .find_map(|l| l.strip_prefix(t).and_then(|r| r.strip_prefix(' ')))
            .unwrap_or_default()
            .to_string()
    };
    let handler = line_tag("H");
    let tar_path = line_tag("P");
    if handler.is_empty() {
        target.run(&cleanup(&tmpdir), None, None).await?;
        if target.check_mode {
            let mut outcome = Outcome::changed(false);
            outcome.msg = Some(
                "remote module (ansible.legacy.unarchive) does not support check mode when using gtar"
                    .into(),
            );
            outcome.set("skipped", true).set("failed", false);
            return Ok(outcome);
        }
        let why = sections(&text).get("why").cloned().unwrap_or_default();
        let mut reasons: Vec<&str> = Vec::new();
        for reason in why.split('\u{2}').filter(|r| !r.is_empty()) {
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        return Ok(Outcome::failure(format!(
            "Failed to find handler for \"{src}\". Make sure the required command to extract the file is installed.\n{}",
            reasons.join("\n")
        )));
    }
    let zip = handler.starts_with("Zip");
    let flag = flag_of(&handler);
    let (list_cmd, _) = commands(&handler, &oxible_shell::quote(&tar_path));
    let parts = sections(&text);
    let get = |name: &str| parts.get(name).cloned().unwrap_or_default();
    let files: Vec<String> = get("list")
        .lines()
        .map(|f| f.strip_prefix('/').unwrap_or(f).to_string())
        .filter(|f| {
            if zip && !includes.is_empty() {
                return includes.iter().any(|i| oxible_inventory::fnmatch(i, f));
            }
            let pats = if zip { &zip_excludes } else { &excludes };
            !pats.iter().any(|e| oxible_inventory::fnmatch(e, f))
        })
        .collect();
    let check = get("check");
    let (check_out, check_rc) = match check.rsplit_once("@rc ") {
        Some((out, rc)) => (out.to_string(), rc.trim().parse::<i32>().unwrap_or(1)),
        None => (check.clone(), 1),
    };
    let stats = parse_stats(&get("stat"));

    let mut diff_text: Option<String> = None;
    let unarchived = if zip {
        let compared = compare_zip(
            &check_out,
            check_rc,
            &dest,
            &stats,
            &archive_crcs(&get("crc")),
            &attrs,
            &ids,
            &tz,
            keep_newer,
            &zip_excludes,
        );
        diff_text = Some(compared.1);
        compared.0
    } else {
        !check_out.lines().any(|l| tar_differs(l, run_uid, &attrs))
    };

    let mut outcome = Outcome::changed(false);
    outcome
        .set("handler", handler.as_str())
        .set("dest", dest.as_str())
        .set("src", src.as_str());
    if let Some(diff) = diff_text.as_ref().filter(|d| !d.is_empty()) {
        let mut map = oxible_yaml::Map::new();
        map.insert(Value::from("prepared"), Value::from(diff.as_str()));
        outcome.diff = Some(Value::map(map));
    }
    let mut stats = stats;
    if target.check_mode {
        outcome.changed = !unarchived;
    } else if !unarchived {
        // Unpack, then read the paths' stats again.
        let mut words: Vec<String>;
        if zip {
            words = vec!["unzip".into(), "-o".into()];
            words.extend(opts.iter().cloned());
            words.push(src.clone());
            words.extend(zip_filters());
            words.extend(["-d".into(), dest.clone()]);
        } else {
            words = vec![tar_path.clone()];
            words.extend(tar_words("--extract", flag, true));
        }
        let cmd_path = if zip {
            "$(command -v unzip)".to_string()
        } else {
            String::new()
        };
        let mut script = format!(
            "LC_ALL=C; export LC_ALL; s={qs}; d={qd}; o=$(mktemp) && e=$(mktemp) || exit 1; (cd {qd} && {}) >\"$o\" 2>\"$e\"; rc=$?; ",
            oxible_shell::join(&words)
        );
        script.push_str(&section("rc", "echo $rc"));
        script.push_str(&section("path", &format!("echo \"{cmd_path}\"")));
        script.push_str(&section("err", "cat \"$e\""));
        script.push_str(&section("out", "cat \"$o\"; rm -f \"$o\" \"$e\""));
        if attrs.any() {
            script.push_str(&section("stat", &paths_of(&list_cmd)));
        }
        let out = target.run(&script, None, None).await?;
        let parts = sections(&out.stdout_text());
        let get = |name: &str| parts.get(name).cloned().unwrap_or_default();
        let rc: i64 = get("rc").trim().parse().unwrap_or(1);
        if zip {
            words[0] = get("path").trim().to_string();
        }
        let mut results = oxible_yaml::Map::new();
        results.insert(
            Value::from("cmd"),
            Value::seq(words.iter().map(|w| Value::from(w.as_str())).collect()),
        );
        results.insert(Value::from("err"), Value::from(get("err")));
        results.insert(Value::from("out"), Value::from(get("out")));
        results.insert(Value::from("rc"), Value::from(rc));
        outcome.set("extract_results", Value::map(results));
        if rc != 0 {
            target.run(&cleanup(&tmpdir), None, None).await?;
            outcome.failed = true;
            outcome.msg = Some(format!("failed to unpack {src} to {dest}"));
            return Ok(outcome);
        }
        outcome.changed = true;
        stats = parse_stats(&get("stat"));
    }

    // `changed` comes before the path keys in Ansible's result (a placeholder keeps its place).
    outcome.set("changed", outcome.changed);

    // Attributes on every path of the archive and its top folders.
    let mut commands = Vec::new();
    if !target.check_mode && attrs.any() {
        let mut paths: Vec<String> = files.iter().map(|f| join(&dest, f)).collect();
        let mut tops: Vec<String> = Vec::new();
        for f in &files {
            if let Some((top, _)) = f.split_once('/')
                && !tops.iter().any(|t| t == top)
            {
                tops.push(top.to_string());
            }
        }
        paths.extend(tops.iter().map(|t| format!("{dest}/{t}")));
        let mut seen = std::collections::HashSet::new();
        for path in paths {
            let key = stat_key(&dest, &path);
            if !seen.insert(key.clone()) {
                continue;
            }
            let Some((st, _)) = stats.get(&key) else {
                continue;
            };
            match attrs.plan(&path, st, &ids, &mut fs::Diff::default()) {
                Ok(mut planned) => commands.append(&mut planned),
                Err(msg) => {
                    target.run(&cleanup(&tmpdir), None, None).await?;
                    return Ok(Outcome::failure(msg));
                }
            }
        }
    }
    if !commands.is_empty() {
        outcome.changed = true;
    }
    let mut script = format!("LC_ALL=C; export LC_ALL; {}", cleanup(&tmpdir));
    for command in &commands {
        script.push_str(&format!("{command} || exit 1; "));
    }
    script.push_str(&fs::probe_snippet(&qd, Want::default()));
    let out = target.run(&script, None, None).await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
    }
    fs::add_path_info(&mut outcome, &ProbeOutput::parse(&out.stdout).first());
    if args.bool("list_files", false) {
        outcome.set(
            "files",
            Value::seq(files.iter().map(|f| Value::from(f.as_str())).collect()),
        );
    }
    Ok(outcome)
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The key a stat line is filed under: the path below `dest`, normalized.
fn stat_key(dest: &str, path: &str) -> String {
    fs::normpath(&format!(
        "{}/{}",
        dest,
        path.strip_prefix(dest).unwrap_or(path)
    ))
}

/// The stat lines (`<stat>\t<path>`) and CRC lines (`C <crc>\t<path>`) of a stat loop, by
/// normalized path.
fn parse_stats(text: &str) -> HashMap<String, (Stat, Option<u32>)> {
    let mut map: HashMap<String, (Stat, Option<u32>)> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("C ") {
            if let Some((crc, path)) = rest.split_once('\t')
                && let Some(entry) = map.get_mut(&fs::normpath(path))
            {
                entry.1 = crc.trim().parse().ok();
            }
        } else if let Some((path, st)) = fs::parse_listing_line(line) {
            map.insert(fs::normpath(path), (st, None));
        }
    }
    map
}

/// Days since the epoch of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `zipinfo -T`'s `YYYYMMDD.hhmmss` as seconds since the epoch in the target's zone (`tz` as
/// `date +%z` prints it), as `_valid_time_stamp` + `time.mktime`.
fn zip_time(stamp: &str, tz: &str) -> f64 {
    let num = |a: usize, b: usize| stamp.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let parsed = (|| {
        if stamp.len() != 15 || stamp.as_bytes()[8] != b'.' {
            return None;
        }
        Some((
            num(0, 4)?,
            num(4, 6)?,
            num(6, 8)?,
            num(9, 11)?,
            num(11, 13)?,
            num(13, 15)?,
        ))
    })();
    let (y, mo, d, h, mi, s) = match parsed {
        Some((y, ..)) if y < 1980 => (1980, 1, 1, 0, 0, 0),
        Some((y, ..)) if y > 2107 => (2107, 12, 31, 23, 59, 59),
        Some(t) => t,
        None => (1980, 1, 1, 0, 0, 0),
    };
    let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    let offset = {
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let digits = tz.trim_start_matches(['+', '-']);
        let hh = digits
            .get(0..2)
            .and_then(|x| x.parse::<i64>().ok())
            .unwrap_or(0);
        let mm = digits
            .get(2..4)
            .and_then(|x| x.parse::<i64>().ok())
            .unwrap_or(0);
        sign * (hh * 3600 + mm * 60)
    };
    (local - offset) as f64
}

/// Unix permission letters (`rw-r--r--`) as bits, less `umask`.
fn permstr_to_octal(perm: &str, umask: u32) -> u32 {
    let mut mode = 0;
    for (i, c) in perm.chars().rev().enumerate().take(9) {
        if "rwxst".contains(c) {
            mode |= 1 << i;
        }
    }
    mode & !umask
}

/// Ansible's `ZipArchive.is_unarchived` over the `zipinfo -T -s` listing and the stats of
/// the paths below `dest`: whether nothing differs, and the itemized diff.
#[allow(clippy::too_many_arguments)]
fn compare_zip(
    listing: &str,
    rc: i32,
    dest: &str,
    stats: &HashMap<String, (Stat, Option<u32>)>,
    crcs: &HashMap<String, u32>,
    attrs: &Attrs,
    ids: &ProbeOutput,
    tz: &str,
    keep_newer: bool,
    excludes: &[String],
) -> (bool, String) {
    let mut unarchived = rc == 0;
    let mut includes = 0;
    let mut diff = String::new();
    for line in listing.lines() {
        let pcs = split_fields(line, 7);
        if pcs.len() != 8 || ![7, 8, 10].contains(&pcs[0].len()) || pcs[6].len() != 15 {
            continue;
        }
        let ztype = pcs[0].chars().next().unwrap_or(' ');
        if !"dl-?".contains(ztype) || !pcs[0][1..].chars().all(|c| "rwxstah-".contains(c)) {
            continue;
        }
        let mut permstr = pcs[0][1..].to_string();
        let size: i64 = pcs[3].parse().unwrap_or(-1);
        let path = pcs[7];
        if excludes.iter().any(|e| e == path) {
            continue;
        }
        let ftype = if path.ends_with('/') {
            'd'
        } else if ztype == 'l' {
            'L'
        } else {
            'f'
        };
        let mut file_umask = 0;
        if permstr.len() == 6 {
            permstr = if path.ends_with('/') || permstr == "rwx---" {
                "rwxrwxrwx".into()
            } else {
                "rw-rw-rw-".into()
            };
            file_umask = ids.umask;
        } else if permstr.len() == 7 {
            permstr = if permstr == "rwxa---" {
                "rwxrwxrwx".into()
            } else {
                "rw-rw-rw-".into()
            };
            file_umask = ids.umask;
        }
        let Some((st, crc)) = stats.get(&fs::normpath(&join(dest, path))) else {
            includes += 1;
            diff.push_str(&format!(">{ftype}++++++.?? {path}\n"));
            continue;
        };
        if (ftype == 'd' && !st.is_dir())
            || (ftype == 'f' && !st.is_reg())
            || (ftype == 'L' && !st.is_link())
        {
            includes += 1;
            if ftype == 'f' {
                unarchived = false;
            }
            diff.push_str(&format!("c{ftype}++++++.?? {path}\n"));
            continue;
        }
        let mut itemized: Vec<char> = format!(".{ftype}.......??").chars().collect();
        let mut change = false;
        let timestamp = zip_time(pcs[6], tz);
        if st.is_reg() {
            if keep_newer {
                if timestamp > st.mtime {
                    change = true;
                    itemized[4] = 't';
                } else if timestamp < st.mtime {
                    continue;
                }
            } else if timestamp != st.mtime {
                change = true;
                itemized[4] = 't';
            }
            if size != st.size {
                change = true;
                itemized[3] = 's';
            }
            if *crc != crcs.get(path).copied() {
                change = true;
                itemized[2] = 'c';
            }
        }
        if ftype != 'L' {
            let mode = match &attrs.mode {
                Some(mode) => mode.resolve(st.st_mode, ids.umask).unwrap_or(0),
                None if ztype == '?' => permstr_to_octal(&permstr, 0),
                None => permstr_to_octal(&permstr, file_umask),
            };
            if mode != st.perm() {
                change = true;
                itemized[5] = 'p';
            }
        }
        if let Some(uid) = ids.uid.filter(|_| attrs.owner.is_some())
            && uid != st.uid
        {
            change = true;
            itemized[6] = 'o';
        }
        if let Some(gid) = ids.gid.filter(|_| attrs.group.is_some())
            && gid != st.gid
        {
            change = true;
            itemized[6] = 'g';
        }
        if change {
            includes += 1;
            diff.push_str(&format!("{} {path}\n", itemized.iter().collect::<String>()));
        }
    }
    if includes > 0 {
        unarchived = false;
    }
    (unarchived, diff)
}

/// Python's `line.split(None, max)`: whitespace-separated fields, the rest kept whole.
fn split_fields(line: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while out.len() < max {
        let Some(end) = rest.find(char::is_whitespace) else {
            break;
        };
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// The CRC-32 of every entry, from `unzip -v`'s table (`Length Method Size Cmpr Date Time
/// CRC-32 Name`), as Ansible's `_legacy_file_list` reads it.
fn archive_crcs(text: &str) -> HashMap<String, u32> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let fields = split_fields(line, 7);
        if fields.len() == 8
            && fields[6].len() == 8
            && let Ok(crc) = u32::from_str_radix(fields[6], 16)
        {
            map.insert(fields[7].to_string(), crc);
        }
    }
    map
}

/// `remote_src` URL: downloaded into `dir` on the target; the file's path, or the failure.
async fn download(
    target: &Target,
    tool: Tool,
    args: &Args,
    url: &str,
    dir: &str,
) -> Result<Result<String, String>, ModuleError> {
    let path = format!("{dir}/{}", http::url_filename(url));
    let mut request = Request::from_args(args, url, "GET", 10);
    request.validate_certs = args.bool("validate_certs", true);
    if tool == Tool::Controller {
        let (fetched, body) = http::controller_fetch(&request).map_err(ModuleError::Failed)?;
        if fetched.response.status != 200 {
            return Ok(Err(format!(
                "Failure downloading {}, {}",
                http::mask_url(url),
                fetched.response.error_msg()
            )));
        }
        target
            .conn
            .put_file(body, std::path::Path::new(&path), target.become_.clone())
            .await?;
        return Ok(Ok(path));
    }
    let (script, stdin) = request.script(tool, &format!("out={}", oxible_shell::quote(&path)));
    let out = target.run(&script, None, Some(stdin)).await?;
    let parts = sections(&out.stdout_text());
    let fetched = http::Fetched::from_sections(&parts, tool, url);
    if fetched.response.status == -1 {
        return Ok(Err(format!(
            "Failure downloading {}, {}",
            http::mask_url(url),
            fetched.failure_msg()
        )));
    }
    if fetched.response.status != 200 {
        return Ok(Err(format!(
            "Failure downloading {}, {}",
            http::mask_url(url),
            fetched.response.error_msg()
        )));
    }
    Ok(Ok(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_times_and_perms() {
        assert_eq!(zip_time("19700101.000100", "+0000"), 315_532_800.0);
        assert_eq!(zip_time("20240102.030405", "+0100"), 1_704_161_045.0);
        assert_eq!(permstr_to_octal("rw-r--r--", 0), 0o644);
        assert_eq!(permstr_to_octal("rwxrwxrwx", 0o022), 0o755);
    }

    #[test]
    fn tar_diff_lines() {
        let attrs = Attrs::default();
        assert!(tar_differs("d/a.txt: Mod time differs", 0, &attrs));
        assert!(tar_differs(
            "tar: d/x: Warning: Cannot stat: No such file or directory",
            0,
            &attrs
        ));
        assert!(!tar_differs("d/a.txt: Uid differs", 1000, &attrs));
    }
}
