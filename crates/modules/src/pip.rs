//! `pip`: Python packages through the target's own pip, as Ansible's pip module drives it.
//!
//! One shell script per task does what the module does on the target: make the virtualenv when
//! `bin/activate` is missing (`virtualenv_command`, with `--no-site-packages` when the command's
//! `--help` offers it and `-p<python>` unless it is `python3 -m venv`/`pyvenv`), pick pip as
//! Ansible's `_get_pip` does (the virtualenv's `pip3`/`pip`, `executable`, else the interpreter's
//! `python -m pip`, else `pip3` on the PATH), then run `pip install`/`uninstall` with the
//! virtualenv's `bin` first on the PATH. `changed` is decided as Ansible decides it: from pip's
//! own report (`Successfully installed`/`Successfully uninstalled`), or, for requirements files
//! and VCS URLs, from `pip list --format=freeze` before and after, in the same script.
//! Check mode reads the installed set once and compares it with the requested specifiers
//! (PEP 440 versions, as `packaging` 21.3 does), as Ansible's check mode does.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::LazyLock;

use oxible_shell::quote;
use oxible_yaml::Value;
use regex::Regex;

use crate::pkg::set_output;
use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

pub(crate) const SPEC: &[ArgSpec] = &[
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "forcereinstall", "latest", "present"]),
    ArgSpec::new("name", ArgType::List),
    ArgSpec::new("version", ArgType::Str),
    ArgSpec::new("requirements", ArgType::Str),
    ArgSpec::new("virtualenv", ArgType::Path),
    ArgSpec::new("virtualenv_site_packages", ArgType::Bool),
    ArgSpec::new("virtualenv_command", ArgType::Path),
    ArgSpec::new("virtualenv_python", ArgType::Str),
    ArgSpec::new("extra_args", ArgType::Str),
    ArgSpec::new("editable", ArgType::Bool),
    ArgSpec::new("chdir", ArgType::Path),
    ArgSpec::new("executable", ArgType::Path),
    ArgSpec::new("umask", ArgType::Str),
    ArgSpec::new("break_system_packages", ArgType::Bool),
];

module!(
    /// The `pip` module.
    pub Pip = "pip", SPEC, run
);

/// The interpreters Ansible's discovery tries, in order (`INTERPRETER_PYTHON_FALLBACK`); the
/// first found stands for the module's `sys.executable`.
const PYTHONS: &str =
    "python3.13 python3.12 python3.11 python3.10 python3.9 python3.8 /usr/bin/python3 python3";

/// Shell functions the script uses: `bp NAME` finds an executable as Ansible's
/// `get_bin_path` (PATH, then the sbin directories), `bpaths` lists where it looked (for the
/// message), `plist PIP…` reads the installed set into `$T/o` and `$T/e` as `_get_packages`
/// (`pip list --format=freeze`, else `pip freeze`) and says which worked.
const FUNCTIONS: &str = r#"bp() { _i=$IFS; IFS=:; for _d in $PATH /sbin /usr/sbin /usr/local/sbin; do if [ -n "$_d" ] && [ -x "$_d/$1" ] && [ ! -d "$_d/$1" ]; then IFS=$_i; printf '%s\n' "$_d/$1"; return 0; fi; done; IFS=$_i; return 1; }
bpaths() { _r=$PATH; for _d in /sbin /usr/sbin /usr/local/sbin; do case ":$PATH:" in *":$_d:"*) ;; *) [ ! -e "$_d" ] || _r="$_r:$_d";; esac; done; printf '%s\n' "$_r"; }
plist() { if (cd "$D" && LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8 "$@" list --format=freeze) >"$T/o" 2>"$T/e"; then echo list; elif (cd "$D" && "$@" freeze) >"$T/o" 2>"$T/e"; then echo freeze; else echo fail; fi; }
"#;

/// Ansible's `state` → pip subcommand.
fn state_args(state: &str) -> &'static [&'static str] {
    match state {
        "absent" => &["uninstall", "-y"],
        "latest" => &["install", "-U"],
        "forcereinstall" => &["install", "-U", "--force-reinstall"],
        _ => &["install"],
    }
}

/// Runs the task: one script on the target, then Ansible's result from what it reported.
pub(crate) async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if args.get("name").is_none() && args.get("requirements").is_none() {
        return Err(ModuleError::Args(
            "one of the following is required: name, requirements".into(),
        ));
    }
    args.exclusive(&["name", "requirements"])?;
    args.exclusive(&["executable", "virtualenv"])?;
    let request = match Request::new(&args) {
        Ok(request) => request,
        Err(failure) => return Ok(*failure),
    };
    if request.names.is_empty() && request.requirements.is_none() {
        let mut outcome = Outcome::changed(false);
        let warning = Value::from("No valid name or requirements file found.");
        outcome.set("warnings", Value::seq(vec![warning]));
        return Ok(outcome);
    }
    let chdir = args.str("chdir");
    let venv = args
        .str("virtualenv")
        .map(|env| VenvPlan::new(&args, env, chdir));
    let job = Job {
        umask: request.umask,
        chdir,
        venv: venv.as_ref(),
        executable: args.str("executable"),
        break_system: args.bool("break_system_packages", false),
        python: target.python.as_deref(),
    };
    let script = job.script(if target.check_mode {
        Mode::Check {
            list: !request.check_shortcut,
        }
    } else {
        Mode::Run {
            args: &request.install,
            freeze: request.freeze,
        }
    });
    let out = target.run(&script, None, None).await?;
    let stderr = out.stderr_text();
    let secs = sections(&out.stdout_text());
    let env = secs.get("env").map(|e| e.trim_end_matches('\n'));

    if secs.contains_key("novenv") {
        // Check mode stops where the virtualenv would be made.
        return Ok(Outcome::changed(true));
    }
    let venv_out = secs.get("created").map_or("", String::as_str);
    if let Some(fail) = secs.get("fail") {
        return Ok(job.failure(fail, env.unwrap_or_default()));
    }
    if secs.get("vrc").is_some_and(|rc| rc.trim() != "0") {
        let cmd = lines(secs.get("vcmd"));
        return Ok(command_failure(cmd, venv_out, &stderr));
    }
    let pip = lines(secs.get("pip"));
    if target.check_mode {
        return Ok(request.check_outcome(&secs, pip));
    }
    let ran = Ran {
        pip,
        stdout: format!("{venv_out}{}", secs.get("out").map_or("", String::as_str)),
        pip_out: secs.get("out").map_or("", String::as_str),
        stderr: &stderr,
        venv_created: secs.contains_key("vrc"),
        env,
    };
    Ok(request.run_outcome(&secs, ran))
}

