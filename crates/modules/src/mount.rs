//! `mount` (ansible.posix): a mount point in fstab (`fstab`, default `/etc/fstab`) and in the
//! running system, as ansible.posix's Linux path does: `present` writes the fstab line (an
//! existing line for the path is rewritten only when a field differs, fields escaped with
//! `\040` `\046` `\134`), `absent_from_fstab` drops it, `absent` also unmounts and removes the
//! directory, `mounted` writes the line, creates the directory and mounts (or remounts after a
//! change; the fstab is restored when mounting fails), `unmounted` unmounts, `remounted`
//! remounts, `ephemeral` mounts without fstab. Mounted is judged as the module does (a device
//! or inode change against the parent directory, or an entry in `/proc/self/mountinfo`).
//! `backup` copies the fstab first. Result keys: `name`, `src`, `fstype`, `opts`, `dump`,
//! `passno`, `fstab`, `boot`, `backup_file`.

use std::collections::HashMap;

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::system::{probe, section};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("boot", ArgType::Bool),
    ArgSpec::new("dump", ArgType::Str),
    ArgSpec::new("fstab", ArgType::Str),
    ArgSpec::new("fstype", ArgType::Str),
    ArgSpec::new("path", ArgType::Path)
        .required()
        .aliases(&["name"]),
    ArgSpec::new("opts", ArgType::Str),
    ArgSpec::new("opts_no_log", ArgType::Bool),
    ArgSpec::new("passno", ArgType::Str),
    ArgSpec::new("src", ArgType::Path),
    ArgSpec::new("backup", ArgType::Bool),
    ArgSpec::new("state", ArgType::Str).required().choices(&[
        "absent",
        "absent_from_fstab",
        "mounted",
        "present",
        "unmounted",
        "remounted",
        "ephemeral",
    ]),
];

module!(
    /// The `mount` module (`ansible.posix.mount`).
    pub Mount = "mount", SPEC, run
);

/// The fstab fields the module writes for the mount point.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    src: Option<String>,
    fstype: Option<String>,
    opts: String,
    dump: String,
    passno: String,
}

/// ansible.posix's `_escape_fstab`.
fn escape(v: &str) -> String {
    v.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('&', "\\046")
}

impl Entry {
    fn line(&self) -> String {
        format!(
            "{} {} {} {} {} {}\n",
            escape(self.src.as_deref().unwrap_or("None")),
            escape(&self.name),
            escape(self.fstype.as_deref().unwrap_or("None")),
            escape(&self.opts),
            escape(&self.dump),
            escape(&self.passno)
        )
    }

    /// Whether a line's mount point (and, for swap, its source) is this entry's.
    fn matches(&self, name: &str, src: &str, fstype: &str) -> bool {
        name == escape(&self.name)
            && !(self.src.is_some()
                && name == "none"
                && fstype == "swap"
                && Some(src) != self.src.as_deref())
    }

    /// `_set_mount_save_old`: the new text and whether it changed.
    fn set(&self, text: &str) -> (String, bool) {
        let mut out = String::new();
        let mut exists = false;
        let mut changed = false;
        for line in text.split_inclusive('\n') {
            let line = if line.ends_with('\n') {
                line.to_string()
            } else {
                format!("{line}\n")
            };
            let trimmed = line.trim();
            let fields: Vec<&str> = line
                .split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            if trimmed.is_empty() || trimmed.starts_with('#') || !(4..=6).contains(&fields.len()) {
                out.push_str(&line);
                continue;
            }
            if !self.matches(fields[1], fields[0], fields[2]) {
                out.push_str(&line);
                continue;
            }
            exists = true;
            // Missing dump/passno fields are the integer 0 for the module, never equal to
            // the wanted text, so such a line is rewritten.
            let want = [
                escape(self.src.as_deref().unwrap_or("None")),
                escape(self.fstype.as_deref().unwrap_or("None")),
                escape(&self.opts),
                escape(&self.dump),
                escape(&self.passno),
            ];
            let have = [
                fields.first(),
                fields.get(2),
                fields.get(3),
                fields.get(4),
                fields.get(5),
            ];
            let differs = want.iter().zip(have).any(|(w, h)| h.is_none_or(|h| h != w));
            if differs {
                changed = true;
                out.push_str(&self.line());
            } else {
                out.push_str(&line);
            }
        }
        if !exists {
            out.push_str(&self.line());
            changed = true;
        }
        (out, changed)
    }

