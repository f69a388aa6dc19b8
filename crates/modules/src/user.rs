//! `user`: a local account present (uid, primary group, supplementary groups with `append`,
//! comment, home, shell, password hash and lock, system, home creation, ssh key generation) or
//! absent (`remove`, `force`), through `useradd`, `usermod` and `userdel`, as Ansible's Linux
//! `user` module decides; the same result keys.
//!
//! One probe reads the account (passwd, shadow, memberships, the groups named, the home, the
//! ssh key); when something must change, one command changes it and reads the account back.
//!
//! Not done: `expires`, `password_expire_*`, `login_class`, `seuser`, `local`, `profile`,
//! `authorization`, `role`, `hidden` (unsupported parameters, reported as such).

use std::collections::{BTreeSet, HashMap};

use oxible_shell::quote;
use oxible_yaml::Value;

use crate::system::{head, probe, section, sections, set_output};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str)
        .required()
        .aliases(&["user"]),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("uid", ArgType::Int),
    ArgSpec::new("non_unique", ArgType::Bool),
    ArgSpec::new("group", ArgType::Str),
    ArgSpec::new("groups", ArgType::List),
    ArgSpec::new("append", ArgType::Bool),
    ArgSpec::new("comment", ArgType::Str),
    ArgSpec::new("home", ArgType::Path),
    ArgSpec::new("shell", ArgType::Path),
    ArgSpec::new("password", ArgType::Str),
    ArgSpec::new("update_password", ArgType::Str).choices(&["always", "on_create"]),
    ArgSpec::new("password_lock", ArgType::Bool),
    ArgSpec::new("create_home", ArgType::Bool).aliases(&["createhome"]),
    ArgSpec::new("move_home", ArgType::Bool),
    ArgSpec::new("skeleton", ArgType::Str),
    ArgSpec::new("system", ArgType::Bool),
    ArgSpec::new("force", ArgType::Bool),
    ArgSpec::new("remove", ArgType::Bool),
    ArgSpec::new("umask", ArgType::Str),
    ArgSpec::new("uid_min", ArgType::Int),
    ArgSpec::new("uid_max", ArgType::Int),
    ArgSpec::new("generate_ssh_key", ArgType::Bool),
    ArgSpec::new("ssh_key_bits", ArgType::Int),
    ArgSpec::new("ssh_key_type", ArgType::Str),
    ArgSpec::new("ssh_key_file", ArgType::Path),
    ArgSpec::new("ssh_key_comment", ArgType::Str),
    ArgSpec::new("ssh_key_passphrase", ArgType::Str),
];

module!(
    /// The `user` module.
    pub User = "user", SPEC, run
);

/// A passwd entry.
#[derive(Debug, Clone)]
struct Account {
    uid: i64,
    gid: i64,
    comment: String,
    home: String,
    shell: String,
}

fn account(line: &str) -> Option<Account> {
    let f: Vec<&str> = line.lines().next()?.split(':').collect();
    let [_, _, uid, gid, comment, home, shell] = f.as_slice() else {
        return None;
    };
    Some(Account {
        uid: uid.parse().ok()?,
        gid: gid.parse().ok()?,
        comment: comment.to_string(),
        home: home.to_string(),
        shell: shell.to_string(),
    })
}

/// A group entry's name and gid.
fn group_entry(line: &str) -> Option<(String, i64)> {
    let f: Vec<&str> = line.lines().next()?.split(':').collect();
    Some((f.first()?.to_string(), f.get(2)?.parse().ok()?))
}

/// What the probe and the commands need to know about the task.
struct Task<'a> {
    args: &'a Args,
    name: String,
    /// `groups` as Ansible joins it (`None` when not given).
    groups: Option<String>,
    /// The groups named by `group` and `groups`, looked up (`None`: no such group).
    lookups: HashMap<String, Option<(String, i64)>>,
    warnings: Vec<String>,
}

