//! `sudoers` (community.general): one sudoers rule in its own file, `<sudoers_path>/<name>`
//! (default `/etc/sudoers.d`), as the collection's module writes it: the single line
//! `<user|%group> <host>=[(runas)][NOEXEC:][NOPASSWD:][SETENV:] <commands, …>`, mode 0440.
//! The rule is checked with the target's `visudo -c -f -` first (`validation: detect` when
//! visudo is there, `required` fails without it, `absent` skips it); the file counts as
//! unchanged when its content and mode already match. One round trip: the rule goes on
//! stdin, and the script validates, compares and (outside check mode) replaces the file
//! atomically (a temp file beside it, renamed over it; sudo skips names with a dot).
//! `state: absent` removes the file. Result: `changed` only, as the collection's module.

use oxible_shell::quote;

use crate::system::{head, section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("commands", ArgType::List),
    ArgSpec::new("user", ArgType::Str),
    ArgSpec::new("group", ArgType::Str),
    ArgSpec::new("noexec", ArgType::Bool),
    ArgSpec::new("nopassword", ArgType::Bool),
    ArgSpec::new("setenv", ArgType::Bool),
    ArgSpec::new("host", ArgType::Str),
    ArgSpec::new("runas", ArgType::Str),
    ArgSpec::new("sudoers_path", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]),
    ArgSpec::new("validation", ArgType::Str).choices(&["absent", "detect", "required"]),
];

module!(
    /// The `sudoers` module (`community.general.sudoers`).
    pub Sudoers = "sudoers", SPEC, run
);

/// The directories `get_bin_path` adds to `PATH` when it looks for an executable.
const SBIN_DIRS: &str = "/sbin /usr/sbin /usr/local/sbin";

/// `os.path.join(dir, name)`: an absolute `name` replaces `dir`.
fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The rule's line as the collection's module writes it, or its error (neither `user` nor
/// `group`: the Python module fails on its unset local variable).
fn content(args: &Args) -> Result<String, String> {
    let owner = match (args.str("user"), args.str("group")) {
        (Some(user), _) => user.to_string(),
        (None, Some(group)) => format!("%{group}"),
        (None, None) => {
            return Err(
                "cannot access local variable 'owner' where it is not associated with a value"
                    .into(),
            );
        }
    };
    let flag = |name: &str, default: bool, text: &'static str| {
        if args.bool(name, default) { text } else { "" }
    };
    Ok(format!(
        "{owner} {host}={runas}{noexec}{nopasswd}{setenv} {commands}\n",
        host = args.str("host").unwrap_or("ALL"),
        runas = args
            .str("runas")
            .map(|r| format!("({r})"))
            .unwrap_or_default(),
        noexec = flag("noexec", false, "NOEXEC:"),
        nopasswd = flag("nopassword", true, "NOPASSWD:"),
        setenv = flag("setenv", false, "SETENV:"),
        commands = args.strings("commands").join(", "),
    ))
}

/// The script for `state: present`: the rule arrives on stdin; prints `@@novisudo`,
/// `@@invalid` (with visudo's `OUT`/`ERR` sections), `@@same`, `@@changed` or `@@error`
/// (with the reason as `ERR`).
fn present_script(file: &str, validation: &str, check: bool) -> String {
    let mut s = format!(
        "F={}; c=$(mktemp) && o=$(mktemp) && e=$(mktemp) || exit 1\n\
         trap 'rm -f \"$c\" \"$o\" \"$e\"' EXIT; cat >\"$c\"\n",
        quote(file)
    );
    if validation != "absent" {
        s += &format!(
            "V=$(command -v visudo) || for d in {SBIN_DIRS}; do [ -x \"$d/visudo\" ] && V=$d/visudo && break; done\n"
        );
        if validation == "required" {
            s += "[ -n \"$V\" ] || { echo @@novisudo; exit 0; }\n";
        }
        // run_command's data gets a newline appended.
        s += &format!(
            "if [ -n \"$V\" ] && ! {{ cat \"$c\"; echo; }} | LC_ALL=C \"$V\" -c -f - >\"$o\" 2>\"$e\"; then \
             echo @@invalid; {}{}exit 0; fi\n",
            section("OUT", "cat \"$o\""),
            section("ERR", "cat \"$e\"").replace('\n', "; "),
        );
    }
    s += "[ -L \"$F\" ] && F=$(readlink -f \"$F\")\n\
          if [ -f \"$F\" ] && [ \"$(stat -c %a \"$F\")\" = 440 ] && cmp -s \"$c\" \"$F\"; then echo @@same; exit 0; fi\n";
    if check {
        s += "echo @@changed\n";
        return s;
    }
    s += &format!(
        "if [ -d \"$F\" ]; then echo @@error; {err_dir}exit 0; fi\n\
         if [ ! -d \"$(dirname \"$F\")\" ]; then echo @@error; {err_missing}exit 0; fi\n\
         t=$(mktemp \"$(dirname \"$F\")/.sudoers.XXXXXX\") && cat \"$c\" >\"$t\" && \
         {{ [ ! -e \"$F\" ] || chown --reference=\"$F\" \"$t\"; }} && chmod 440 \"$t\" && mv -f \"$t\" \"$F\" \
         && echo @@changed || {{ rm -f \"$t\"; echo @@error; {err_other}}}\n",
        err_dir = section(
            "ERR",
            &format!(
                "printf '%s' {}",
                quote(&format!("[Errno 21] Is a directory: '{file}'"))
            )
        )
        .replace('\n', "; "),
        err_missing = section(
            "ERR",
            &format!(
                "printf '%s' {}",
                quote(&format!("[Errno 2] No such file or directory: '{file}'"))
            )
        )
        .replace('\n', "; "),
        err_other = section(
            "ERR",
            &format!(
                "printf '%s' {}",
                quote(&format!("[Errno 13] Permission denied: '{file}'"))
            )
        )
        .replace('\n', "; "),
    );
    s
}