/// A section's lines (the words the script printed one per line).
fn lines(text: Option<&String>) -> Vec<String> {
    text.map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// What the pip run reported, for its result.
struct Ran<'a> {
    /// The pip command (`…/bin/pip3`, or `python -m pip`).
    pip: Vec<String>,
    /// The virtualenv command's output, then pip's.
    stdout: String,
    /// pip's own output.
    pip_out: &'a str,
    stderr: &'a str,
    venv_created: bool,
    /// The virtualenv's path as the target expanded it.
    env: Option<&'a str>,
}

/// The task's parameters, checked and turned into pip's arguments as Ansible's `main` does.
struct Request<'a> {
    args: &'a Args,
    state: &'a str,
    names: Vec<String>,
    packages: Vec<Package>,
    version: Option<&'a str>,
    requirements: Option<&'a str>,
    umask: Option<u32>,
    /// pip's arguments after the pip command: subcommand, `extra_args`, then the packages or
    /// `-r file`.
    install: Vec<String>,
    /// Check mode reports a change without looking (`extra_args`, `requirements`, `latest`).
    check_shortcut: bool,
    /// `changed` compares the installed set before and after (requirements, VCS URLs).
    freeze: bool,
}

impl<'a> Request<'a> {
    /// The request, or the failure Ansible reports for these parameters.
    fn new(args: &'a Args) -> Result<Self, Box<Outcome>> {
        let state = args.str("state").unwrap_or("present");
        let names = args.strings("name");
        let version = args.str("version");
        let requirements = args.str("requirements");
        let umask = match args.str("umask") {
            Some(text) => Some(parse_octal(text).ok_or_else(|| {
                let mut outcome = Outcome::failure("umask must be an octal integer");
                outcome.set(
                    "details",
                    format!("invalid literal for int() with base 8: '{text}'"),
                );
                Box::new(outcome)
            })?),
            None => None,
        };
        if state == "latest" && version.is_some() {
            return Err(rejected("version is incompatible with state=latest"));
        }
        let mut packages: Vec<Package> = recover_package_names(&names)
            .iter()
            .map(|n| Package::new(n))
            .collect();
        if let Some(version) = version.filter(|_| !names.is_empty()) {
            if packages.len() > 1 {
                return Err(rejected(
                    "'version' argument is ambiguous when installing multiple package distributions. \
                     Please specify version restrictions next to each package in 'name' argument.",
                ));
            }
            if packages.first().is_some_and(Package::has_version_specifier) {
                return Err(rejected(
                    "The 'version' argument conflicts with any version specifier provided along with a \
                     package name. Please keep the version specifier, but remove the 'version' argument.",
                ));
            }
            if let Some(first) = packages.first_mut() {
                *first = first.with_version(version);
            }
        }

        let mut extra_args = args.str("extra_args").map(str::to_string);
        if args.bool("editable", false) {
            let mut words: Vec<&str> = extra_args
                .as_deref()
                .map(|e| e.split(' ').collect())
                .unwrap_or_default();
            if !words.contains(&"-e") {
                words.push("-e");
                extra_args = Some(words.join(" "));
            }
        }
        let mut install: Vec<String> = state_args(state).iter().map(|s| s.to_string()).collect();
        if let Some(text) = extra_args.as_deref() {
            let words = oxible_shell::split(text, false)
                .map_err(|e| rejected(format!("extra_args: {e}")))?;
            install.extend(words.into_iter().map(|t| t.text));
        }
        if !names.is_empty() {
            install.extend(packages.iter().map(Package::to_string));
        } else if let Some(file) = requirements {
            install.extend(["-r".to_string(), file.to_string()]);
        }
        Ok(Self {
            args,
            state,
            check_shortcut: extra_args.is_some()
                || requirements.is_some()
                || state == "latest"
                || names.is_empty(),
            freeze: requirements.is_some() || names.iter().any(|n| is_vcs_url(n)),
            names,
            packages,
            version,
            requirements,
            umask,
            install,
        })
    }

    /// Check mode's result: would pip change the installed set (`lkind`/`lout`/`lerr` are the
    /// listing and how it was made)?
    fn check_outcome(&self, secs: &HashMap<String, String>, pip: Vec<String>) -> Outcome {
        if self.check_shortcut {
            return Outcome::changed(true);
        }
        let kind = secs.get("lkind").map_or("fail", |k| k.trim());
        let list_out = secs.get("lout").map_or("", String::as_str);
        let list_err = secs.get("lerr").map_or("", String::as_str);
        let mut cmd = pip;
        match kind {
            "list" => cmd.extend(["list".to_string(), "--format=freeze".to_string()]),
            _ => cmd.push("freeze".to_string()),
        }
        if kind == "fail" {
            return command_failure(cmd, list_out, list_err);
        }
        let installed: Vec<&str> = list_out
            .split('\n')
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("You are using")
                    && !l.starts_with("You should consider")
            })
            .collect();
        let changed = self.packages.iter().any(|p| {
            let present = p.is_present(&installed);
            (self.state == "present" && !present) || (self.state == "absent" && present)
        });
        let mut outcome = Outcome::changed(changed);
        outcome.set("cmd", cmd.join(" "));
        set_output(&mut outcome, list_out, list_err);
        outcome
    }

    /// The result of a pip run: `changed` from pip's report, or from the installed set before
    /// and after (`before`/`after`).
    fn run_outcome(&self, secs: &HashMap<String, String>, ran: Ran<'_>) -> Outcome {
        let mut cmd = ran.pip;
        cmd.extend(self.install.iter().cloned());
        let rc = secs.get("rc").map_or("", |r| r.trim());
        let not_installed = self.state == "absent"
            && (ran.pip_out.contains("not installed") || ran.stderr.contains("not installed"));
        if rc != "0" && !(rc == "1" && not_installed) {
            return command_failure(cmd, &ran.stdout, ran.stderr);
        }
        let changed = if self.state == "absent" {
            ran.pip_out.contains("Successfully uninstalled")
        } else {
            match (secs.get("before"), secs.get("after")) {
                (Some(before), Some(after)) => before != after,
                _ => ran.pip_out.contains("Successfully installed"),
            }
        };
        let mut outcome = Outcome::changed(changed || ran.venv_created);
        let text = |v: Option<&str>| v.map_or_else(Value::null, Value::from);
        let name = if self.args.get("name").is_some() {
            Value::seq(self.names.iter().map(|n| Value::from(n.as_str())).collect())
        } else {
            Value::null()
        };
        outcome
            .set("cmd", words(cmd))
            .set("name", name)
            .set("version", text(self.version))
            .set("state", self.state)
            .set("requirements", text(self.requirements))
            .set("virtualenv", text(ran.env));
        set_output(&mut outcome, &ran.stdout, ran.stderr);
        outcome
    }
}

