//! Shared helpers for oxible's integration and differential tests.
//!
//! Differential tests run the same input through ansible-core (the oracle, a pinned version
//! installed by `tests/oracle.sh`) and through the `oxible` binary, then compare what each
//! printed. Both run in the same directory with the same environment, with colour off and no
//! user configuration, so differences come from the tools and nothing else.

pub mod hosts;
pub mod pair;

use std::path::{Path, PathBuf};

use oxible_yaml::{Value, ValueKind};
use serde_json::{Value as Json, json};
use std::process::Command;
use std::sync::OnceLock;

/// The root of the workspace.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The directory holding test fixtures (`tests/fixtures`).
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures")
}

/// The oracle venv's `bin` directory, installing the venv on first use.
pub fn oracle_bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = workspace_root().join("tests/oracle.sh");
        let out = Command::new(&script).output().expect("run tests/oracle.sh");
        assert!(
            out.status.success(),
            "tests/oracle.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// The `oxible` binary under test: `$OXIBLE_BIN`, else `target/debug/oxible` (built by the
/// README's test command before `cargo test` runs).
pub fn oxible_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("OXIBLE_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("debug/oxible");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --bin oxible` first",
        bin.display()
    );
    bin
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `cmd` and collects its outcome.
pub fn run(mut cmd: Command) -> Outcome {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A command with the environment both tools share: run in `dir`, no colour, no user config,
/// a private home so nothing from the machine leaks in.
fn base_command(program: &Path, dir: &Path) -> Command {
    let home = std::env::temp_dir().join("oxible-test-home");
    let _ = std::fs::create_dir_all(&home);
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("HOME", &home)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_HOME", home.join(".ansible"))
        .env_remove("ANSIBLE_INVENTORY")
        .env_remove("ANSIBLE_ROLES_PATH");
    cmd
}

/// `ansible-<tool> args…` from the oracle venv, run in `dir`.
pub fn ansible(tool: &str, dir: &Path, args: &[&str]) -> Outcome {
    run(ansible_command(tool, dir, args))
}

/// The command [`ansible`] runs.
fn ansible_command(tool: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = base_command(&oracle_bin_dir().join(format!("ansible-{tool}")), dir);
    // Modules run on the local machine use the oracle venv's Python, never a discovered one.
    cmd.env("ANSIBLE_PYTHON_INTERPRETER", oracle_python())
        .args(args);
    cmd
}

/// `oxible <subcommand> args…`, run in `dir`.
pub fn oxible(subcommand: &str, dir: &Path, args: &[&str]) -> Outcome {
    run(oxible_command(subcommand, dir, args))
}

/// The command [`oxible`] runs.
fn oxible_command(subcommand: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = base_command(&oxible_bin(), dir);
    cmd.arg(subcommand).args(args);
    cmd
}

/// Runs `cmd` in a process group of its own and sends the group SIGINT, as a terminal's `^C`
/// does, once its standard output holds `marker` and one more second has passed.
pub fn run_interrupted(mut cmd: Command, marker: &str) -> Outcome {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .env("PYTHONUNBUFFERED", "1")
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (seen, seen_rx) = std::sync::mpsc::channel();
    let wanted = marker.to_string();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains(&wanted) {
                let _ = seen.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let started = seen_rx.recv_timeout(std::time::Duration::from_secs(120));
    std::thread::sleep(std::time::Duration::from_secs(1));
    let _ = Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    let status = child.wait().expect("wait for the interrupted command");
    let stdout = reader.join().expect("stdout reader");
    assert!(
        started.is_ok(),
        "{marker:?} never appeared:\n{stdout}{stderr}"
    );
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// The oracle venv's Python (with PyYAML, as ansible-core ships it).
pub fn oracle_python() -> PathBuf {
    oracle_bin_dir().join("python")
}

/// The typed view of a value that differential tests compare: `[python type, value]`, containers
/// described recursively (the Python side is `describe` in `tests/oracle_values.py`).
pub fn describe(value: &Value) -> Json {
    match &value.kind {
        ValueKind::Null => json!(["NoneType", null]),
        ValueKind::Bool(b) => json!(["bool", b]),
        ValueKind::Int(i) => json!(["int", i]),
        ValueKind::Float(f) if f.is_nan() => json!(["float", "nan"]),
        ValueKind::Float(f) if f.is_infinite() => {
            json!(["float", if *f > 0.0 { "inf" } else { "-inf" }])
        }
        ValueKind::Float(f) => json!(["float", f]),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => json!(["str", &**s]),
        ValueKind::Timestamp(t) => json!([if t.has_time { "datetime" } else { "date" }, t.text]),
        ValueKind::Seq(items) => json!(["list", items.iter().map(describe).collect::<Vec<_>>()]),
        ValueKind::Map(map) => json!([
            "dict",
            map.iter()
                .map(|(k, v)| json!([describe(k), describe(v)]))
                .collect::<Vec<_>>()
        ]),
    }
}

/// What one tool did to a fixture run: its outcome with run-specific text masked, and the
/// files it left in the work directory (path → (mode, content)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// Exit code.
    pub code: i32,
    /// Standard output, masked (timings, temporary paths).
    pub stdout: String,
    /// Standard error, masked as `stdout`.
    pub stderr: String,
    /// Files left under the work directory.
    pub files: std::collections::BTreeMap<String, (u32, Vec<u8>)>,
}

/// Runs `tests/fixtures/runs/<name>/site.yml` with `tool` (`"ansible"` or `"oxible"`) against
/// localhost over the local connection, in a fresh copy of the fixture, with `-e workdir=<dir>`
/// pointing at a fresh empty directory the playbook may write to. Extra arguments come from
/// the fixture's `args` file (one line = one run; the first line is used) plus `extra`. When
/// `runs` is 2 the playbook runs twice in the same directories and the second run is returned
/// (idempotence checks).
pub fn run_fixture(tool: &str, name: &str, extra: &[&str], runs: usize) -> RunResult {
    run_fixture_by(tool, name, extra, runs, run)
}

/// [`run_fixture`] (once) with the run interrupted by `^C` once `marker` is printed
/// ([`run_interrupted`]).
pub fn interrupt_fixture(tool: &str, name: &str, marker: &str) -> RunResult {
    run_fixture_by(tool, name, &[], 1, |cmd| run_interrupted(cmd, marker))
}

/// [`run_fixture`] with each run's command run by `exec`.
fn run_fixture_by(
    tool: &str,
    name: &str,
    extra: &[&str],
    runs: usize,
    exec: impl Fn(Command) -> Outcome,
) -> RunResult {
    let fixture = fixtures_dir().join("runs").join(name);
    let root =
        std::env::temp_dir().join(format!("oxible-run-{}-{tool}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let play_dir = root.join("play");
    let work = root.join("work");
    copy_dir(&fixture, &play_dir);
    std::fs::create_dir_all(&work).expect("work dir");
    let args_file = std::fs::read_to_string(fixture.join("args")).unwrap_or_default();
    let mut args: Vec<String> = vec![
        "-i".into(),
        "localhost,".into(),
        "-c".into(),
        "local".into(),
        "site.yml".into(),
    ];
    args.extend(
        args_file
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from),
    );
    args.push("-e".into());
    args.push(format!("workdir={}", work.display()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut outcome = None;
    for _ in 0..runs.max(1) {
        outcome = Some(match tool {
            "ansible" => exec(ansible_command("playbook", &play_dir, &argv)),
            _ => exec(oxible_command("playbook", &play_dir, &argv)),
        });
    }
    let outcome = outcome.expect("ran at least once");
    let mut files = std::collections::BTreeMap::new();
    collect_files(&work, &work, &mut files);
    let work = work.display().to_string();
    let play = play_dir.display().to_string();
    let paths = [(work.as_str(), "<WORK>"), (play.as_str(), "<PLAY>")];
    let _ = std::fs::remove_dir_all(&root);
    RunResult {
        code: outcome.code,
        stdout: mask(&outcome.stdout, &paths),
        stderr: mask(&outcome.stderr, &paths),
        files,
    }
}

/// `text` with timings and the given paths replaced by stable markers.
pub(crate) fn mask(text: &str, paths: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (path, marker) in paths {
        out = out.replace(path, marker);
    }
    let mut masked = String::with_capacity(out.len());
    for line in out.lines() {
        let line_masked = mask_jobs(&mask_timings(line));
        if line_masked.trim().is_empty() && !line.trim().is_empty() {
            continue; // a line that only held a results_file
        }
        masked.push_str(&line_masked);
        masked.push('\n');
    }
    masked
}

/// Async job ids (`j123456789.4242`) replaced by `<JID>`, and Ansible's `"results_file": "…"`
/// key dropped: oxible keeps async jobs on the controller, with no results file on the target
/// (docs/COMPATIBILITY.md).
fn mask_jobs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("\"results_file\": \"") {
        out.push_str(&rest[..at]);
        let value = &rest[at + "\"results_file\": \"".len()..];
        let end = value.find('"').map_or(value.len(), |e| e + 1);
        let after = &value[end..];
        rest = after
            .strip_prefix(", ")
            .or_else(|| after.strip_prefix(','))
            .unwrap_or(after);
    }
    out.push_str(rest);
    let mut masked = String::with_capacity(out.len());
    let mut chars = out.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let jid_len = jid_at(&out[i..]);
        if c == 'j' && jid_len > 0 && !out[..i].ends_with(|p: char| p.is_alphanumeric()) {
            masked.push_str("<JID>");
            for _ in 1..jid_len {
                chars.next();
            }
        } else {
            masked.push(c);
        }
    }
    masked
}

/// The length of the job id `text` starts with (`j<digits>.<digits>`), 0 if none.
fn jid_at(text: &str) -> usize {
    let Some(rest) = text.strip_prefix('j') else {
        return 0;
    };
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let head = digits(rest);
    if head == 0 || rest.as_bytes().get(head) != Some(&b'.') {
        return 0;
    }
    let tail = digits(&rest[head + 1..]);
    if tail == 0 { 0 } else { 1 + head + 1 + tail }
}

/// Replaces the values of `"delta"`, `"start"` and `"end"` keys in a JSON-ish line.
fn mask_timings(line: &str) -> String {
    let mut out = line.to_string();
    for key in ["\"delta\": \"", "\"start\": \"", "\"end\": \""] {
        let mut from = 0;
        while let Some(at) = out[from..].find(key) {
            let start = from + at + key.len();
            let Some(len) = out[start..].find('"') else {
                break;
            };
            out.replace_range(start..start + len, "<T>");
            from = start + 3;
        }
    }
    out
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from)
        .expect("read fixture")
        .filter_map(Result::ok)
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut std::collections::BTreeMap<String, (u32, Vec<u8>)>,
) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            out.insert(rel, (0o120000, target.into_bytes()));
        } else if meta.is_dir() {
            out.insert(format!("{rel}/"), (mode, Vec::new()));
            collect_files(root, &path, out);
        } else {
            out.insert(rel, (mode, std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Runs fixture `name` with both tools and asserts identical exit codes, masked output and
/// resulting files; with `idempotent`, also asserts that a second oxible run changes nothing.
pub fn check_run_fixture(name: &str, idempotent: bool) {
    let theirs = run_fixture("ansible", name, &[], 1);
    let ours = run_fixture("oxible", name, &[], 1);
    assert_eq!(
        ours.code, theirs.code,
        "exit code of {name}\n--- ansible\n{}\n--- oxible\n{}",
        theirs.stdout, ours.stdout
    );
    let diff: Vec<String> = theirs
        .stdout
        .lines()
        .zip(ours.stdout.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("line {}:\n  ansible: {a}\n  oxible:  {b}", i + 1))
        .take(10)
        .collect();
    assert!(
        diff.is_empty() && theirs.stdout.lines().count() == ours.stdout.lines().count(),
        "output of {name} differs:\n{}\n--- ansible\n{}\n--- oxible\n{}",
        diff.join("\n"),
        theirs.stdout,
        ours.stdout
    );
    assert_eq!(ours.files, theirs.files, "files left by {name}");
    if idempotent {
        let again = run_fixture("oxible", name, &[], 2);
        assert!(
            again.stdout.contains("changed=0"),
            "second run of {name} changed something:\n{}",
            again.stdout
        );
    }
}