impl Task<'_> {
    fn group(&self, name: &str) -> Result<(String, i64), String> {
        self.lookups
            .get(name)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("Group {name} does not exist"))
    }

    /// The wanted supplementary groups (names as given), failing on unknown ones.
    fn wanted_groups(&self) -> Result<Vec<String>, String> {
        let Some(groups) = &self.groups else {
            return Ok(Vec::new());
        };
        let mut out = BTreeSet::new();
        for g in groups.split(',').filter(|g| !g.is_empty()).map(str::trim) {
            self.group(g)?;
            out.insert(g.to_string());
        }
        Ok(out.into_iter().collect())
    }

    /// Shell code computing the ssh key path into `$k` (after the account exists).
    fn key_path(&self) -> String {
        let ssh_type = self.args.str("ssh_key_type").unwrap_or("rsa");
        match self.args.str("ssh_key_file") {
            Some(file) if file.starts_with('/') => format!("k={}\n", quote(file)),
            file => {
                let rel = file.map_or_else(|| format!(".ssh/id_{ssh_type}"), str::to_string);
                format!(
                    "k=\"$(getent passwd {} | cut -d: -f6)\"/{}\n",
                    quote(&self.name),
                    quote(&rel)
                )
            }
        }
    }

    /// Sections describing the account: passwd `P`, shadow `S`, memberships `M`, ssh key `K`
    /// (`key`/`pub` existence, fingerprint) and `KP` (public key).
    fn info_script(&self) -> String {
        let name = quote(&self.name);
        let mut script = section("P", &format!("getent passwd {name}"))
            + &section("S", &format!("getent shadow {name} | cut -d: -f2"))
            + &section(
                "M",
                &format!(
                    "getent group | awk -F: -v u={name} '{{n=split($4,m,\",\"); for(i=1;i<=n;i++) if(m[i]==u){{print $1; break}}}}'"
                ),
            );
        if self.args.bool("generate_ssh_key", false) {
            script += &self.key_path();
            script += &section(
                "K",
                "[ -e \"$k\" ] && echo key; [ -e \"$k.pub\" ] && echo pub; printf 'file %s\\n' \"$k\"; \
                 [ -e \"$k\" ] && printf 'fp %s\\n' \"$(ssh-keygen -l -f \"$k\" 2>&1)\"",
            );
            script += &section("KP", "cat \"$k.pub\" 2>/dev/null");
        }
        script
    }
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let name = args.str("name").unwrap_or_default().to_string();
    let groups = args.get("groups").map(|_| args.strings("groups").join(","));
    let mut warnings = Vec::new();
    if groups.is_none() && args.bool("append", false) {
        warnings.push("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.".to_string());
    }
    if let Some(pw) = args.str("password")
        && !["*", "!", "*************"].contains(&pw)
        && (pw.contains([':', '*', '!']) || !pw.contains('$'))
    {
        warnings.push("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.".to_string());
    }
    let mut task = Task {
        args: &args,
        name,
        groups,
        lookups: HashMap::new(),
        warnings,
    };
    let mut named: Vec<String> = task
        .groups
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|g| !g.is_empty())
        .map(|g| g.trim().to_string())
        .collect();
    named.extend(args.str("group").map(str::to_string));
    named.push(task.name.clone());
    let home_param = args.str("home");
    let mut script = task.info_script();
    for (i, g) in named.iter().enumerate() {
        script += &section(&format!("g{i}"), &format!("getent group {}", quote(g)));
    }
    script += &section(
        "H",
        &format!(
            "h={}; [ -n \"$h\" ] && [ -e \"$h\" ] && echo yes",
            home_param.map_or_else(
                || format!("$(getent passwd {} | cut -d: -f6)", quote(&task.name)),
                quote
            )
        ),
    );
    let probed = probe(target, &script).await?;
    for (i, g) in named.iter().enumerate() {
        let entry = probed.get(&format!("g{i}")).and_then(|l| group_entry(l));
        task.lookups.insert(g.clone(), entry);
    }
    let current = probed.get("P").and_then(|l| account(l));
    let state = args.str("state").unwrap_or("present");
    let mut outcome = Outcome::changed(false);
    outcome.set("name", task.name.as_str()).set("state", state);
    if target.check_mode && (state == "absent") == current.is_some() {
        // Ansible exits at once with only `changed` when it would add or delete.
        return Ok(Outcome::changed(true));
    }
    let planned = match (state, &current) {
        ("absent", None) => Ok(None),
        ("absent", Some(_)) => Ok(Some(userdel(&task))),
        (_, None) => useradd(&task).map(Some),
        (_, Some(acct)) => usermod(&task, acct, &probed).map(|c| (c.len() > 1).then_some(c)),
    };
    let cmd = match planned {
        Ok(cmd) => cmd,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    match state {
        "absent" => {
            if cmd.is_some() {
                outcome
                    .set("force", args.bool("force", false))
                    .set("remove", args.bool("remove", false));
            }
        }
        _ if current.is_none() => {
            outcome
                .set("system", args.bool("system", false))
                .set("create_home", args.bool("create_home", true));
        }
        _ => {
            outcome
                .set("append", args.bool("append", false))
                .set("move_home", args.bool("move_home", false));
        }
    }
    if state == "present" && args.get("password").is_some() {
        outcome.set("password", "NOT_LOGGING_PASSWORD");
    }
    let create_home = args.bool("create_home", true);
    let make_home = state == "present"
        && create_home
        && current.is_some()
        && probed.get("H").is_none_or(|h| h.trim() != "yes");
    let keygen = state == "present" && args.bool("generate_ssh_key", false);
    let mut info = probed;
    if cmd.is_some() || make_home {
        outcome.changed = true;
    }
    if !target.check_mode && (cmd.is_some() || make_home || keygen) {
        let mut script = String::new();
        if let Some(cmd) = &cmd {
            if current.is_none()
                && create_home
                && let Some(home) = home_param
            {
                let parent = home.rsplit_once('/').map_or("", |(p, _)| p);
                if !parent.is_empty() {
                    script += &format!("mkdir -p {} && ", quote(parent));
                }
            }
            script += &format!(
                "{}\nrc=$?; [ $rc -eq 0 ] || exit $rc\n",
                oxible_shell::join(cmd)
            );
        }
        if state == "present" {
            if make_home {
                script += &home_script(&task, home_param);
            }
            if keygen {
                script += &keygen_script(&task);
            }
            script += &task.info_script();
        }
        let out = target.run(&script, None, None).await?;
        let stdout = out.stdout_text();
        if out.rc != 0 {
            let mut failed = Outcome::failure(out.stderr_text());
            failed
                .set("name", task.name.as_str())
                .set("rc", i64::from(out.rc));
            return Ok(failed);
        }
        if cmd.is_some() {
            set_output(&mut outcome, head(&stdout), &out.stderr_text());
        }
        info = sections(&stdout);
        if info.get("KG").is_some_and(|s| s.trim() == "0") {
            outcome.changed = true;
        }
    } else if keygen && target.check_mode {
        let k = info.get("K").map(String::as_str).unwrap_or_default();
        if !k.lines().any(|l| l == "key" || l == "pub") {
            outcome.changed = true;
        }
    }
    if state == "present"
        && let Some(acct) = info.get("P").and_then(|l| account(l))
    {
        outcome
            .set("uid", acct.uid)
            .set("group", acct.gid)
            .set("comment", acct.comment.as_str())
            .set("home", acct.home.as_str())
            .set("shell", acct.shell.as_str());
        if let Some(groups) = &task.groups {
            outcome.set("groups", groups.as_str());
        }
        if keygen {
            key_results(
                &mut outcome,
                &info,
                &mut task.warnings,
                args.bool("force", false),
            );
        }
    }
    if !task.warnings.is_empty() {
        let warnings = task
            .warnings
            .iter()
            .map(|w| Value::from(w.as_str()))
            .collect();
        outcome.set("warnings", Value::seq(warnings));
    }
    Ok(outcome)
}