/// The script for `state: absent`: prints `@@same`, `@@changed` or `@@error` (with `ERR`).
fn absent_script(file: &str, check: bool) -> String {
    let remove = if check {
        "echo @@changed".to_string()
    } else {
        format!(
            "if [ -d \"$F\" ] && [ ! -L \"$F\" ]; then echo @@error; {}else rm -f \"$F\" && echo @@changed; fi",
            section(
                "ERR",
                &format!(
                    "printf '%s' {}",
                    quote(&format!("[Errno 21] Is a directory: '{file}'"))
                )
            )
            .replace('\n', "; ")
        )
    };
    // os.path.exists follows links: a dangling link counts as absent.
    format!(
        "F={}; if [ -e \"$F\" ]; then {remove}; else echo @@same; fi\n",
        quote(file)
    )
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["user", "group"])?;
    let present = args.str("state") != Some("absent");
    if present && args.get("commands").is_none() {
        return Ok(Outcome::failure(
            "state is present but all of the following are missing: commands",
        ));
    }
    let file = join(
        args.str("sudoers_path").unwrap_or("/etc/sudoers.d"),
        args.str("name").unwrap_or_default(),
    );
    let (script, stdin) = if present {
        let text = match content(&args) {
            Ok(text) => text,
            Err(msg) => return Ok(Outcome::failure(msg)),
        };
        let validation = args.str("validation").unwrap_or("detect");
        (
            present_script(&file, validation, target.check_mode),
            Some(text.into_bytes()),
        )
    } else {
        (absent_script(&file, target.check_mode), None)
    };
    let out = target.run(&script, None, stdin).await?;
    let text = out.stdout_text();
    let parts = sections(&text);
    let get = |name: &str| parts.get(name).cloned().unwrap_or_default();
    match head(&text).trim() {
        "@@same" => Ok(Outcome::changed(false)),
        "@@changed" => Ok(Outcome::changed(true)),
        "@@novisudo" => Ok(Outcome::failure(
            "Failed to find required executable \"visudo\" in paths: \
             /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )),
        "@@invalid" => {
            let (stdout, stderr) = (get("OUT"), get("ERR"));
            let shown = if stdout.is_empty() { &stderr } else { &stdout };
            let mut outcome =
                Outcome::failure(format!("Failed to validate sudoers rule:\n{shown}"));
            outcome
                .set("stdout", stdout.as_str())
                .set("stderr", stderr.as_str());
            Ok(outcome)
        }
        "@@error" => Ok(Outcome::failure(get("ERR"))),
        _ => Err(ModuleError::Failed(format!(
            "sudoers: unexpected output from the target: {}{}",
            text,
            out.stderr_text()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::Value;

    fn args(pairs: &[(&str, Value)]) -> Args {
        crate::args::test_args("sudoers", SPEC, pairs)
    }

    #[test]
    fn rule_lines_as_the_collection_writes_them() {
        let a = args(&[
            ("name", Value::from("x")),
            ("user", Value::from("bob")),
            ("commands", Value::from("/bin/true")),
        ]);
        assert_eq!(content(&a).unwrap(), "bob ALL=NOPASSWD: /bin/true\n");
        let a = args(&[
            ("name", Value::from("x")),
            ("group", Value::from("ops")),
            ("runas", Value::from("alice")),
            ("host", Value::from("web")),
            ("noexec", Value::from(true)),
            ("setenv", Value::from(true)),
            ("nopassword", Value::from(false)),
            (
                "commands",
                Value::seq(vec![Value::from("/bin/a"), Value::from("/bin/b x")]),
            ),
        ]);
        assert_eq!(
            content(&a).unwrap(),
            "%ops web=(alice)NOEXEC:SETENV: /bin/a, /bin/b x\n"
        );
        let a = args(&[("name", Value::from("x")), ("commands", Value::from("ALL"))]);
        assert!(content(&a).is_err());
    }

    #[test]
    fn paths_join_as_python() {
        assert_eq!(join("/etc/sudoers.d", "a"), "/etc/sudoers.d/a");
        assert_eq!(join("/etc/sudoers.d/", "a"), "/etc/sudoers.d/a");
        assert_eq!(join("/etc/sudoers.d", "/tmp/a"), "/tmp/a");
    }
}