    /// `unset_mount`: the text without the entry's six-field lines, and whether it changed.
    fn unset(&self, text: &str) -> (String, bool) {
        let mut out = String::new();
        let mut changed = false;
        for line in text.split_inclusive('\n') {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if line.trim().is_empty() || line.trim().starts_with('#') || fields.len() != 6 {
                out.push_str(line);
                continue;
            }
            if !self.matches(fields[1], fields[0], fields[2]) {
                out.push_str(line);
                continue;
            }
            changed = true;
        }
        (out, changed)
    }
}

/// `get_linux_mounts`: mount point → source, from `/proc/self/mountinfo` (bind mounts get
/// their source directory).
fn linux_mounts(text: &str) -> HashMap<String, String> {
    struct Info {
        parent: i64,
        root: String,
        dst: String,
        src: String,
    }
    let mut infos: Vec<(i64, Info)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            continue;
        }
        let (Ok(id), Ok(parent)) = (f[0].parse::<i64>(), f[1].parse::<i64>()) else {
            continue;
        };
        let info = Info {
            parent,
            root: f[3].to_string(),
            dst: f[4].to_string(),
            src: f[f.len() - 2].to_string(),
        };
        match infos.iter_mut().find(|(i, _)| *i == id) {
            Some(slot) => slot.1 = info,
            None => infos.push((id, info)),
        }
    }
    let mut mounts = HashMap::new();
    for (_, m) in &infos {
        let parent = (m.parent != 1)
            .then(|| infos.iter().find(|(i, _)| *i == m.parent))
            .flatten();
        let src = match parent {
            Some((_, p)) => {
                let mut root = m.root.clone();
                if p.root.len() > 1 && root.starts_with(&format!("{}/", p.root)) {
                    root = root[p.root.len()..].to_string();
                }
                if p.dst != "/" {
                    root = format!("{}{root}", p.dst);
                }
                root
            }
            None => m.src.clone(),
        };
        mounts.insert(m.dst.clone(), src);
    }
    mounts
}

