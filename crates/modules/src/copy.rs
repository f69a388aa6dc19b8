//! `copy`: a file (or a directory's files) from the controller, or `content`, to the target;
//! with `remote_src`, a copy from one place on the target to another.
//!
//! As Ansible's copy action and module together: the source's SHA-1 is computed on the
//! controller and compared with the destination's (one probe per file) before anything is
//! sent; content goes through the command's stdin into a temp file beside the destination,
//! which is validated, then renamed over it (one command, backup included). An unchanged file
//! only has its attributes set, through the `file` module, as Ansible does. Directory sources
//! walk the controller's tree; their directories and symlinks are made by the `file` module.

use std::path::{Path, PathBuf};

use md5::Md5;
use oxible_yaml::{Map, Value, ValueKind};
use sha1::{Digest, Sha1};

use crate::fs::{self, Attrs, Install, Mode, Probe, ProbeOutput, Source, Stat, Want};
use crate::{ArgSpec, ArgType, Args, Module, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("src", ArgType::Path),
        ArgSpec::new("content", ArgType::Raw),
        ArgSpec::new("dest", ArgType::Path).required(),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("force", ArgType::Bool).aliases(&["thirsty"]),
        ArgSpec::new("validate", ArgType::Str),
        ArgSpec::new("directory_mode", ArgType::Raw),
        ArgSpec::new("remote_src", ArgType::Bool),
        ArgSpec::new("local_follow", ArgType::Bool),
        ArgSpec::new("checksum", ArgType::Str),
        ArgSpec::new("follow", ArgType::Bool),
        ArgSpec::new("decrypt", ArgType::Bool),
    ];
    fs::with_common::<12, 21>(own)
};

/// Ansible's `C.MAX_FILE_SIZE_FOR_DIFF`: larger files are not diffed.
const MAX_DIFF_SIZE: usize = 104_448;

module!(
    /// The `copy` module.
    pub Copy = "copy", SPEC, run
);

/// One file to send: its bytes and where it goes relative to a directory `dest`.
struct LocalFile {
    /// The controller path (`None` for `content`).
    full: Option<PathBuf>,
    /// The path below `dest` (the base name for a single file).
    rel: String,
    /// The content.
    bytes: Vec<u8>,
    /// The source's permission bits (for `mode=preserve`).
    perm: u32,
}