/// A failure for parameters Ansible rejects.
fn rejected(msg: impl Into<String>) -> Box<Outcome> {
    Box::new(Outcome::failure(msg))
}

/// A command line as the list Ansible returns in `cmd`.
fn words(cmd: Vec<String>) -> Value {
    Value::seq(cmd.into_iter().map(Value::from).collect())
}

/// A failed command as Ansible's `_fail`: the command and what it printed.
fn command_failure(cmd: Vec<String>, stdout: &str, stderr: &str) -> Outcome {
    let mut msg = String::new();
    if !stdout.is_empty() {
        msg.push_str(&format!("stdout: {stdout}"));
    }
    if !stderr.is_empty() {
        msg.push_str(&format!("\n:stderr: {stderr}"));
    }
    let mut outcome = Outcome::failure(msg);
    outcome.set("cmd", words(cmd));
    outcome
}

/// What the script does after finding pip.
enum Mode<'a> {
    /// Check mode: report, change nothing; `list` reads the installed set.
    Check { list: bool },
    /// Run pip with `args`; `freeze` reads the installed set before and after.
    Run { args: &'a [String], freeze: bool },
}

/// How the virtualenv is made when missing (Ansible's `setup_virtualenv`).
struct VenvPlan {
    /// The virtualenv's path as a shell expression (`~` expanded on the target).
    path: String,
    /// `virtualenv_command` split as `shlex.split`.
    command: Vec<String>,
    site_packages: bool,
    /// `-p<python>` is added (the command is not `python -m venv`/`pyvenv`).
    python_flag: bool,
    python: Option<String>,
}

impl VenvPlan {
    fn new(args: &Args, env: &str, chdir: Option<&str>) -> Self {
        let path = match chdir {
            Some(dir) if !env.starts_with('/') && !env.starts_with('~') => {
                let sep = if dir.ends_with('/') { "" } else { "/" };
                format!("{}{sep}{}", path_expr(dir), quote(env))
            }
            _ => path_expr(env),
        };
        let text = args.str("virtualenv_command").unwrap_or("virtualenv");
        let command = oxible_shell::split(text, false)
            .map(|t| t.into_iter().map(|t| t.text).collect())
            .unwrap_or_else(|_| vec![text.to_string()]);
        Self {
            path,
            python_flag: !is_venv_command(&command),
            command,
            site_packages: args.bool("virtualenv_site_packages", false),
            python: args.str("virtualenv_python").map(str::to_string),
        }
    }
}

/// The parts of the task the script needs.
struct Job<'a> {
    umask: Option<u32>,
    chdir: Option<&'a str>,
    venv: Option<&'a VenvPlan>,
    executable: Option<&'a str>,
    break_system: bool,
    /// The host's `ansible_python_interpreter`, else discovery's first find.
    python: Option<&'a str>,
}