fn userdel(task: &Task) -> Vec<String> {
    let mut cmd = vec!["userdel".to_string()];
    if task.args.bool("force", false) {
        cmd.push("-f".into());
    }
    if task.args.bool("remove", false) {
        cmd.push("-r".into());
    }
    cmd.push(task.name.clone());
    cmd
}

fn useradd(task: &Task) -> Result<Vec<String>, String> {
    let args = task.args;
    let mut cmd = vec!["useradd".to_string()];
    let mut push = |opt: &str, value: String| {
        cmd.push(opt.to_string());
        cmd.push(value);
    };
    if let Some(uid) = args.int("uid") {
        push("-u", uid.to_string());
    }
    let mut flags = Vec::new();
    if args.int("uid").is_some() && args.bool("non_unique", false) {
        flags.push("-o");
    }
    match args.str("group") {
        Some(group) => {
            task.group(group)?;
            push("-g", group.to_string());
        }
        None if task.lookups.get(&task.name).is_some_and(Option::is_some) => flags.push("-N"),
        None => {}
    }
    let groups = task.wanted_groups()?;
    if !groups.is_empty() {
        push("-G", groups.join(","));
    }
    if let Some(comment) = args.str("comment") {
        push("-c", comment.to_string());
    }
    if let Some(home) = args.str("home") {
        push("-d", home.to_string());
    }
    if let Some(shell) = args.str("shell") {
        push("-s", shell.to_string());
    }
    if let Some(pw) = args.str("password") {
        let lock = if args.bool("password_lock", false) {
            "!"
        } else {
            ""
        };
        push("-p", format!("{lock}{pw}"));
    }
    if args.bool("create_home", true) {
        flags.push("-m");
        if let Some(skel) = args.str("skeleton") {
            push("-k", skel.to_string());
        }
        if let Some(umask) = args.str("umask") {
            push("-K", format!("UMASK={umask}"));
        }
    } else {
        flags.push("-M");
    }
    if args.bool("system", false) {
        flags.push("-r");
    }
    for (param, key) in [("uid_min", "UID_MIN"), ("uid_max", "UID_MAX")] {
        if let Some(v) = args.int(param) {
            push("-K", format!("{key}={v}"));
        }
    }
    cmd.extend(flags.into_iter().map(str::to_string));
    cmd.push(task.name.clone());
    Ok(cmd)
}

