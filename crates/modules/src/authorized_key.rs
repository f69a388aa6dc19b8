//! `authorized_key` (ansible.posix): SSH public keys present or absent in a user's
//! `authorized_keys` file (`~user/.ssh/authorized_keys`, or `path`), as ansible.posix's module
//! edits it: lines are keyed by the key's base64 blob, a key whose options or comment differ is
//! replaced (moving to the end), `exclusive` drops every other line, `key_options` and `comment`
//! override the given key's; on a write `.ssh` is made 0700 and the file 0600, both owned by
//! the user (`manage_dir`). `key` may hold several lines, or be an `http(s)://` URL (fetched on
//! the target with curl or wget) or a `file://` path on the target. Result keys: every
//! parameter plus `keyfile`, and with `--diff` the file before and after.

use std::collections::BTreeMap;

use oxible_shell::quote;
use oxible_yaml::Value;

use crate::fs::text_diff;
use crate::system::{probe, section, write_stdin};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("user", ArgType::Str).required(),
    ArgSpec::new("key", ArgType::Str).required(),
    ArgSpec::new("path", ArgType::Path),
    ArgSpec::new("manage_dir", ArgType::Bool),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("key_options", ArgType::Str),
    ArgSpec::new("exclusive", ArgType::Bool),
    ArgSpec::new("comment", ArgType::Str),
    ArgSpec::new("validate_certs", ArgType::Bool),
    ArgSpec::new("follow", ArgType::Bool),
];

module!(
    /// The `authorized_key` module (`ansible.posix.authorized_key`).
    pub AuthorizedKey = "authorized_key", SPEC, run
);

/// The key types ansible.posix recognises in a line.
const KEY_TYPES: &[&str] = &[
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "ssh-xmss@openssh.com",
    "ssh-xmss-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
];

/// Key options in their order (a name may repeat; `None` for a bare flag).
type Options = Vec<(String, Option<String>)>;

/// One line of the file: a key, or a line kept as it is (comments, blanks, unknown text).
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Key {
        blob: String,
        kind: String,
        options: Options,
        comment: String,
    },
    Kept(String),
}

impl Entry {
    /// The dict key ansible.posix files the line under: the blob, or the raw line.
    fn id(&self) -> &str {
        match self {
            Entry::Key { blob, .. } => blob,
            Entry::Kept(line) => line,
        }
    }

    /// Whether two keys are the same for the module (options compared as a dict of lists).
    fn same(&self, other: &Entry) -> bool {
        match (self, other) {
            (
                Entry::Key {
                    blob: a,
                    kind: ka,
                    options: oa,
                    comment: ca,
                },
                Entry::Key {
                    blob: b,
                    kind: kb,
                    options: ob,
                    comment: cb,
                },
            ) => a == b && ka == kb && ca == cb && options_dict(oa) == options_dict(ob),
            _ => self == other,
        }
    }

    fn render(&self) -> String {
        match self {
            Entry::Kept(line) => line.clone(),
            Entry::Key {
                blob,
                kind,
                options,
                comment,
            } => {
                let mut opts: Vec<String> = options
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => k.clone(),
                    })
                    .collect();
                if !opts.is_empty() {
                    opts.push(String::new());
                }
                let opts = if opts.is_empty() {
                    String::new()
                } else {
                    format!("{} ", opts[..opts.len() - 1].join(","))
                };
                format!("{opts}{kind} {blob} {comment}\n")
            }
        }
    }
}

fn options_dict(options: &Options) -> BTreeMap<&str, Vec<Option<&str>>> {
    let mut map: BTreeMap<&str, Vec<Option<&str>>> = BTreeMap::new();
    for (k, v) in options {
        map.entry(k.as_str()).or_default().push(v.as_deref());
    }
    map
}

/// Splits key options at commas outside double or single quotes.
fn parse_options(text: &str) -> Options {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote_char: Option<char> = None;
    for c in text.chars() {
        match (quote_char, c) {
            (None, ',') => parts.push(std::mem::take(&mut current)),
            (None, '"' | '\'') => {
                quote_char = Some(c);
                current.push(c);
            }
            (Some(q), _) if c == q => {
                quote_char = None;
                current.push(c);
            }
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (p, None),
        })
        .collect()
}

/// ansible.posix's `parsekey`: options before the key type, the blob after it, the rest as
/// the comment; `None` when no known key type is in the line.
fn parse_key(line: &str) -> Option<Entry> {
    let line = line.replace("\\#", "#");
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.first() == Some(&"#") {
        return Some(Entry::Kept(line));
    }
    let at = words.iter().position(|w| KEY_TYPES.contains(w))?;
    let blob = words.get(at + 1)?;
    Some(Entry::Key {
        blob: (*blob).to_string(),
        kind: words[at].to_string(),
        options: if at > 0 {
            parse_options(&words[..at].join(" "))
        } else {
            Vec::new()
        },
        comment: words.get(at + 2..).unwrap_or_default().join(" "),
    })
}