/// ansible.posix's `ismount` from `stat -c '%d %i %F'` of the path and `stat -c '%d %i'` of
/// its parent's real path.
fn ismount(path_stat: &str, parent_stat: &str) -> bool {
    let p: Vec<&str> = path_stat.split_whitespace().collect();
    let q: Vec<&str> = parent_stat.split_whitespace().collect();
    if p.len() < 3 || q.len() < 2 || path_stat.contains("symbolic link") {
        return false;
    }
    p[0] != q[0] || p[1] == q[1]
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let state = args.str("state").unwrap_or_default().to_string();
    if matches!(state.as_str(), "mounted" | "present" | "ephemeral") {
        let missing: Vec<&str> = ["src", "fstype"]
            .into_iter()
            .filter(|k| args.get(k).is_none())
            .collect();
        if !missing.is_empty() {
            return Ok(Outcome::failure(format!(
                "state is {state} but all of the following are missing: {}",
                missing.join(", ")
            )));
        }
    }
    let name = args.str("path").unwrap_or_default().to_string();
    let fstab = args.str("fstab").unwrap_or("/etc/fstab").to_string();
    let boot = args.bool("boot", true);
    let mut warnings: Vec<String> = Vec::new();
    let mut entry = Entry {
        name: name.clone(),
        src: args.str("src").map(str::to_string),
        fstype: args.str("fstype").map(str::to_string),
        opts: args.str("opts").unwrap_or("defaults").to_string(),
        dump: args.str("dump").unwrap_or("0").to_string(),
        passno: args.str("passno").unwrap_or("0").to_string(),
    };
    let mut boot_text = "yes";
    let opts: Vec<&str> = entry.opts.split(',').collect();
    if boot && opts.contains(&"noauto") {
        warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.".into());
    } else if !boot {
        boot_text = "no";
        entry.opts = format!("{},noauto", entry.opts);
    }

    let qf = quote(&fstab);
    let qn = quote(&name);
    let mut script = String::new();
    if state != "ephemeral" {
        // The module creates a missing fstab (and its directory) even in check mode.
        script.push_str(&format!(
            "[ -e {qf} ] || {{ mkdir -p \"$(dirname {qf})\" && : >>{qf}; }} 2>/dev/null\n"
        ));
    }
    script.push_str(&section("FSTAB", &format!("cat {qf} || echo @@unreadable")));
    script.push_str(&section("MOUNTINFO", "cat /proc/self/mountinfo"));
    script.push_str(&section(
        "STAT",
        &format!("stat -c '%d %i %F' {qn} 2>/dev/null"),
    ));
    script.push_str(&section(
        "PARENT",
        &format!("stat -c '%d %i' \"$(realpath -m {qn}/..)\" 2>/dev/null"),
    ));
    let found = probe(target, &script).await?;
    let text = found.get("FSTAB").cloned().unwrap_or_default();
    if state != "ephemeral" && text.trim_end().ends_with("@@unreadable") {
        return Ok(Outcome::failure(format!(
            "Failed to open {fstab} due to permission issue"
        )));
    }
    let mounts = linux_mounts(found.get("MOUNTINFO").map_or("", String::as_str));
    let path_stat = found.get("STAT").cloned().unwrap_or_default();
    let exists = !path_stat.trim().is_empty();
    let is_mount = ismount(&path_stat, found.get("PARENT").map_or("", String::as_str));
    let bind_mounted = |src: Option<&str>| match src {
        None => mounts.contains_key(&name),
        Some(s) => mounts.get(&name).is_some_and(|m| m == s),
    };

    // `mount <options> [-T fstab] [ephemeral's -t/-o/source] <name>`.
    let mount_with = |options: &[String]| {
        let mut cmd = vec!["mount".to_string()];
        cmd.extend(options.iter().cloned());
        if fstab != "/etc/fstab" && state != "ephemeral" {
            cmd.extend(["-T".to_string(), fstab.clone()]);
        }
        if state == "ephemeral" {
            cmd.extend(ephemeral_args(&entry));
        }
        cmd.push(name.clone());
        oxible_shell::join(&cmd)
    };
    let mount_cmd = mount_with(&[]);
    let remount_cmd = mount_with(&[
        "-o".to_string(),
        if state == "remounted" && entry.opts != "defaults" {
            format!("remount,{}", entry.opts)
        } else {
            "remount".into()
        },
    ]);
    // Shell functions: each prints the failing command's output and returns non-zero.
    let strict_remount = state == "remounted" && entry.opts != "defaults";
    let functions = format!(
        "run() {{ out=$(\"$@\" 2>&1; echo \"x$?\"); rc=${{out##*x}}; out=${{out%x*}}; return \"$rc\"; }}\n\
         do_mount() {{ run {mount_cmd}; }}\n\
         do_umount() {{ run umount {qn}; }}\n\
         do_remount() {{ run {remount_cmd} && return 0; {}\n do_umount && do_mount; }}\n",
        if strict_remount {
            "printf '@@strict'; exit 3;"
        } else {
            ""
        }
    );

    let mut changed = false;
    let mut new_text: Option<String> = None;
    let mut actions = String::new();
    let mut pre = String::new();
    match state.as_str() {
        "absent_from_fstab" | "absent" => {
            let (t, c) = entry.unset(&text);
            changed = c;
            if c {
                new_text = Some(t);
                if state == "absent" {
                    if is_mount || bind_mounted(None) {
                        actions.push_str(&format!(
                            "do_umount || {{ printf 'Error unmounting %s: %s' {qn} \"$out\"; exit 2; }}\n"
                        ));
                    }
                    if exists {
                        actions.push_str(&format!(
                            "out=$(rmdir {qn} 2>&1) || {{ printf 'Error rmdir %s: %s' {qn} \"$out\"; exit 2; }}\n"
                        ));
                    }
                }
            }
        }
        "unmounted" => {
            if is_mount || bind_mounted(None) {
                changed = true;
                actions.push_str(&format!(
                    "do_umount || {{ printf 'Error unmounting %s: %s' {qn} \"$out\"; exit 2; }}\n"
                ));
            }
        }
        "present" => {
            let (t, c) = entry.set(&text);
            changed = c;
            if c {
                new_text = Some(t);
            }
        }
        "remounted" => {
            changed = true;
            actions.push_str(&format!(
                "do_remount || {{ printf 'Error remounting %s: %s' {qn} \"$out\"; exit 2; }}\n"
            ));
        }
        _ => {
            // mounted / ephemeral
            if state == "mounted" {
                let (t, c) = entry.set(&text);
                changed = c;
                if c {
                    new_text = Some(t);
                }
            }
            let mounted_now = is_mount || bind_mounted(entry.src.as_deref());
            let restore = if state == "mounted" && new_text.is_some() {
                format!("printf %s {} >{qf}; ", quote(&text))
            } else {
                String::new()
            };
            let undo = format!(
                "{{ {restore}for d in $created; do rmdir \"$d\" 2>/dev/null; done; printf 'Error mounting %s: %s' {qn} \"$out\"; exit 2; }}"
            );
            if mounted_now {
                if state == "ephemeral" {
                    if is_mount || bind_mounted(None) {
                        let same = bind_mounted(entry.src.as_deref());
                        if !same {
                            actions.push_str(&format!(
                                "mount -v 2>/dev/null | awk -v s={} -v d={qn} '$1 == s && $3 == d {{ f = 1 }} END {{ exit !f }}' || {{ printf '@@ephemeral'; exit 3; }}\n",
                                quote(entry.src.as_deref().unwrap_or_default())
                            ));
                        }
                    }
                    changed = true;
                    actions.push_str(&format!("do_remount || {undo}\n"));
                } else if changed {
                    actions.push_str(&format!("do_remount || {undo}\n"));
                }
            } else {
                changed = true;
                actions.push_str(&format!("do_mount || {undo}\n"));
            }
            if !exists && !target.check_mode {
                // The directories made for the mount point, deepest last, for the undo.
                pre = format!(
                    "created=''; p=''; n={qn}; set -f; IFS=/; for d in $n; do IFS=' '; \
                     [ -n \"$d\" ] || continue; \
                     case \"$n\" in /*) p=\"$p/$d\";; *) p=\"${{p:+$p/}}$d\";; esac; \
                     [ -e \"$p\" ] || {{ mkdir \"$p\" || {{ printf 'Error making dir %s: mkdir failed' \"$n\"; exit 2; }}; \
                     created=\"$p $created\"; }}; done; IFS=' '; set +f\n"
                );
            }
        }
    }

    let backup = args.bool("backup", false);
    let mut backup_file = String::new();
    if !target.check_mode && (new_text.is_some() || !actions.is_empty() || !pre.is_empty()) {
        let mut script = functions;
        script.push_str("created=''\n");
        // For `mounted`, the directory is made before the fstab is written, as the module.
        script.push_str(&pre);
        if let Some(t) = &new_text {
            if backup {
                script.push_str(&format!(
                    "b={qf}.$$.$(date +%Y-%m-%d@%H:%M:%S~); cp -p {qf} \"$b\" && printf '@@backup %s\\n' \"$b\"\n"
                ));
            }
            script.push_str(&format!("printf %s {} >{qf} || exit 1\n", quote(t)));
        }
        script.push_str(&actions);
        let out = target.run(&script, None, None).await?;
        let stdout = out.stdout_text();
        // The module reports the backup only when it set a line (unset_mount drops the name).
        if let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("@@backup "))
            && matches!(state.as_str(), "present" | "mounted")
        {
            backup_file = line.to_string();
        }
        let message = stdout
            .split_once('\n')
            .filter(|_| stdout.starts_with("@@backup "))
            .map_or(stdout.as_str(), |(_, rest)| rest);
        match out.rc {
            0 => {}
            3 if message.contains("@@strict") => {
                return Ok(Outcome::failure(
                    "Options were specified with remounted, but the remount command failed. \
                     Failing in order to prevent an unexpected mount result. Try replacing this \
                     command with a \"state: unmounted\" followed by a \"state: mounted\" using \
                     the full desired mount options instead.",
                ));
            }
            3 => {
                return Ok(Outcome::failure(
                    "Ephemeral mount point is already mounted with a different source than the \
                     specified one. Failing in order to prevent an unwanted unmount or override \
                     operation. Try replacing this command with a \"state: unmounted\" followed \
                     by a \"state: ephemeral\", or use a different destination path.",
                ));
            }
            _ => {
                let msg = if message.is_empty() {
                    out.stderr_text()
                } else {
                    message.to_string()
                };
                return Ok(Outcome::failure(msg));
            }
        }
    }

    let mut outcome = Outcome::changed(changed);
    outcome.set("name", name.as_str());
    // `opts_no_log` hides the options' text wherever the result shows it, as no_log values.
    let shown_opts = match args.str("opts").filter(|_| args.bool("opts_no_log", false)) {
        Some(secret) if !secret.is_empty() => entry.opts.replace(secret, "********"),
        _ => entry.opts.clone(),
    };
    outcome.set("opts", shown_opts);
    outcome.set("dump", entry.dump.as_str());
    outcome.set("passno", entry.passno.as_str());
    outcome.set("fstab", fstab.as_str());
    outcome.set("boot", boot_text);
    if !warnings.is_empty() {
        outcome.set(
            "warnings",
            Value::seq(warnings.iter().map(|w| Value::from(w.as_str())).collect()),
        );
    }
    // The module hands its warnings to exit_json, which ansible-core 2.19 reports as
    // deprecated in every result.
    outcome.set("deprecations", deprecation());
    outcome.set("backup_file", backup_file.as_str());
    if let Some(src) = &entry.src {
        outcome.set("src", src.as_str());
    }
    if let Some(fstype) = &entry.fstype {
        outcome.set("fstype", fstype.as_str());
    }
    Ok(outcome)
}