impl Job<'_> {
    /// The one script of the task: virtualenv, pip, then the listing or the pip run.
    fn script(&self, mode: Mode<'_>) -> String {
        let check = matches!(mode, Mode::Check { .. });
        let mut s = String::from(FUNCTIONS);
        if let Some(mask) = self.umask {
            s += &format!("umask {mask:04o}\n");
        }
        if self.break_system {
            s += "export PIP_BREAK_SYSTEM_PACKAGES=1\n";
        }
        s += "T=$(mktemp -d) || exit 1; trap 'rm -rf \"$T\"' EXIT\n";
        s += &format!(
            "D={}\n",
            self.chdir
                .map_or_else(|| "\"${TMPDIR:-/tmp}\"".to_string(), path_expr)
        );
        s += &match self.python {
            Some(python) => format!("PY=$(command -v {})\n", oxible_shell::quote(python)),
            None => {
                format!("PY=; for _p in {PYTHONS}; do PY=$(command -v \"$_p\") && break; done\n")
            }
        };
        if let Some(venv) = self.venv {
            s += &format!(
                "V={}\n{}",
                venv.path,
                section("env", "printf '%s\\n' \"$V\"")
            );
            s += "if [ ! -e \"$V/bin/activate\" ]; then\n";
            if check {
                s += &section("novenv", "exit 0");
            } else {
                s += &self.venv_script(venv);
            }
            s += "fi\n";
            s += &format!(
                "set --; for _b in pip3 pip; do if [ -e \"$V/bin/$_b\" ] && [ -x \"$V/bin/$_b\" ]; then set -- \"$V/bin/$_b\"; break; fi; done\n[ $# -gt 0 ] || {}\n",
                fail("venvpip", "\"$V\"")
            );
        } else {
            match self.executable {
                // An absolute path (after `~` expansion) is used as it is.
                Some(exe) if exe.starts_with('/') || exe.starts_with("~/") => {
                    s += &format!("set -- {}\n", path_expr(exe))
                }
                Some(exe) => {
                    s += &format!(
                        "_x=$(bp {}) || {}\nset -- \"$_x\"\n",
                        quote(exe),
                        fail("nopip", &quote(exe))
                    )
                }
                None => {
                    s += &format!(
                        "if [ -n \"$PY\" ] && \"$PY\" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec(\"pip\") is None)' 2>/dev/null; then set -- \"$PY\" -m pip\nelse _x=$(bp pip3) || {}\nset -- \"$_x\"; fi\n",
                        fail("nopip", "pip3")
                    );
                }
            }
        }
        s += &section("pip", "printf '%s\\n' \"$@\"");
        match mode {
            Mode::Check { list } => {
                if list {
                    s += &section("lkind", "plist \"$@\"");
                    s += &section("lout", "cat \"$T/o\"");
                    s += &section("lerr", "cat \"$T/e\"");
                }
            }
            Mode::Run { args, freeze } => {
                if freeze {
                    s += &section("before", "plist \"$@\" >/dev/null; cat \"$T/o\"");
                }
                let path = if self.venv.is_some() {
                    "PATH=\"$V/bin:$PATH\" "
                } else {
                    ""
                };
                let words: Vec<String> = args.iter().map(|a| quote(a)).collect();
                s += &section(
                    "out",
                    &format!("(cd \"$D\" && {path}\"$@\" {}); _r=$?", words.join(" ")),
                );
                s += &section("rc", "echo $_r");
                if freeze {
                    s += &section("after", "plist \"$@\" >/dev/null; cat \"$T/o\"");
                }
            }
        }
        s
    }

    /// Creates the missing virtualenv (not in check mode), as `setup_virtualenv`.
    fn venv_script(&self, venv: &VenvPlan) -> String {
        let mut s = String::new();
        let first = venv.command.first().map_or("", String::as_str);
        if first.contains('/') {
            s += &format!("C={}\n", path_expr(first));
        } else {
            s += &format!(
                "C=$(bp {}) || {}\n",
                quote(first),
                fail("bin", &format!("{} \"$(bpaths)\"", quote(first)))
            );
        }
        s += "set --";
        for word in venv.command.iter().skip(1) {
            s += &format!(" {}", quote(word));
        }
        s += "\n";
        if venv.site_packages {
            s += "set -- \"$@\" --system-site-packages\n";
        } else {
            s += &format!(
                "[ -f \"$C\" ] && [ -x \"$C\" ] || {}\n",
                fail("exec", "\"$C\"")
            );
            // The help text keeps its last newline (the `.` guard), as Ansible's message does.
            s += "_h=$(cd \"$D\" && \"$C\" --help 2>&1; _r=$?; echo .; exit $_r); _r=$?; _h=${_h%.}\n";
            s += &format!("[ $_r -eq 0 ] || {}\n", fail("help", "\"$C\" \"$_h\""));
            s += "set -f; for _w in $_h; do if [ \"$_w\" = --no-site-packages ]; then set -- \"$@\" --no-site-packages; break; fi; done; set +f\n";
        }
        if !venv.python_flag && venv.python.is_some() {
            s += &fail("venvpy", "-");
            s += "\n";
        }
        if venv.python_flag {
            match &venv.python {
                Some(py) => s += &format!("set -- \"$@\" {}\n", quote(&format!("-p{py}"))),
                None => s += "set -- \"$@\" \"-p$PY\"\n",
            }
        }
        s += "set -- \"$@\" \"$V\"\n";
        s += &section("vcmd", "printf '%s\\n' \"$C\" \"$@\"");
        s += &section("created", "(cd \"$D\" && \"$C\" \"$@\"); _r=$?");
        s += &section("vrc", "echo $_r; [ $_r -eq 0 ] || exit 0");
        s
    }

    /// The failure the script reported (`kind` first line, details after).
    fn failure(&self, text: &str, env: &str) -> Outcome {
        let mut lines = text.splitn(2, '\n');
        let kind = lines.next().unwrap_or_default();
        let rest = lines.next().unwrap_or_default();
        let rest = rest.strip_suffix('\n').unwrap_or(rest);
        match kind {
            "bin" => {
                let (name, paths) = rest.split_once('\n').unwrap_or((rest, ""));
                Outcome::failure(format!(
                    "Failed to find required executable \"{name}\" in paths: {paths}"
                ))
            }
            "exec" => {
                let mut outcome = Outcome::failure("Error executing command.");
                outcome.set("cmd", format!("{rest} --help")).set("rc", 2);
                set_output(&mut outcome, "", "");
                outcome
            }
            "help" => {
                let (cmd, out) = rest.split_once('\n').unwrap_or((rest, ""));
                Outcome::failure(format!("Could not get output from {cmd} --help: {out}"))
            }
            "venvpy" => Outcome::failure(
                "virtualenv_python should not be used when using the venv module or pyvenv as \
                 virtualenv_command",
            ),
            "venvpip" => Outcome::failure(format!(
                "Unable to find pip in the virtualenv, {env}, under any of these names: pip3, pip. \
                 Make sure pip is present in the virtualenv."
            )),
            _ => Outcome::failure(format!(
                "Unable to find any of {rest} to use.  pip needs to be installed."
            )),
        }
    }
}

/// A shell group that reports failure `kind` (a [`section`] named `fail`: the kind, then each
/// word of `detail` on its own line) and ends the script; it follows `||` or stands alone.
fn fail(kind: &str, detail: &str) -> String {
    format!("{{ printf '\\n\\001fail\\n{kind}\\n'; printf '%s\\n' {detail}; exit 0; }}")
}

/// A path parameter as a shell word, `~` expanded on the target (Ansible's `type='path'`).
fn path_expr(path: &str) -> String {
    if path == "~" {
        "\"$HOME\"".to_string()
    } else if let Some(rest) = path.strip_prefix("~/") {
        format!("\"$HOME\"/{}", quote(rest))
    } else {
        quote(path)
    }
}

/// Python's `int(text, 8)`: an optional `0o` prefix, octal digits, `_` between digits.
fn parse_octal(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    u32::from_str_radix(&t.replace('_', ""), 8).ok()
}

/// Whether `command` runs Python's venv (`pyvenv`, or `-m venv` as argparse reads it).
fn is_venv_command(command: &[String]) -> bool {
    let Some(first) = command.first() else {
        return false;
    };
    if first == "pyvenv" {
        return true;
    }
    let mut module = None;
    let mut words = command.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "-m" {
            module = words.next().cloned();
        } else if let Some(rest) = word.strip_prefix("-m") {
            module = Some(rest.strip_prefix('=').unwrap_or(rest).to_string());
        }
    }
    module.as_deref() == Some("venv")
}

/// A VCS URL (`git+…`, `hg+…`, `svn+…`, `bzr+…`), which Ansible compares by freeze output.
fn is_vcs_url(name: &str) -> bool {
    ["svn+", "git+", "hg+", "bzr+"]
        .iter()
        .any(|p| name.starts_with(p))
}

const OPERATORS: [&str; 7] = [">=", "<=", ">", "<", "==", "!=", "~="];

/// Ansible's `_recover_package_name`: names and version specifiers split by commas (in one
/// string or across list items) joined back into one requirement per package.
fn recover_package_names(names: &[String]) -> Vec<String> {
    let parts: Vec<&str> = names.iter().flat_map(|n| n.split(',')).collect();
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_brackets = false;
    for part in parts {
        let is_name = !OPERATORS.iter().any(|op| part.trim_start().starts_with(op));
        if is_name && !in_brackets {
            if !current.is_empty() {
                out.push(current.join(","));
            }
            current.clear();
        }
        if part.contains('[') {
            in_brackets = true;
        }
        if in_brackets && part.contains(']') {
            in_brackets = false;
        }
        current.push(part);
    }
    out.push(current.join(","));
    out
}

/// PEP 503's normalised project name.
fn canonicalize(name: &str) -> String {
    static SEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[-_.]+").expect("regex"));
    SEP.replace_all(name, "-").to_lowercase()
}

/// One package of `name` as Ansible's `Package`: a parsed requirement, or (a path, a URL) the
/// text itself.
#[derive(Debug, Clone)]
struct Package {
    text: String,
    req: Option<Requirement>,
}