/// The file's entries with their ranks, in dict order (a repeated id keeps its first place
/// and takes the later rank, as a Python dict does).
#[derive(Debug, Default)]
struct Keys {
    entries: Vec<(Entry, usize)>,
}

impl Keys {
    fn parse(text: &str) -> Self {
        let mut keys = Self::default();
        for (rank, line) in text.split_inclusive('\n').enumerate() {
            let entry = parse_key(line).unwrap_or_else(|| Entry::Kept(line.to_string()));
            keys.set(entry, rank);
        }
        keys
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|(e, _)| e.id() == id)
    }

    fn set(&mut self, entry: Entry, rank: usize) {
        match self.position(entry.id()) {
            Some(i) => self.entries[i] = (entry, rank),
            None => self.entries.push((entry, rank)),
        }
    }

    fn remove(&mut self, id: &str) {
        if let Some(i) = self.position(id) {
            self.entries.remove(i);
        }
    }

    /// The file's text: entries sorted by rank (stable over dict order).
    fn render(&self) -> String {
        let mut sorted: Vec<&(Entry, usize)> = self.entries.iter().collect();
        sorted.sort_by_key(|(_, rank)| *rank);
        sorted.iter().map(|(e, _)| e.render()).collect()
    }
}

/// The wanted edit of `existing` for `new_keys`: whether to write.
fn enforce(keys: &mut Keys, new_keys: &[Entry], present: bool, exclusive: bool) -> bool {
    let mut write = false;
    let max_rank = keys.entries.len();
    let mut wanted: Vec<String> = Vec::new();
    for (rank, new) in new_keys.iter().enumerate() {
        let id = new.id().to_string();
        let existing = keys.position(&id).map(|i| keys.entries[i].0.clone());
        let matched = existing.as_ref().is_some_and(|e| !present || new.same(e));
        if present {
            wanted.push(id.clone());
            if existing.is_some() && !matched {
                keys.remove(&id);
                write = true;
            }
            if !matched {
                keys.set(new.clone(), max_rank + rank);
                write = true;
            }
        } else if matched {
            keys.remove(&id);
            write = true;
        }
    }
    if present && exclusive {
        let before = keys.entries.len();
        keys.entries
            .retain(|(e, _)| wanted.iter().any(|w| w == e.id()));
        write |= keys.entries.len() != before;
    }
    write
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let user = args.str("user").unwrap_or_default().to_string();
    let mut key = args.str("key").unwrap_or_default().to_string();
    let path = args.str("path").map(str::to_string);
    let manage_dir = args.bool("manage_dir", true);
    let present = args.str("state") != Some("absent");
    let follow = args.bool("follow", false);

    // One probe: the user's entry, the key when it is a URL or a file, the current file.
    let file_word = match &path {
        Some(p) => quote(p),
        None => format!(
            "\"$(getent passwd {} | cut -d: -f6)/.ssh/authorized_keys\"",
            quote(&user)
        ),
    };
    let mut script = section("P", &format!("getent passwd {}", quote(&user)));
    if key.starts_with("http") {
        script.push_str(&section(
            "URL",
            &format!(
                "{} || echo @@fail",
                crate::apt_key::download(&key, args.bool("validate_certs", true))
            ),
        ));
    } else if key.starts_with("file") {
        let local = key.split_once("://").map_or(key.as_str(), |(_, rest)| {
            rest.find('/').map_or("", |i| &rest[i..])
        });
        script.push_str(&section(
            "FILE",
            &format!(
                "f={}; if [ -d \"$f\" ]; then echo @@dir; elif [ -e \"$f\" ]; then cat \"$f\"; else echo @@missing; fi",
                quote(local)
            ),
        ));
        script.push_str(&format!("kp={}\n", quote(local)));
    }
    script.push_str(&section(
        "R",
        &format!(
            "f={file_word}; if [ -n \"{}\" ]; then readlink -f \"$f\"; else echo \"$f\"; fi",
            if follow { "1" } else { "" }
        ),
    ));
    script.push_str(&section(
        "K",
        &format!("f={file_word}; [ -f \"$f\" ] && cat \"$f\""),
    ));
    let found = probe(target, &script).await?;
    let pw = found.get("P").map(|s| s.trim()).unwrap_or_default();
    let fields: Vec<&str> = pw.split(':').collect();
    if fields.len() < 7 && (path.is_none() || !target.check_mode) {
        let msg = if target.check_mode {
            "Either user must exist or you must provide full path to key file in check mode"
                .to_string()
        } else {
            format!("Failed to lookup user {user}: \"getpwnam(): name not found: '{user}'\"")
        };
        return Ok(Outcome::failure(msg));
    }
    if let Some(text) = found.get("URL") {
        if text.trim_end().ends_with("@@fail") {
            return Ok(Outcome::failure(format!("Error getting key from: {key}")));
        }
        key = text.clone();
    }
    if let Some(text) = found.get("FILE") {
        let local = key.split_once("://").map_or("", |(_, r)| r);
        let local = local.find('/').map_or("", |i| &local[i..]).to_string();
        match text.trim_end() {
            "@@missing" => {
                return Ok(Outcome::failure(format!(
                    "Path to a key file not found: {local}"
                )));
            }
            "@@dir" => {
                return Ok(Outcome::failure(format!(
                    "Path to a key is a directory and must be a file: {local}"
                )));
            }
            _ => key = text.clone(),
        }
    }
    let keyfile = match &path {
        Some(p) => p.clone(),
        None => format!("{}/.ssh/authorized_keys", fields.get(5).unwrap_or(&"")),
    };
    let write_path = found
        .get("R")
        .map(|s| s.trim_end_matches('\n').to_string())
        .filter(|s| !s.is_empty() && follow)
        .unwrap_or_else(|| keyfile.clone());
    let existing = found.get("K").cloned().unwrap_or_default();

    let mut new_keys = Vec::new();
    for line in key.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(mut entry) = parse_key(line) else {
            return Ok(Outcome::failure(format!("invalid key specified: {line}")));
        };
        if let Entry::Key {
            options, comment, ..
        } = &mut entry
        {
            if let Some(o) = args.str("key_options") {
                *options = parse_options(o);
            }
            if let Some(c) = args.str("comment") {
                *comment = c.to_string();
            }
        }
        new_keys.push(entry);
    }
    let mut keys = Keys::parse(&existing);
    let write = enforce(&mut keys, &new_keys, present, args.bool("exclusive", false));

    let mut outcome = Outcome::changed(write);
    for spec in SPEC {
        let value = match spec.name {
            "manage_dir" => Value::from(manage_dir),
            "state" => Value::from(if present { "present" } else { "absent" }),
            "exclusive" | "validate_certs" | "follow" => {
                Value::from(args.bool(spec.name, spec.name == "validate_certs"))
            }
            name => args.get(name).cloned().unwrap_or_else(Value::null),
        };
        outcome.set(spec.name, value);
    }
    outcome.set("keyfile", keyfile.as_str());
    if !write {
        return Ok(outcome);
    }
    let content = keys.render();
    if target.diff {
        outcome.diff = Some(Value::map(text_diff(
            &existing,
            &content,
            Some(&keyfile),
            Some(&write_path),
        )));
    }
    if target.check_mode {
        return Ok(outcome);
    }
    let (uid, gid) = (fields[2], fields[3]);
    let file = quote(&write_path);
    let mut script = String::new();
    if manage_dir {
        let dir = match &path {
            Some(p) => p
                .rsplit_once('/')
                .map_or(".", |(d, _)| if d.is_empty() { "/" } else { d })
                .to_string(),
            None => format!("{}/.ssh", fields[5]),
        };
        script.push_str(&format!(
            "d={}; [ -e \"$d\" ] || mkdir -m 700 \"$d\" || exit 1; chown {uid}:{gid} \"$d\" && chmod 700 \"$d\" || exit 1\n",
            quote(&dir)
        ));
    }
    script.push_str(&format!(
        "if [ ! -e {file} ]; then mkdir -p \"$(dirname {file})\" && : >{file} || exit 1; fi\n\
         chown {uid}:{gid} {file} 2>/dev/null; chmod 600 {file} 2>/dev/null\n{}",
        write_stdin(&write_path, "600")
    ));
    let out = target
        .run(&script, None, Some(content.into_bytes()))
        .await?;
    if out.rc != 0 {
        return Ok(Outcome::failure(format!(
            "Failed to write to file {write_path}: {}",
            out.stderr_text().trim()
        )));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_options_and_comments() {
        let e = parse_key("no-pty,command=\"a, b\" ssh-ed25519 AAAA me@x\n").expect("key");
        assert_eq!(
            e,
            Entry::Key {
                blob: "AAAA".into(),
                kind: "ssh-ed25519".into(),
                options: vec![
                    ("no-pty".into(), None),
                    ("command".into(), Some("\"a, b\"".into()))
                ],
                comment: "me@x".into(),
            }
        );
        assert_eq!(
            e.render(),
            "no-pty,command=\"a, b\" ssh-ed25519 AAAA me@x\n"
        );
        assert!(parse_key("garbage").is_none());
    }

    #[test]
    fn a_changed_key_moves_to_the_end_and_exclusive_drops_the_rest() {
        let mut keys = Keys::parse("# c\nssh-rsa AAA one\nssh-ed25519 BBB two\n");
        let new = vec![parse_key("ssh-rsa AAA renamed").expect("key")];
        assert!(enforce(&mut keys, &new, true, false));
        assert_eq!(
            keys.render(),
            "# c\nssh-ed25519 BBB two\nssh-rsa AAA renamed\n"
        );
        assert!(!enforce(&mut keys, &new, true, false));
        assert!(enforce(&mut keys, &new, true, true));
        assert_eq!(keys.render(), "ssh-rsa AAA renamed\n");
        assert!(enforce(&mut keys, &new, false, false));
        assert_eq!(keys.render(), "");
    }
}