/// The deprecation ansible-core 2.19 adds to the module's results (it passes `warnings` to
/// `exit_json`).
fn deprecation() -> Value {
    let mut deprecator = Map::new();
    deprecator.insert(Value::from("resolved_name"), Value::from("ansible.builtin"));
    deprecator.insert(Value::from("type"), Value::null());
    let mut d = Map::new();
    d.insert(
        Value::from("collection_name"),
        Value::from("ansible.builtin"),
    );
    d.insert(Value::from("deprecator"), Value::map(deprecator));
    d.insert(
        Value::from("msg"),
        Value::from("Passing `warnings` to `exit_json` or `fail_json` is deprecated."),
    );
    d.insert(Value::from("version"), Value::from("2.23"));
    Value::seq(vec![Value::map(d)])
}

/// `-t fstype [-o opts] src` for `ephemeral`.
fn ephemeral_args(entry: &Entry) -> Vec<String> {
    let mut out = vec!["-t".to_string(), entry.fstype.clone().unwrap_or_default()];
    if entry.opts != "defaults" {
        out.extend(["-o".to_string(), entry.opts.clone()]);
    }
    out.push(entry.src.clone().unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> Entry {
        Entry {
            name: name.into(),
            src: Some("/dev/sdb1".into()),
            fstype: Some("ext4".into()),
            opts: "defaults".into(),
            dump: "0".into(),
            passno: "0".into(),
        }
    }

    #[test]
    fn fstab_lines_are_added_kept_or_rewritten() {
        let e = entry("/data");
        let (t, c) = e.set("# x\nproc /proc proc defaults 0 0");
        assert!(c);
        assert_eq!(
            t,
            "# x\nproc /proc proc defaults 0 0\n/dev/sdb1 /data ext4 defaults 0 0\n"
        );
        assert_eq!(e.set(&t), (t.clone(), false));
        // A four-field line lacks dump and passno: rewritten in full.
        let (t2, c2) = e.set("/dev/sdb1 /data ext4 defaults\n");
        assert!(c2);
        assert_eq!(t2, "/dev/sdb1 /data ext4 defaults 0 0\n");
        let (t3, c3) = e.unset(&t);
        assert!(c3);
        assert_eq!(t3, "# x\nproc /proc proc defaults 0 0\n");
        assert_eq!(escape("/my dir&x\\"), "/my\\040dir\\046x\\134");
    }

    #[test]
    fn mountinfo_gives_bind_sources() {
        let info = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
                    42 22 0:35 / /tmp rw - tmpfs tmpfs rw\n\
                    78 42 0:35 /aaa /tmp/bbb rw - tmpfs tmpfs rw\n";
        let m = linux_mounts(info);
        assert_eq!(m["/"], "/dev/sda1");
        assert_eq!(m["/tmp/bbb"], "/tmp/aaa");
        assert!(ismount("5 2 directory", "4 9"));
        assert!(!ismount("4 3 directory", "4 9"));
        assert!(!ismount("", "4 9"));
    }
}