impl Package {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            req: Requirement::parse(text),
        }
    }

    /// The package with `version` added (`==1.0`, or a specifier as given), as
    /// `Package(str(pkg), version)`.
    fn with_version(&self, version: &str) -> Self {
        let version = version.trim_start();
        let sep = if version.starts_with(|c: char| c.is_ascii_digit()) {
            "=="
        } else {
            " "
        };
        let base = self.to_string();
        let joined = format!("{base}{sep}{version}");
        Self {
            text: base,
            req: Requirement::parse(&joined),
        }
    }

    fn has_version_specifier(&self) -> bool {
        self.req.as_ref().is_some_and(|r| !r.specs.is_empty())
    }

    /// Ansible's `_is_present`: some `name==version` line of the installed set satisfies it.
    fn is_present(&self, installed: &[&str]) -> bool {
        let Some(req) = &self.req else {
            return false;
        };
        let want = canonicalize(&req.name);
        installed.iter().any(|line| {
            let mut parts = line.split("==");
            match (parts.next(), parts.next(), parts.next()) {
                (Some(name), Some(version), None) => {
                    canonicalize(name) == want && req.satisfied_by(version)
                }
                _ => false,
            }
        })
    }
}

impl std::fmt::Display for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.req {
            Some(req) => write!(f, "{req}"),
            None => f.write_str(&self.text),
        }
    }
}

/// A PEP 508 requirement as `pkg_resources.Requirement` (packaging 21.3) parses and prints it.
#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    name: String,
    extras: Vec<String>,
    /// `(operator, version)` pairs.
    specs: Vec<(String, String)>,
    url: Option<String>,
    marker: Option<String>,
}

impl Requirement {
    fn parse(text: &str) -> Option<Self> {
        static NAME: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*").expect("regex")
        });
        static EXTRAS: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\[\s*((?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:,\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*)*)?)\]\s*").expect("regex")
        });
        static SPEC: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^(===|~=|==|!=|<=|>=|<|>)\s*").expect("regex"));
        let caps = NAME.captures(text)?;
        let name = caps.get(1)?.as_str().to_string();
        let mut rest = &text[caps.get(0)?.end()..];
        let mut extras = Vec::new();
        if let Some(caps) = EXTRAS.captures(rest) {
            if let Some(list) = caps.get(1) {
                extras = list
                    .as_str()
                    .split(',')
                    .map(|e| safe_extra(e.trim()))
                    .collect();
            }
            rest = &rest[caps.get(0)?.end()..];
        } else if rest.starts_with('[') {
            return None;
        }
        let mut specs = Vec::new();
        let mut url = None;
        if let Some(after) = rest.strip_prefix('@') {
            let after = after.trim_start();
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            let link = &after[..end];
            if !valid_url(link) {
                return None;
            }
            url = Some(link.to_string());
            rest = after[end..].trim_start();
            if !rest.is_empty() && !rest.starts_with(';') {
                return None;
            }
        } else {
            let paren = rest.starts_with('(');
            if paren {
                rest = rest[1..].trim_start();
            }
            while let Some(caps) = SPEC.captures(rest) {
                let op = caps.get(1)?.as_str();
                rest = &rest[caps.get(0)?.end()..];
                let version = match op {
                    "===" => rest.find(char::is_whitespace).unwrap_or(rest.len()),
                    _ => rest
                        .find(|c: char| c == ',' || c == ';' || c == ')' || c.is_whitespace())
                        .unwrap_or(rest.len()),
                };
                let (v, r) = rest.split_at(version);
                if op == "~=" && !compatible_version_ok(v) {
                    return None;
                }
                specs.push((op.to_string(), v.to_string()));
                rest = r.trim_start();
                match rest.strip_prefix(',') {
                    Some(r) => rest = r.trim_start(),
                    None => break,
                }
            }
            if paren {
                rest = rest.strip_prefix(')')?.trim_start();
            }
        }
        let marker = match rest.strip_prefix(';') {
            Some(m) => Some(marker::normalize(m)?),
            None if rest.trim().is_empty() => None,
            None => return None,
        };
        extras.sort();
        extras.dedup();
        Some(Self {
            name,
            extras,
            specs,
            url,
            marker,
        })
    }

    /// `specifier.contains(version, prereleases=True)` for every specifier.
    fn satisfied_by(&self, version: &str) -> bool {
        let Some(v) = Version::parse(version) else {
            return false;
        };
        self.specs
            .iter()
            .all(|(op, spec)| spec_contains(op, spec, &v))
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.extras.is_empty() {
            write!(f, "[{}]", self.extras.join(","))?;
        }
        let mut specs: Vec<String> = self.specs.iter().map(|(o, v)| format!("{o}{v}")).collect();
        specs.sort();
        specs.dedup();
        f.write_str(&specs.join(","))?;
        if let Some(url) = &self.url {
            write!(f, "@ {url}")?;
            if self.marker.is_some() {
                f.write_str(" ")?;
            }
        }
        if let Some(marker) = &self.marker {
            write!(f, "; {marker}")?;
        }
        Ok(())
    }
}

/// PEP 508 environment markers, checked and printed as packaging 21.3's `Marker` does.
mod marker {
    /// The marker variables, with their old spellings (`os.name`) mapped to the new.
    const VARIABLES: &[(&str, &str)] = &[
        ("implementation_version", "implementation_version"),
        (
            "platform_python_implementation",
            "platform_python_implementation",
        ),
        ("implementation_name", "implementation_name"),
        ("python_full_version", "python_full_version"),
        ("platform_release", "platform_release"),
        ("platform_version", "platform_version"),
        ("platform_machine", "platform_machine"),
        ("platform_system", "platform_system"),
        ("python_version", "python_version"),
        ("sys_platform", "sys_platform"),
        ("os_name", "os_name"),
        ("os.name", "os_name"),
        ("sys.platform", "sys_platform"),
        ("platform.version", "platform_version"),
        ("platform.machine", "platform_machine"),
        (
            "platform.python_implementation",
            "platform_python_implementation",
        ),
        ("python_implementation", "platform_python_implementation"),
        ("extra", "extra"),
    ];
    const OPERATORS: &[&str] = &[
        "===", "==", ">=", "<=", "!=", "~=", ">", "<", "not in", "in",
    ];

    /// A parsed marker: comparisons, `and`/`or`, and parenthesised groups.
    enum Node {
        Item(String),
        BoolOp(&'static str),
        Group(Vec<Node>),
    }

