//! Shared helpers for oxible's integration and differential tests.
//!
//! Differential tests run the same input through ansible-core (the oracle, a pinned version
//! installed by `tests/oracle.sh`) and through the `oxible` binary, then compare what each
//! printed. Both run in the same directory with the same environment, with colour off and no
//! user configuration, so differences come from the tools and nothing else.

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
    let mut cmd = base_command(&oracle_bin_dir().join(format!("ansible-{tool}")), dir);
    // Modules run on the local machine use the oracle venv's Python, never a discovered one.
    cmd.env("ANSIBLE_PYTHON_INTERPRETER", oracle_python())
        .args(args);
    run(cmd)
}

/// `oxible <subcommand> args…`, run in `dir`.
pub fn oxible(subcommand: &str, dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = base_command(&oxible_bin(), dir);
    cmd.arg(subcommand).args(args);
    run(cmd)
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