/// What a controller source holds, as Ansible's `_walk_dirs` lists it.
#[derive(Default)]
struct Tree {
    files: Vec<LocalFile>,
    dirs: Vec<String>,
    /// Symlinks kept as links: (link target, relative path).
    links: Vec<(String, String)>,
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let content = args.get("content");
    let src = args.str("src");
    let mut dest = args.str("dest").unwrap_or_default().to_string();
    match (src, content) {
        (None, None) => return Ok(Outcome::failure("src (or content) is required")),
        (Some(_), Some(_)) => {
            return Ok(Outcome::failure("src and content are mutually exclusive"));
        }
        (None, Some(_)) if dest.ends_with('/') => {
            return Ok(Outcome::failure("can not use content with a dir as dest"));
        }
        _ => {}
    }
    let attrs = Attrs::from_args(&args)?;
    if args.bool("remote_src", false)
        && let Some(src) = src
    {
        return remote(target, &args, &attrs, src, &dest).await;
    }
    let (tree, source_label) = match (content, src) {
        (Some(value), _) => {
            let bytes = match &value.kind {
                ValueKind::Map(_) | ValueKind::Seq(_) => value.py_json(None, false),
                _ => value.py_str(),
            }
            .into_bytes();
            let file = LocalFile {
                full: None,
                rel: "content".into(),
                bytes,
                perm: 0o600,
            };
            (
                Tree {
                    files: vec![file],
                    ..Tree::default()
                },
                None,
            )
        }
        (None, Some(src)) => {
            let found = match locate(&target.controller_search_path, src) {
                Ok(found) => found,
                // The copy action re-raises the lookup failure as an `AnsibleActionFail`
                // without a message of its own.
                Err(msg) => {
                    return Ok(Outcome::action_failure(format!(
                        "Unexpected AnsibleActionFail error: {msg}"
                    )));
                }
            };
            let mut label = found.display().to_string();
            if src.ends_with('/') && !label.ends_with('/') {
                label.push('/');
            }
            let tree = match read_source(&found, src.ends_with('/'), &args) {
                Ok(tree) => tree,
                Err(msg) => return Ok(Outcome::failure(msg)),
            };
            if found.is_dir() && !dest.ends_with('/') {
                dest.push('/');
            }
            (tree, Some(label))
        }
        (None, None) => return Ok(Outcome::failure("src (or content) is required")),
    };
    let follow = tree.dirs.is_empty() && args.bool("follow", false);
    let mut changed = false;
    let mut last: Option<Outcome> = None;
    for file in &tree.files {
        let Some(outcome) = copy_file(target, &args, &attrs, file, &dest, follow).await? else {
            continue;
        };
        if outcome.failed {
            return Ok(outcome);
        }
        changed |= outcome.changed;
        last = Some(outcome);
    }
    let file_args = |path: String, state: &str| {
        let mut map = common_file_args(&args);
        put(&mut map, "path", path);
        put(&mut map, "state", state.to_string());
        map
    };
    for dir in &tree.dirs {
        let mut map = file_args(format!("{dest}{dir}"), "directory");
        map.shift_remove(&Value::from("mode"));
        if let Some(mode) = args.get("directory_mode") {
            map.insert(Value::from("mode"), mode.clone());
        }
        let outcome = run_file(target, &map, None).await?;
        if outcome.failed {
            return Ok(outcome);
        }
        changed |= outcome.changed;
        last = Some(outcome);
    }
    for (link, rel) in &tree.links {
        let mut map = file_args(format!("{dest}{rel}"), "link");
        put(&mut map, "src", link.clone());
        map.insert(Value::from("force"), Value::from(true));
        if args.str("mode") == Some("preserve") {
            map.shift_remove(&Value::from("mode"));
        }
        let outcome = run_file(target, &map, None).await?;
        if outcome.failed {
            return Ok(outcome);
        }
        changed |= outcome.changed;
        last = Some(outcome);
    }
    match last {
        Some(mut outcome) if tree.files.len() == 1 => {
            if let Some(path) = outcome.values.get(&Value::from("path")).cloned() {
                outcome.values.entry(Value::from("dest")).or_insert(path);
            }
            Ok(outcome)
        }
        _ => {
            let mut outcome = Outcome::changed(changed);
            outcome.set("dest", dest.as_str());
            if let Some(label) = source_label {
                outcome.set("src", label);
            }
            Ok(outcome)
        }
    }
}

fn put(map: &mut Map, key: &str, value: String) {
    map.insert(Value::from(key), Value::from(value));
}

/// The task's arguments the `file` module shares (Ansible's `REAL_FILE_ARGS`).
fn common_file_args(args: &Args) -> Map {
    let mut map = Map::new();
    for spec in fs::COMMON_SPEC.iter() {
        if let Some(value) = args.get(spec.name) {
            map.insert(Value::from(spec.name), value.clone());
        }
    }
    map
}

/// Runs the `file` module with `raw` arguments on `target`, from `probed` when given (the
/// path's probe this module already made: no second round trip).
async fn run_file(
    target: &Target,
    raw: &Map,
    probed: Option<ProbeOutput>,
) -> Result<Outcome, ModuleError> {
    let module = crate::file::File;
    let args = Args::validate("file", module.spec(), raw)?;
    crate::file::run_probed(target, args, probed).await
}

/// Ansible's `find_needle('files', src)`: an absolute path, else `<dir>/files/<src>` then
/// `<dir>/<src>` for each directory of the search path (the current directory when empty).
pub(crate) fn locate(search: &[PathBuf], src: &str) -> Result<PathBuf, String> {
    let path = Path::new(src);
    let candidates: Vec<PathBuf> = if path.is_absolute() {
        vec![path.to_path_buf()]
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        let here = [PathBuf::new()];
        let dirs = if search.is_empty() { &here[..] } else { search };
        dirs.iter()
            .map(|d| cwd.join(d))
            .flat_map(|d| [d.join("files").join(src), d.join(src)])
            .collect()
    };
    if let Some(found) = candidates.iter().find(|c| c.exists()) {
        return Ok(found.clone());
    }
    let searched: Vec<String> = candidates
        .iter()
        .map(|c| format!("\t{}", c.display()))
        .collect();
    Err(format!(
        "Could not find or access '{src}'\nSearched in:\n{} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option",
        searched.join("\n")
    ))
}