    /// The marker as packaging prints it (`python_version > "3"`), or `None` when packaging
    /// rejects it.
    pub(super) fn normalize(text: &str) -> Option<String> {
        let mut rest = text.trim_start();
        let nodes = expr(&mut rest)?;
        rest.trim().is_empty().then(|| list(&nodes, true))
    }

    /// `atom (and|or atom)*`: pyparsing flattens the chain into one list.
    fn expr(rest: &mut &str) -> Option<Vec<Node>> {
        let mut nodes = vec![atom(rest)?];
        while let Some(op) = ["and", "or"].into_iter().find(|op| rest.starts_with(op)) {
            let mut after = rest[op.len()..].trim_start();
            let next = atom(&mut after)?;
            nodes.push(Node::BoolOp(op));
            nodes.push(next);
            *rest = after;
        }
        Some(nodes)
    }

    /// A comparison, or a parenthesised expression.
    fn atom(rest: &mut &str) -> Option<Node> {
        if let Some(inner) = rest.strip_prefix('(') {
            let mut inner = inner.trim_start();
            let nodes = expr(&mut inner)?;
            *rest = inner.strip_prefix(')')?.trim_start();
            return Some(Node::Group(nodes));
        }
        let left = operand(rest)?;
        let op = OPERATORS.iter().find(|op| rest.starts_with(**op))?;
        *rest = rest[op.len()..].trim_start();
        let right = operand(rest)?;
        Some(Node::Item(format!("{left} {op} {right}")))
    }

    /// A variable (its canonical name) or a quoted string (printed in double quotes).
    fn operand(rest: &mut &str) -> Option<String> {
        let text = *rest;
        let (printed, len) =
            if let Some(q) = text.chars().next().filter(|c| *c == '\'' || *c == '"') {
                let end = text[1..].find(q)? + 1;
                (format!("\"{}\"", &text[1..end]), end + 1)
            } else {
                let (name, canonical) = VARIABLES
                    .iter()
                    .filter(|(name, _)| text.starts_with(name))
                    .max_by_key(|(name, _)| name.len())?;
                (canonical.to_string(), name.len())
            };
        *rest = text[len..].trim_start();
        Some(printed)
    }

    /// packaging's `_format_marker`: a lone item or group loses its parentheses, the top level
    /// never has any.
    fn list(nodes: &[Node], first: bool) -> String {
        if let [only] = nodes
            && !matches!(only, Node::BoolOp(_))
        {
            return one(only, true);
        }
        let inner: Vec<String> = nodes.iter().map(|n| one(n, false)).collect();
        if first {
            inner.join(" ")
        } else {
            format!("({})", inner.join(" "))
        }
    }

    /// One node of a list, printed.
    fn one(node: &Node, first: bool) -> String {
        match node {
            Node::Item(text) => text.clone(),
            Node::BoolOp(op) => op.to_string(),
            Node::Group(nodes) => list(nodes, first),
        }
    }
}

/// `pkg_resources.safe_extra`.
fn safe_extra(extra: &str) -> String {
    static BAD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[^A-Za-z0-9.-]+").expect("regex"));
    BAD.replace_all(extra, "_").to_lowercase()
}

/// packaging's URL check for `name @ url`.
fn valid_url(url: &str) -> bool {
    match url.split_once(':') {
        Some((scheme, rest)) if !scheme.is_empty() => {
            scheme == "file"
                || rest
                    .strip_prefix("//")
                    .is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        }
        _ => false,
    }
}

/// `~=` needs a PEP 440 version with at least two release numbers and no local part.
fn compatible_version_ok(version: &str) -> bool {
    Version::parse(version).is_some_and(|v| v.release.len() >= 2 && v.local.is_none())
        && !version.contains('*')
}

/// A PEP 440 version (packaging's `Version`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// `(0 a | 1 b | 2 rc, n)`.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<Vec<String>>,
}

impl Version {
    fn parse(text: &str) -> Option<Self> {
        static RE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"(?ix)^\s*v?
                (?:(?P<epoch>[0-9]+)!)?
                (?P<release>[0-9]+(?:\.[0-9]+)*)
                (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
                (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
                (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
                (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
                \s*$",
            )
            .expect("regex")
        });
        let c = RE.captures(text)?;
        let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u64>().ok());
        let release: Option<Vec<u64>> = c
            .name("release")?
            .as_str()
            .split('.')
            .map(|n| n.parse().ok())
            .collect();
        let pre = c.name("pre_l").map(|l| {
            let kind = match l.as_str().to_ascii_lowercase().as_str() {
                "a" | "alpha" => 0,
                "b" | "beta" => 1,
                _ => 2,
            };
            (kind, num("pre_n").unwrap_or(0))
        });
        let post = if c.name("post").is_some() {
            Some(num("post_n1").or_else(|| num("post_n2")).unwrap_or(0))
        } else {
            None
        };
        let dev = c.name("dev").map(|_| num("dev_n").unwrap_or(0));
        let local = c.name("local").map(|l| {
            l.as_str()
                .split(['-', '_', '.'])
                .map(str::to_ascii_lowercase)
                .collect()
        });
        Some(Self {
            epoch: num("epoch").unwrap_or(0),
            release: release?,
            pre,
            post,
            dev,
            local,
        })
    }

    fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The version without its local part.
    fn public(&self) -> Self {
        Self {
            local: None,
            ..self.clone()
        }
    }

    /// Epoch and release only.
    fn base(&self) -> Self {
        Self {
            epoch: self.epoch,
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }

    /// packaging's `_cmpkey` order.
    fn cmp_key(&self, other: &Self) -> Ordering {
        fn release(r: &[u64]) -> &[u64] {
            let end = r.iter().rposition(|n| *n != 0).map_or(0, |i| i + 1);
            &r[..end]
        }
        // Pre: a dev-only release sorts before every pre-release; none sorts after all.
        let pre = |v: &Version| -> (i8, u8, u64) {
            match (v.pre, v.post, v.dev) {
                (None, None, Some(_)) => (-1, 0, 0),
                (None, _, _) => (1, 0, 0),
                (Some((k, n)), _, _) => (0, k, n),
            }
        };
        let post = |v: &Version| v.post.map_or((0, 0), |n| (1, n));
        let dev = |v: &Version| v.dev.map_or((1, 0), |n| (0, n));
        let local_cmp = |a: &Option<Vec<String>>, b: &Option<Vec<String>>| match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => {
                let key = |s: &String| match s.parse::<u64>() {
                    Ok(n) => (1, n, String::new()),
                    Err(_) => (0, 0, s.clone()),
                };
                a.iter().map(key).cmp(b.iter().map(key))
            }
        };
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| release(&self.release).cmp(release(&other.release)))
            .then_with(|| pre(self).cmp(&pre(other)))
            .then_with(|| post(self).cmp(&post(other)))
            .then_with(|| dev(self).cmp(&dev(other)))
            .then_with(|| local_cmp(&self.local, &other.local))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((kind, n)) = self.pre {
            write!(f, "{}{n}", ["a", "b", "rc"][usize::from(kind.min(2))])?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(local) = &self.local {
            write!(f, "+{}", local.join("."))?;
        }
        Ok(())
    }
}