/// The `usermod` command for an existing account (only `usermod` itself when nothing differs).
fn usermod(
    task: &Task,
    acct: &Account,
    probed: &HashMap<String, String>,
) -> Result<Vec<String>, String> {
    let args = task.args;
    let mut cmd = vec!["usermod".to_string()];
    if let Some(uid) = args.int("uid").filter(|u| *u != acct.uid) {
        cmd.extend(["-u".into(), uid.to_string()]);
        if args.bool("non_unique", false) {
            cmd.push("-o".into());
        }
    }
    if let Some(group) = args.str("group") {
        let (_, gid) = task.group(group)?;
        if gid != acct.gid {
            cmd.extend(["-g".into(), gid.to_string()]);
        }
    }
    if let Some(groups) = &task.groups {
        let current: BTreeSet<String> = probed
            .get("M")
            .map(|m| m.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let append = args.bool("append", false);
        let mut wanted = BTreeSet::new();
        let need = if groups.is_empty() {
            !current.is_empty() && !append
        } else {
            for g in task.wanted_groups()? {
                wanted.insert(task.group(&g)?.0);
            }
            let diff: BTreeSet<&String> = current.symmetric_difference(&wanted).collect();
            if append {
                let add = wanted.iter().any(|g| diff.contains(g));
                if add {
                    cmd.push("-a".into());
                }
                add
            } else {
                !diff.is_empty()
            }
        };
        if need {
            let list: Vec<String> = wanted.into_iter().collect();
            cmd.extend(["-G".into(), list.join(",")]);
        }
    }
    if let Some(comment) = args.str("comment").filter(|c| *c != acct.comment) {
        cmd.extend(["-c".into(), comment.to_string()]);
    }
    if let Some(home) = args.str("home").filter(|h| *h != acct.home) {
        cmd.extend(["-d".into(), home.to_string()]);
        if args.bool("move_home", false) {
            cmd.push("-m".into());
        }
    }
    if let Some(shell) = args.str("shell").filter(|s| *s != acct.shell) {
        cmd.extend(["-s".into(), shell.to_string()]);
    }
    let hash = probed
        .get("S")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    let lock = args
        .get("password_lock")
        .map(|_| args.bool("password_lock", false));
    match lock {
        Some(true) if !hash.starts_with('!') => cmd.push("-L".into()),
        Some(false) if hash.starts_with('!') => cmd.push("-U".into()),
        _ => {}
    }
    if args.str("update_password").unwrap_or("always") == "always"
        && let Some(pw) = args.str("password")
        && hash.trim_start_matches('!') != pw.trim_start_matches('!')
    {
        cmd.retain(|c| c != "-L" && c != "-U");
        let prefix = if lock == Some(true) { "!" } else { "" };
        cmd.extend(["-p".into(), format!("{prefix}{pw}")]);
    }
    if cmd.len() > 1 {
        cmd.push(task.name.clone());
    }
    Ok(cmd)
}

/// Creates a missing home from the skeleton with login.defs' mode, owned by the account.
fn home_script(task: &Task, home: Option<&str>) -> String {
    let name = quote(&task.name);
    let home = home.map_or_else(
        || format!("\"$(getent passwd {name} | cut -d: -f6)\""),
        quote,
    );
    let skel = quote(task.args.str("skeleton").unwrap_or("/etc/skel"));
    format!(
        "h={home}; s={skel}
if [ ! -e \"$h\" ]; then
  if [ -d \"$s\" ]; then cp -a \"$s\" \"$h\"; else mkdir -p \"$h\"; fi || exit 1
  m=$(awk '$1==\"HOME_MODE\"{{print $2; exit}}' /etc/login.defs 2>/dev/null)
  if [ -z \"$m\" ]; then u=$(awk '$1==\"UMASK\"{{print $2}}' /etc/login.defs 2>/dev/null); m=$(printf %o $((0777 & ~0${{u:-22}}))); fi
  [ -f /etc/login.defs ] && chmod \"${{m:-755}}\" \"$h\"
  chown -R \"$(id -u {name}):$(id -g {name})\" \"$h\" || exit 1
fi
"
    )
}

/// Generates the ssh key unless it exists (or with `force`); prints section `KG`: `0` when a
/// key was made, `none` when one existed.
fn keygen_script(task: &Task) -> String {
    let args = task.args;
    let name = quote(&task.name);
    let force = args.bool("force", false);
    let mut keygen = vec![
        "ssh-keygen".to_string(),
        "-t".into(),
        args.str("ssh_key_type").unwrap_or("rsa").to_string(),
    ];
    if let Some(bits) = args.int("ssh_key_bits").filter(|b| *b > 0) {
        keygen.extend(["-b".into(), bits.to_string()]);
    }
    let comment = match args.str("ssh_key_comment") {
        Some(c) => quote(c),
        None => "\"ansible-generated on $(hostname)\"".to_string(),
    };
    let passphrase = quote(args.str("ssh_key_passphrase").unwrap_or(""));
    format!(
        "{path}d=$(dirname \"$k\")
if [ ! -e \"$d\" ]; then mkdir -m 700 \"$d\" && chown \"$(id -u {name}):$(id -g {name})\" \"$d\" || exit 1; fi
if [ {force} = no ] && {{ [ -e \"$k\" ] || [ -e \"$k.pub\" ]; }}; then {none}
else
  rm -f \"$k.pub\"; [ -e \"$k\" ] && y=y || y=
  printf '%s\\n' $y | {keygen} -C {comment} -f \"$k\" -N {passphrase} >/dev/null || exit 1
  chown \"$(id -u {name}):$(id -g {name})\" \"$k\" \"$k.pub\" || exit 1
  {made}
fi
",
        path = task.key_path(),
        force = if force { "yes" } else { "no" },
        keygen = oxible_shell::join(&keygen),
        none = section("KG", "echo none").trim_end(),
        made = section("KG", "echo 0").trim_end(),
    )
}

/// `ssh_fingerprint`, `ssh_key_file`, `ssh_public_key` and the warnings about existing keys.
fn key_results(
    outcome: &mut Outcome,
    info: &HashMap<String, String>,
    warnings: &mut Vec<String>,
    force: bool,
) {
    let k = info.get("K").map(String::as_str).unwrap_or_default();
    let file = k
        .lines()
        .find_map(|l| l.strip_prefix("file "))
        .unwrap_or_default();
    let generated = info.get("KG").is_some_and(|s| s.trim() == "0");
    if force && generated {
        // Ansible warns before overwriting; the probe after the change cannot tell, so none.
    } else if !force && !generated && k.lines().any(|l| l == "key") {
        warnings.push(format!(
            "Found existing ssh key private file \"{file}\", no force, so skipping ssh-keygen generation"
        ));
    } else if !force && !generated && k.lines().any(|l| l == "pub") {
        warnings.push(format!(
            "Found existing ssh key public file \"{file}.pub\", no force, so skipping ssh-keygen generation"
        ));
    }
    let fingerprint = k
        .lines()
        .find_map(|l| l.strip_prefix("fp "))
        .unwrap_or_default();
    outcome.set("ssh_fingerprint", fingerprint.trim());
    outcome.set("ssh_key_file", file);
    match info.get("KP").map(|p| p.trim()) {
        Some(p) if !p.is_empty() || k.lines().any(|l| l == "pub") => {
            outcome.set("ssh_public_key", p)
        }
        _ => outcome.set("ssh_public_key", Value::null()),
    };
}