/// Reads a controller source: one file, or a directory's tree (its contents only when the
/// source ends with `/`).
fn read_source(found: &Path, trailing: bool, args: &Args) -> Result<Tree, String> {
    let mut tree = Tree::default();
    let name = found
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !found.is_dir() {
        tree.files.push(read_file(found, name)?);
        return Ok(tree);
    }
    let rel = if trailing {
        String::new()
    } else {
        format!("{name}/")
    };
    let mut seen = vec![found.canonicalize().map_err(|e| e.to_string())?];
    walk(
        found,
        &rel,
        args.bool("local_follow", true),
        &mut seen,
        &mut tree,
    )?;
    Ok(tree)
}

fn read_file(path: &Path, rel: String) -> Result<LocalFile, String> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| format!("could not find src={}, {e}", path.display());
    let bytes = std::fs::read(path).map_err(fail)?;
    let perm = std::fs::metadata(path).map_err(fail)?.permissions().mode() & 0o7777;
    Ok(LocalFile {
        full: Some(path.to_path_buf()),
        rel,
        bytes,
        perm,
    })
}

/// Adds what is below `dir` to `tree` (`rel` is its path below `dest`, ending with `/` or
/// empty); with `follow`, links to files are read and links to directories walked, unless
/// they lead back to a directory being walked.
fn walk(
    dir: &Path,
    rel: &str,
    follow: bool,
    seen: &mut Vec<PathBuf>,
    tree: &mut Tree,
) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let child = format!("{rel}{}", entry.file_name().to_string_lossy());
        let is_link = entry.file_type().map(|t| t.is_symlink()).unwrap_or(false);
        let real = path.canonicalize().ok();
        let as_link = || {
            std::fs::read_link(&path)
                .map(|t| t.display().to_string())
                .unwrap_or_default()
        };
        match real {
            Some(real) if real.is_dir() && (!is_link || (follow && !seen.contains(&real))) => {
                tree.dirs.push(child.clone());
                seen.push(real.clone());
                walk(&real, &format!("{child}/"), follow, seen, tree)?;
                seen.pop();
            }
            Some(real) if real.is_file() && (!is_link || follow) => {
                tree.files.push(read_file(&real, child)?);
            }
            _ if is_link => tree.links.push((as_link(), child)),
            _ => {}
        }
    }
    Ok(())
}

fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn dirname(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(at) => &path[..at],
        None => ".",
    }
}