/// packaging's `_version_split`: dot-separated parts, `1rc1` split into `1`, `rc1`.
fn version_split(version: &str) -> Vec<String> {
    static PREFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]+)((?:a|b|c|rc)[0-9]+)$").expect("regex"));
    let mut out = Vec::new();
    for item in version.split('.') {
        match PREFIX.captures(item) {
            Some(c) => out.extend([c[1].to_string(), c[2].to_string()]),
            None => out.push(item.to_string()),
        }
    }
    out
}

/// packaging's `_pad_version`: the numeric heads padded with zeros to the same length.
fn pad_version(left: &[String], right: &[String]) -> (Vec<String>, Vec<String>) {
    let digits = |v: &[String]| {
        v.iter()
            .take_while(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()))
            .count()
    };
    let (ln, rn) = (digits(left), digits(right));
    let pad = |v: &[String], n: usize, to: usize| {
        let mut out = v[..n].to_vec();
        out.extend(std::iter::repeat_n("0".to_string(), to.saturating_sub(n)));
        out.extend(v[n..].iter().cloned());
        out
    };
    (pad(left, ln, rn), pad(right, rn, ln))
}

/// One PEP 440 specifier's `contains(prospective, prereleases=True)` (packaging 21.3); a legacy
/// specifier (its version not PEP 440) matches nothing here.
fn spec_contains(op: &str, spec: &str, prospective: &Version) -> bool {
    match op {
        "==" | "!=" => {
            let equal = if let Some(prefix) = spec.strip_suffix(".*") {
                if Version::parse(prefix).is_none() {
                    return false;
                }
                let split_spec = version_split(prefix);
                let split_prospective = version_split(&prospective.public().to_string());
                let short = &split_prospective[..split_spec.len().min(split_prospective.len())];
                let (padded_spec, padded_prospective) = pad_version(&split_spec, short);
                padded_prospective == padded_spec
            } else {
                let Some(spec) = Version::parse(spec) else {
                    return false;
                };
                let candidate = if spec.local.is_none() {
                    prospective.public()
                } else {
                    prospective.clone()
                };
                candidate.cmp_key(&spec) == Ordering::Equal
            };
            equal == (op == "==")
        }
        "~=" => {
            let parts: Vec<String> = version_split(spec)
                .into_iter()
                .take_while(|s| {
                    !["dev", "a", "b", "rc", "post"]
                        .iter()
                        .any(|p| s.starts_with(p))
                })
                .collect();
            let prefix = parts[..parts.len().saturating_sub(1)].join(".") + ".*";
            spec_contains(">=", spec, prospective) && spec_contains("==", &prefix, prospective)
        }
        "===" => prospective.to_string().to_lowercase() == spec.to_lowercase(),
        _ => {
            let Some(spec) = Version::parse(spec) else {
                return false;
            };
            let ord = prospective.public().cmp_key(&spec);
            match op {
                "<=" => ord != Ordering::Greater,
                ">=" => ord != Ordering::Less,
                "<" => {
                    prospective.cmp_key(&spec) == Ordering::Less
                        && !(!spec.is_prerelease()
                            && prospective.is_prerelease()
                            && prospective.base().cmp_key(&spec.base()) == Ordering::Equal)
                }
                ">" => {
                    let same_base = prospective.base().cmp_key(&spec.base()) == Ordering::Equal;
                    prospective.cmp_key(&spec) == Ordering::Greater
                        && !(spec.post.is_none() && prospective.post.is_some() && same_base)
                        && !(prospective.local.is_some() && same_base)
                }
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn package_names_are_recovered_as_ansible_does() {
        assert_eq!(
            recover_package_names(&names(&[
                "django>1.11.1",
                "<1.11.3",
                "ipaddress",
                "simpleproject>1.1.0",
                "<2.0.0"
            ])),
            names(&[
                "django>1.11.1,<1.11.3",
                "ipaddress",
                "simpleproject>1.1.0,<2.0.0"
            ])
        );
        assert_eq!(
            recover_package_names(&names(&["django>1.11.1,<1.11.3,ipaddress", "x[a,b]>1"])),
            names(&["django>1.11.1,<1.11.3", "ipaddress", "x[a,b]>1"])
        );
    }

    #[test]
    fn requirements_print_as_packaging_does() {
        let show = |s: &str| Package::new(s).to_string();
        assert_eq!(show("oxpkg>=1.0,<2.0"), "oxpkg<2.0,>=1.0");
        assert_eq!(show("Ox_Tool[B,a] >= 1.0 , <2"), "Ox_Tool[a,b]<2,>=1.0");
        assert_eq!(show("oxpkg (>=1.0)"), "oxpkg>=1.0");
        assert_eq!(
            show("oxpkg @ file:///srv/x.whl"),
            "oxpkg@ file:///srv/x.whl"
        );
        assert_eq!(show("/srv/x.whl"), "/srv/x.whl");
        assert_eq!(show("git+https://x/y"), "git+https://x/y");
        assert_eq!(show("oxpkg>=1.0 <2"), "oxpkg>=1.0 <2");
        assert!(Package::new("oxpkg~=1").req.is_none());
        assert_eq!(
            show("oxpkg; python_version>'3'"),
            r#"oxpkg; python_version > "3""#
        );
        assert_eq!(
            show(
                r#"oxpkg>=1;python_version >= "3.8" and (os_name=='posix' or sys_platform == "linux")"#
            ),
            r#"oxpkg>=1; python_version >= "3.8" and (os_name == "posix" or sys_platform == "linux")"#
        );
        assert_eq!(
            show(r#"oxpkg ; os.name == "posix""#),
            r#"oxpkg; os_name == "posix""#
        );
        assert_eq!(
            show(r#"oxpkg; python_version == "3" or ((os_name == "nt"))"#),
            r#"oxpkg; python_version == "3" or os_name == "nt""#
        );
        assert_eq!(
            show(r#"oxpkg @ https://x/y.whl ; os_name=="posix""#),
            r#"oxpkg@ https://x/y.whl ; os_name == "posix""#
        );
        assert_eq!(
            show(r#"oxpkg; python_version not in "2.7, 3.4""#),
            r#"oxpkg; python_version not in "2.7, 3.4""#
        );
        assert_eq!(show(r#"oxpkg; foo == "x""#), r#"oxpkg; foo == "x""#);
        assert_eq!(
            Package::new("oxpkg").with_version("1.0").to_string(),
            "oxpkg==1.0"
        );
        assert_eq!(
            Package::new("oxpkg").with_version(">=1.0").to_string(),
            "oxpkg>=1.0"
        );
    }

    #[test]
    fn versions_order_as_pep_440() {
        let v = |s: &str| Version::parse(s).expect(s);
        let order = [
            "1.0.dev1",
            "1.0a1",
            "1.0a2.dev1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1",
            "1.1",
            "2!0.1",
        ];
        for pair in order.windows(2) {
            assert_eq!(v(pair[0]).cmp_key(&v(pair[1])), Ordering::Less, "{pair:?}");
        }
        assert_eq!(v("1.0").cmp_key(&v("1.0.0")), Ordering::Equal);
        assert_eq!(v("1.0-1").to_string(), "1.0.post1");
        assert_eq!(v("1.0alpha2").to_string(), "1.0a2");
    }

    #[test]
    fn specifiers_match_as_packaging_does() {
        let ok = |req: &str, version: &str| Package::new(req).req.expect(req).satisfied_by(version);
        assert!(ok("oxpkg", "2.0"));
        assert!(ok("oxpkg>=1.0,<2.0", "1.1"));
        assert!(!ok("oxpkg>=1.0,<2.0", "2.0"));
        assert!(ok("oxpkg==1.1", "1.1.0"));
        assert!(ok("oxpkg==1.*", "1.9"));
        assert!(!ok("oxpkg==1.*", "2.0"));
        assert!(ok("oxpkg!=1.*", "2.0"));
        assert!(ok("oxpkg~=1.1", "1.9"));
        assert!(!ok("oxpkg~=1.1", "2.0"));
        assert!(!ok("oxpkg<2.0", "2.0rc1"));
        assert!(ok("oxpkg<2.0rc2", "2.0rc1"));
        assert!(!ok("oxpkg>1.0", "1.0.post1"));
        assert!(ok("oxpkg>=2.0", "2.1rc1"));
        assert!(ok("oxpkg===1.0", "1.0"));
        assert!(!ok("oxpkg>=1", "not-a-version"));
    }

    #[test]
    fn presence_reads_freeze_lines() {
        let installed = ["Ox-Tool==0.6", "oxpkg==1.1", "pip==23.0.1"];
        assert!(Package::new("ox_tool>=0.5").is_present(&installed));
        assert!(!Package::new("oxpkg>=2").is_present(&installed));
        assert!(!Package::new("/srv/oxpkg.whl").is_present(&installed));
    }

    #[test]
    fn venv_commands_are_recognised() {
        let is = |s: &str| is_venv_command(&names(&s.split(' ').collect::<Vec<_>>()));
        assert!(is("python3 -m venv"));
        assert!(is("/usr/bin/python3.11 -mvenv"));
        assert!(is("pyvenv"));
        assert!(!is("virtualenv"));
        assert!(!is("/opt/bin/make-venv.sh"));
        assert!(!is("python3 -m virtualenv"));
    }

    #[test]
    fn umask_is_python_octal() {
        assert_eq!(parse_octal("0022"), Some(0o22));
        assert_eq!(parse_octal("0o077"), Some(0o77));
        assert_eq!(parse_octal("18"), None);
        assert_eq!(parse_octal("8"), None);
        assert_eq!(parse_octal("rw"), None);
    }

    fn request_args(pairs: &[(&str, Value)]) -> Args {
        let raw = pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect();
        Args::validate("pip", SPEC, &raw).expect("valid pip arguments")
    }

    #[test]
    fn pip_arguments_follow_ansible_order() {
        let args = request_args(&[
            ("name", Value::from("oxpkg")),
            ("version", Value::from("1.0")),
            ("extra_args", Value::from("--no-deps")),
            ("editable", Value::from(true)),
        ]);
        let request = Request::new(&args).expect("accepted");
        assert_eq!(
            request.install,
            names(&["install", "--no-deps", "-e", "oxpkg==1.0"])
        );
        assert!(request.check_shortcut);
        let args = request_args(&[
            ("requirements", Value::from("req.txt")),
            ("state", Value::from("forcereinstall")),
        ]);
        let request = Request::new(&args).expect("accepted");
        assert_eq!(
            request.install,
            names(&["install", "-U", "--force-reinstall", "-r", "req.txt"])
        );
        assert!(request.freeze);
        let args = request_args(&[
            ("name", Value::from("oxpkg")),
            ("version", Value::from("1.0")),
            ("state", Value::from("latest")),
        ]);
        assert!(Request::new(&args).is_err());
    }

    /// Every script shape parses as POSIX shell (`sh -n`), hostile paths included.
    #[test]
    fn scripts_are_valid_shell() {
        let hostile = "/srv/it's $(here) `x`";
        for pairs in [
            vec![("name", Value::from("oxpkg"))],
            vec![
                ("name", Value::from("oxpkg")),
                ("virtualenv", Value::from(hostile)),
                ("virtualenv_command", Value::from("python3 -m venv")),
                ("virtualenv_python", Value::from("python3")),
            ],
            vec![
                ("name", Value::from("oxpkg")),
                ("virtualenv", Value::from("~/venv")),
                ("virtualenv_command", Value::from(hostile)),
                ("virtualenv_site_packages", Value::from(true)),
                ("umask", Value::from("0022")),
                ("chdir", Value::from(hostile)),
            ],
            vec![
                ("requirements", Value::from(hostile)),
                ("executable", Value::from("pip3")),
                ("break_system_packages", Value::from(true)),
            ],
        ] {
            let args = request_args(&pairs);
            let request = Request::new(&args).expect("accepted");
            let venv = args
                .str("virtualenv")
                .map(|env| VenvPlan::new(&args, env, args.str("chdir")));
            let job = Job {
                umask: request.umask,
                chdir: args.str("chdir"),
                venv: venv.as_ref(),
                executable: args.str("executable"),
                break_system: args.bool("break_system_packages", false),
                python: None,
            };
            for mode in [
                Mode::Check { list: true },
                Mode::Run {
                    args: &request.install,
                    freeze: true,
                },
            ] {
                let script = job.script(mode);
                let out = std::process::Command::new("sh")
                    .args(["-n", "-c", &script])
                    .output()
                    .expect("run sh -n");
                assert!(
                    out.status.success(),
                    "{}\n{script}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}