fn basename(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The destination as probed: the path, a directory's entry for the source, and the parent.
struct Dest {
    ids: ProbeOutput,
    /// The file to write.
    path: String,
    probe: Probe,
    /// Whether its parent directory exists.
    parent_exists: bool,
    /// Its content (for diffs), when read.
    content: Option<Vec<u8>>,
}

/// Probes `path` and `<path>/<name>` (taken when `path` is a directory) and the parent, in
/// one command (with the content of the regular file among them when `read`).
async fn probe_dest(
    target: &Target,
    path: &str,
    name: &str,
    attrs: &Attrs,
    follow: bool,
    read: bool,
) -> Result<Dest, ModuleError> {
    let alt = join(path, name);
    let want = Want {
        sha1: true,
        realpath: true,
        ..Want::default()
    };
    let (q, qa) = (oxible_shell::quote(path), oxible_shell::quote(&alt));
    let mut script = format!(
        "{}{}{}{}",
        fs::ids_snippet(attrs),
        fs::probe_snippet(&q, want),
        fs::probe_snippet(&qa, want),
        fs::probe_snippet(&oxible_shell::quote(dirname(path)), Want::default()),
    );
    if read {
        script.push_str(&format!(
            "if [ -d {q} ]; then {}; else {}; fi",
            fs::content_snippet(&qa),
            fs::content_snippet(&q)
        ));
    }
    let mut ids = fs::probe(target, &script).await?;
    let content = ids.content.take();
    let records = std::mem::take(&mut ids.records);
    let [first, second, parent] = <[Probe; 3]>::try_from(records).unwrap_or_default();
    let is_dir = |p: &Probe| stat_of(p, follow).is_some_and(Stat::is_dir);
    let (path, probe) = if is_dir(&first) {
        (alt, second)
    } else {
        (path.to_string(), first)
    };
    Ok(Dest {
        ids,
        path,
        probe,
        parent_exists: parent.followed().is_some_and(Stat::is_dir),
        content,
    })
}

/// The destination's stat as Ansible's remote stat sees it (`follow` or not).
fn stat_of(probe: &Probe, follow: bool) -> Option<&Stat> {
    if follow {
        probe.followed()
    } else {
        probe.lstat.as_ref()
    }
}

/// Copies one controller file (Ansible's `_copy_file`); `None` when skipped (`force=false`).
async fn copy_file(
    target: &Target,
    args: &Args,
    attrs: &Attrs,
    file: &LocalFile,
    dest: &str,
    follow: bool,
) -> Result<Option<Outcome>, ModuleError> {
    let dest_file = if dest.ends_with('/') {
        format!("{dest}{}", file.rel)
    } else {
        dest.to_string()
    };
    let found = probe_dest(target, &dest_file, &file.rel, attrs, follow, target.diff).await?;
    if file.full.is_none() && found.path != dest_file {
        return Ok(Some(Outcome::failure(
            "can not use content with a dir as dest",
        )));
    }
    let exists = stat_of(&found.probe, follow).is_some();
    if exists && !args.bool("force", true) {
        return Ok(None);
    }
    let attrs = preserved(attrs, args, file.perm);
    let local_sum = sha1_hex(&file.bytes);
    let dest_sum = stat_of(&found.probe, follow)
        .filter(|st| st.is_reg())
        .and(found.probe.sha1.clone());
    if dest_sum.as_deref() == Some(local_sum.as_str()) {
        let (path, probed) = match (&found.probe.lstat, &found.probe.realpath) {
            (Some(st), Some(real)) if follow && st.is_link() => (real.clone(), None),
            // The file itself was probed (with the ids of owner/group): the file module
            // starts from that probe.
            _ => (
                found.path.clone(),
                Some(ProbeOutput {
                    umask: found.ids.umask,
                    uid: found.ids.uid,
                    gid: found.ids.gid,
                    records: vec![found.probe.clone()],
                    content: None,
                }),
            ),
        };
        let mut map = common_file_args(args);
        put(&mut map, "path", path);
        put(&mut map, "state", "file".into());
        if let Some(fs::Mode::Octal(bits)) = &attrs.mode {
            put(&mut map, "mode", fs::mode_text(*bits));
        }
        let mut outcome = run_file(target, &map, probed).await?;
        if let Some(path) = outcome.values.get(&Value::from("path")).cloned() {
            outcome.set("dest", path);
        }
        outcome.set("checksum", local_sum);
        if outcome.diff.is_none() {
            outcome.diff = Some(Value::seq(Vec::new()));
        }
        return Ok(Some(outcome));
    }
    let diff = if target.diff {
        vec![Value::map(diff_entry(&found, file))]
    } else {
        Vec::new()
    };
    if target.check_mode {
        let mut outcome = Outcome::changed(true);
        outcome.diff = Some(Value::seq(diff));
        return Ok(Some(outcome));
    }
    if let Some(expected) = args.str("checksum")
        && expected != local_sum
    {
        let mut outcome = checksum_mismatch(&local_sum, expected);
        outcome.diff = Some(Value::seq(diff));
        return Ok(Some(outcome));
    }
    if !exists && !found.parent_exists {
        let parent = dirname(&found.path).to_string();
        if !dest.ends_with('/') {
            let mut outcome =
                Outcome::failure(format!("Destination directory {parent} does not exist"));
            outcome.set("checksum", local_sum);
            outcome.diff = Some(Value::seq(Vec::new()));
            return Ok(Some(outcome));
        }
        let mut map = common_file_args(args);
        put(&mut map, "path", parent);
        put(&mut map, "state", "directory".into());
        map.shift_remove(&Value::from("mode"));
        if let Some(mode) = args.get("directory_mode") {
            map.insert(Value::from("mode"), mode.clone());
        }
        let made = run_file(target, &map, None).await?;
        if made.failed {
            return Ok(Some(made));
        }
    }
    let mut outcome = install(
        target,
        args,
        &attrs,
        &found,
        follow,
        Source::Bytes(file.bytes.clone()),
        None,
    )
    .await?;
    if !outcome.failed {
        outcome.set("md5sum", md5_hex(&file.bytes));
    }
    outcome.set("checksum", local_sum);
    outcome.diff = Some(Value::seq(diff));
    Ok(Some(outcome))
}

/// `attrs` with `mode=preserve` resolved to the source's mode.
fn preserved(attrs: &Attrs, args: &Args, perm: u32) -> Attrs {
    let mut attrs = attrs.clone();
    if args.str("mode") == Some("preserve") {
        attrs.mode = Some(Mode::Octal(perm));
    }
    attrs
}

fn checksum_mismatch(actual: &str, expected: &str) -> Outcome {
    let mut outcome =
        Outcome::failure("Copied file does not match the expected checksum. Transfer failed.");
    outcome
        .set("checksum", actual)
        .set("expected_checksum", expected);
    outcome
}

/// Ansible's `_get_diff_data` for one file.
fn diff_entry(found: &Dest, file: &LocalFile) -> Map {
    let mut map = Map::new();
    let mut set = |k: &str, v: Value| {
        map.insert(Value::from(k), v);
    };
    match &found.content {
        _ if found.probe.followed().is_none() => set("before", Value::from("")),
        Some(old) if old.contains(&0) => set("dst_binary", Value::from(1)),
        Some(old) if old.len() > MAX_DIFF_SIZE => {
            set("dst_larger", Value::from(MAX_DIFF_SIZE as i64))
        }
        Some(old) => {
            set("before_header", Value::from(found.path.as_str()));
            set(
                "before",
                Value::from(String::from_utf8_lossy(old).into_owned()),
            );
        }
        None => {}
    }
    if file.bytes.len() > MAX_DIFF_SIZE {
        set("src_larger", Value::from(MAX_DIFF_SIZE as i64));
    } else if file.bytes.contains(&0) {
        set("src_binary", Value::from(1));
    } else {
        let header = match &file.full {
            Some(full) => full.display().to_string(),
            None => found.path.clone(),
        };
        set("after_header", Value::from(header));
        set(
            "after",
            Value::from(String::from_utf8_lossy(&file.bytes).into_owned()),
        );
    }
    map
}

/// Writes `source` over the probed destination (Ansible's module after its checks): backup,
/// validate, atomic rename keeping the old file's mode and owner (`keep` overrides the mode,
/// as `remote_src` copies the source's), then the attributes; the result has the path info.
async fn install(
    target: &Target,
    args: &Args,
    attrs: &Attrs,
    found: &Dest,
    follow: bool,
    source: Source,
    keep: Option<u32>,
) -> Result<Outcome, ModuleError> {
    let (path, old) = match (&found.probe.lstat, &found.probe.realpath) {
        (Some(st), Some(real)) if follow && st.is_link() => {
            (real.clone(), found.probe.target.clone())
        }
        (Some(st), _) if !st.is_link() => (found.path.clone(), Some(st.clone())),
        _ => (found.path.clone(), None),
    };
    let perm = keep
        .or(old.as_ref().map(Stat::perm))
        .unwrap_or(0o666 & !found.ids.umask);
    let st = Stat {
        st_mode: 0o100_000 | perm,
        ..old.clone().unwrap_or_default()
    };
    let after = match attrs.plan(&path, &st, &found.ids, &mut fs::Diff::default()) {
        Ok(after) => after,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let installed = fs::install(
        target,
        Install {
            backup: args.bool("backup", false),
            validate: args.str("validate").map(str::to_string),
            after,
            ..Install::new(
                path.clone(),
                source,
                perm,
                old.as_ref()
                    .filter(|_| keep.is_none())
                    .map(|st| (st.uid, st.gid)),
            )
        },
    )
    .await;
    let installed = match installed {
        Ok(installed) => installed,
        Err(ModuleError::Failed(msg)) => return Ok(Outcome::failure(msg)),
        Err(e) => return Err(e),
    };
    if let Some((rc, stdout, stderr)) = installed.invalid {
        let mut outcome = Outcome::failure("failed to validate");
        outcome
            .set("exit_status", rc)
            .set("stdout", stdout)
            .set("stderr", stderr);
        return Ok(outcome);
    }
    let mut outcome = Outcome::changed(true);
    outcome
        .set("dest", path.as_str())
        .set("src", installed.staged.as_str());
    if let Some(backup) = installed.backup {
        outcome.set("backup_file", backup);
    }
    fs::add_path_info(&mut outcome, &installed.probe);
    Ok(outcome)
}

/// `remote_src`: Ansible's copy module on a source already on the target.
async fn remote(
    target: &Target,
    args: &Args,
    attrs: &Attrs,
    src: &str,
    dest: &str,
) -> Result<Outcome, ModuleError> {
    let follow = args.bool("follow", false);
    let want = Want {
        sha1: true,
        md5: true,
        ..Want::default()
    };
    let source = fs::probe_path(target, src, want, &Attrs::default())
        .await?
        .first();
    let Some(src_st) = source.followed() else {
        return Ok(Outcome::failure(format!("Source {src} not found")));
    };
    if src_st.is_dir() {
        return remote_tree(target, attrs, src, dest).await;
    }
    if !src_st.is_reg() {
        return Ok(Outcome::failure(format!(
            "Cannot copy invalid source '{src}': not a file"
        )));
    }
    let sum = source.sha1.clone().unwrap_or_default();
    if let Some(expected) = args.str("checksum")
        && expected != sum
    {
        return Ok(checksum_mismatch(&sum, expected));
    }
    let found = probe_dest(target, dest, basename(src), attrs, follow, false).await?;
    let mut outcome = Outcome::changed(false);
    let keys = |outcome: &mut Outcome, path: &str| {
        outcome.set("dest", path).set("src", src);
    };
    let exists = found.probe.followed().is_some() || found.probe.lstat.is_some();
    if exists && !args.bool("force", true) {
        outcome.msg = Some("file already exists".into());
        keys(&mut outcome, &found.path);
        return Ok(outcome);
    }
    if !exists && !found.parent_exists {
        return Ok(Outcome::failure(format!(
            "Destination directory {} does not exist",
            dirname(&found.path)
        )));
    }
    let attrs = preserved(attrs, args, src_st.perm());
    let is_link = found.probe.lstat.as_ref().is_some_and(Stat::is_link);
    let dest_sum = found
        .probe
        .followed()
        .filter(|st| st.is_reg())
        .and(found.probe.sha1.clone());
    let differs = dest_sum.as_deref() != Some(sum.as_str()) || is_link;
    if differs && !target.check_mode {
        outcome = install(
            target,
            args,
            &attrs,
            &found,
            follow,
            Source::Remote(src.to_string()),
            found.probe.lstat.as_ref().map(|_| src_st.perm()),
        )
        .await?;
        if outcome.failed {
            return Ok(outcome);
        }
    } else {
        let st = found.probe.followed().cloned().unwrap_or_default();
        let commands = match attrs.plan(&found.path, &st, &found.ids, &mut fs::Diff::default()) {
            Ok(c) => c,
            Err(msg) => return Ok(Outcome::failure(msg)),
        };
        if !target.check_mode {
            fs::run_all(target, &commands).await?;
        }
        outcome.changed = differs || !commands.is_empty();
        keys(&mut outcome, &found.path);
        let after = if target.check_mode || commands.is_empty() {
            found.probe.clone()
        } else {
            fs::probe_path(target, &found.path, Want::default(), &Attrs::default())
                .await?
                .first()
        };
        fs::add_path_info(&mut outcome, &after);
    }
    outcome.set("src", src).set("checksum", sum);
    if let Some(md5) = &source.md5 {
        outcome.set("md5sum", md5.as_str());
    }
    Ok(outcome)
}

/// `remote_src` with a directory: Ansible's `copy_directory` (copy what is missing or differs,
/// keeping modes and symlinks) in one command that prints one line per change.
async fn remote_tree(
    target: &Target,
    attrs: &Attrs,
    src: &str,
    dest: &str,
) -> Result<Outcome, ModuleError> {
    let top = if src.ends_with('/') {
        dest.to_string()
    } else {
        join(dest, basename(src))
    };
    let (qs, qd) = (
        oxible_shell::quote(src.trim_end_matches('/')),
        oxible_shell::quote(&top),
    );
    let act = |command: &str| {
        if target.check_mode {
            "echo C".to_string()
        } else {
            format!("echo C; {command} || exit 1")
        }
    };
    let owner = match (attrs.owner.as_deref(), attrs.group.as_deref()) {
        (None, None) => String::new(),
        (owner, group) => {
            let spec = format!(
                "{}{}",
                owner.unwrap_or_default(),
                group.map(|g| format!(":{g}")).unwrap_or_default()
            );
            let test = [
                owner.map(|o| format!("! -user {}", oxible_shell::quote(o))),
                group.map(|g| format!("! -group {}", oxible_shell::quote(g))),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" -o ");
            format!(
                "if [ -n \"$(find {qd} \\( {test} \\) -print | head -n 1)\" ]; then {}; fi; ",
                act(&format!("chown -R -h {} {qd}", oxible_shell::quote(&spec)))
            )
        }
    };
    let script = format!(
        "{}[ -d {} ] && echo D; if [ ! -e {qd} ]; then {}; else cd {qs} || exit 1; find . -mindepth 1 | while IFS= read -r f; do d={qd}/\"$f\"; \
         if [ -L \"$f\" ]; then [ -e \"$d\" ] || [ -L \"$d\" ] || {{ {}; }}; \
         elif [ -d \"$f\" ]; then [ -d \"$d\" ] || {{ {}; }}; \
         elif ! cmp -s \"$f\" \"$d\"; then {}; fi; done; fi; {owner}{}",
        fs::ids_snippet(attrs),
        oxible_shell::quote(dest),
        act(&format!(
            "mkdir -p -- \"$(dirname -- {qd})\" && cp -RPp -- {qs} {qd}"
        )),
        act("cp -P -- \"$f\" \"$d\""),
        act("mkdir -- \"$d\" && chmod \"$(stat -c %a \"$f\")\" \"$d\""),
        act("cp -p -- \"$f\" \"$d\""),
        fs::probe_snippet(&oxible_shell::quote(dest), Want::default()),
    );
    let out = target.run(&script, None, None).await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
    }
    let ids = ProbeOutput::parse(&out.stdout);
    let mut probe = ids.first();
    let mut outcome = Outcome::changed(out.stdout_text().lines().any(|l| l == "C"));
    let attrs = Attrs {
        owner: None,
        group: None,
        ..attrs.clone()
    };
    if let Some(st) = probe.followed() {
        let commands = match attrs.plan(dest, st, &ids, &mut fs::Diff::default()) {
            Ok(c) => c,
            Err(msg) => return Ok(Outcome::failure(msg)),
        };
        if !commands.is_empty() && !target.check_mode {
            fs::run_all(target, &commands).await?;
            probe = fs::probe_path(target, dest, Want::default(), &Attrs::default())
                .await?
                .first();
        }
        outcome.changed |= !commands.is_empty();
    }
    // As Ansible's module: a directory `dest` is reported joined with the source's base name
    // (empty for a source ending with `/`).
    let reported = if out.stdout_text().lines().any(|l| l == "D") {
        join(dest, src.rsplit('/').next().unwrap_or_default())
    } else {
        dest.to_string()
    };
    outcome
        .set("dest", reported)
        .set("src", src)
        .set("md5sum", Value::null())
        .set("checksum", Value::null());
    fs::add_path_info(&mut outcome, &probe);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_ansible() {
        assert_eq!(
            sha1_hex(b"abc\n"),
            "03cfd743661f07975fa2f1220c5194cbaff48451"
        );
        assert_eq!(md5_hex(b"abc\n"), "0bee89b07a248e27c83fc3d5951213c1");
    }

    #[test]
    fn walks_a_tree_like_ansible() {
        let root = std::env::temp_dir().join(format!("oxible-copy-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("top/sub")).expect("dirs");
        std::fs::write(root.join("top/a"), "a").expect("file");
        std::fs::write(root.join("top/sub/b"), "b").expect("file");
        std::os::unix::fs::symlink("a", root.join("top/l")).expect("link");
        let args = Args::default();
        let tree = read_source(&root.join("top"), false, &args).expect("tree");
        let rels: Vec<&str> = tree.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["top/a", "top/l", "top/sub/b"]);
        assert_eq!(tree.dirs, ["top/sub"]);
        let tree = read_source(&root.join("top"), true, &args).expect("tree");
        assert_eq!(tree.dirs, ["sub"]);
        let missing = locate(std::slice::from_ref(&root), "nope").expect_err("missing");
        assert!(missing.contains("files/nope\n\t"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
