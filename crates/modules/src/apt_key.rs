//! `apt_key`: an OpenPGP key present in or absent from apt's keyrings through `apt-key`, as
//! ansible-core's module does (bookworm's apt still ships `apt-key`, deprecated): the key id is
//! `id`, or read with `gpg --with-colons` from `file`, `data` or `url` (downloaded on the
//! target with curl or wget); presence is decided by the key ids `apt-key adv
//! --list-public-keys` prints (8-character ids compare short); keys are added with `apt-key
//! add`, fetched with `apt-key adv --recv` from `keyserver`, removed with `apt-key del`;
//! `keyring` selects one keyring file. Result keys: `id`, `short_id`, `fp`, `key_id`,
//! `before`, and `after` once a change was made.

use oxible_shell::quote;
use oxible_yaml::Value;

use crate::system::section;
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("id", ArgType::Str),
    ArgSpec::new("url", ArgType::Str),
    ArgSpec::new("data", ArgType::Str),
    ArgSpec::new("file", ArgType::Path),
    ArgSpec::new("keyring", ArgType::Path),
    ArgSpec::new("validate_certs", ArgType::Bool),
    ArgSpec::new("keyserver", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
];

module!(
    /// The `apt_key` module.
    pub AptKey = "apt_key", SPEC, run
);

/// The environment Ansible forces on gpg and apt-key for parsable output.
const ENV: &str = "LANG=C LC_ALL=C LC_MESSAGES=C LANGUAGE=C";

/// The key ids in `gpg`/`apt-key` listing output: the id after the `/` of `pub`/`sub` lines,
/// or field 5 of `--with-colons` lines; expired keys are skipped.
fn parse_keys(output: &str, short: bool) -> Vec<String> {
    output
        .lines()
        .filter(|l| (l.starts_with("pub") || l.starts_with("sub")) && !l.contains("expired"))
        .filter_map(|line| {
            let code = line
                .split_whitespace()
                .nth(1)
                .and_then(|t| t.split_once('/'))
                .filter(|(_, id)| !id.contains('/'))
                .map(|(_, id)| id.to_string());
            code.or_else(|| line.split(':').nth(4).map(str::to_string))
        })
        .map(|id| {
            if short && id.len() > 8 && id.is_ascii() {
                id[id.len() - 8..].to_string()
            } else {
                id
            }
        })
        .collect()
}

/// Ansible's `parse_key_id`: (short id, 16-character fingerprint, whole id), upper case
/// without `0x`; an error unless hexadecimal of 8, 16 or more than 16 characters.
fn parse_key_id(id: &str) -> Option<(String, String, String)> {
    let mut id = id.trim().to_uppercase();
    if id.starts_with("0X") {
        id = id[2..].to_string();
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let n = id.len();
    if n != 8 && n != 16 && n <= 16 {
        return None;
    }
    let short = id[n - 8..].to_string();
    let fp = if n > 16 {
        id[n - 16..].to_string()
    } else {
        id.clone()
    };
    Some((short, fp, id))
}

/// `gpg --with-colons input` printing the key listing; when gpg fails, `@@unreadable`, its
/// stdout, `@@stderr` and its stderr, which Ansible's failure carries.
fn gpg_read(input: &str) -> String {
    format!(
        "e=$(mktemp); if {ENV} gpg --with-colons {input} >\"$e.o\" 2>\"$e\"; then cat \"$e.o\"; \
         else echo @@unreadable; cat \"$e.o\"; echo @@stderr; cat \"$e\"; fi; rm -f \"$e\" \"$e.o\""
    )
}

/// `apt-key` run with `env`, with `--keyring` when given.
fn apt_key(args: &Args, env: &str) -> String {
    match args.str("keyring") {
        Some(k) => format!("{env} apt-key --keyring {}", quote(k)),
        None => format!("{env} apt-key"),
    }
}

/// Ansible's `get_best_parsable_locale`: the first of its preferred locales that `locale -a`
/// lists, else `C`.
fn best_locale(available: &str) -> &'static str {
    [
        "C.utf8",
        "C.UTF-8",
        "en_US.utf8",
        "en_US.UTF-8",
        "C",
        "POSIX",
    ]
    .into_iter()
    .find(|l| available.lines().any(|a| a.trim() == *l))
    .unwrap_or("C")
}

/// A shell command printing what `url` holds (curl, else wget), failing on HTTP errors;
/// `validate_certs: false` skips certificate checks. Shared with `authorized_key`.
pub(crate) fn download(url: &str, validate_certs: bool) -> String {
    let u = quote(url);
    let (k, w) = if validate_certs {
        ("", "")
    } else {
        ("-k ", "--no-check-certificate ")
    };
    format!("if command -v curl >/dev/null; then curl -fsSL {k}{u}; else wget -q {w}-O - {u}; fi")
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["data", "file", "keyserver", "url"])?;
    let present = args.str("state") != Some("absent");
    let validate = args.bool("validate_certs", true);
    let list = format!(
        "{} adv --list-public-keys --keyid-format=long 2>/dev/null; echo \"@@rc=$?\"",
        apt_key(&args, ENV)
    );
    let mut id = args.str("id").map(str::to_string);
    let mut stdin = None;
    let mut script = String::from(
        "command -v apt-key >/dev/null || { echo @@noaptkey; exit 0; }\n\
         command -v gpg >/dev/null || { echo @@nogpg; exit 0; }\n",
    );
    if id.is_none() {
        if args.str("keyserver").is_some() {
            return Ok(Outcome::failure("Missing key_id, required with keyserver."));
        }
        let source = if let Some(url) = args.str("url") {
            Some(format!(
                // With curl, an HTTP error is told as urllib tells it (status and reason).
                "k=$(mktemp); if command -v curl >/dev/null; then \
                 curl -sSL {k}-D \"$k.h\" -o \"$k\" {u} 2>\"$k.err\"; \
                 st=$(grep -i '^HTTP/' \"$k.h\" 2>/dev/null | tail -1 | tr -d '\\r'); \
                 code=$(printf '%s' \"$st\" | cut -d' ' -f2); \
                 if [ -n \"$code\" ] && [ \"$code\" != 200 ]; then \
                 printf '@@download HTTP Error %s: %s' \"$code\" \"$(printf '%s' \"$st\" | cut -d' ' -f3-)\" >\"$k.err\"; false; \
                 elif [ -z \"$code\" ]; then false; fi; \
                 else wget -q {w}-O \"$k\" {u} 2>\"$k.err\"; fi || {{ e=$(cat \"$k.err\"); \
                 case $e in @@download*) printf '%s' \"$e\";; *) printf '@@download %s' \"$e\";; esac; \
                 rm -f \"$k\" \"$k.err\" \"$k.h\"; exit 0; }}; \
                 {}; rm -f \"$k\" \"$k.err\" \"$k.h\"",
                gpg_read("\"$k\""),
                u = quote(url),
                k = if validate { "" } else { "-k " },
                w = if validate {
                    ""
                } else {
                    "--no-check-certificate "
                },
            ))
        } else if let Some(file) = args.str("file") {
            Some(gpg_read(&quote(file)))
        } else if let Some(data) = args.str("data") {
            stdin = Some(data.as_bytes().to_vec());
            Some(gpg_read("-"))
        } else {
            None
        };
        if let Some(source) = source {
            script.push_str(&section("ID", &source));
        }
    }
    script.push_str(&section("LIST", &list));
    script.push_str(&section("LOCALE", "locale -a 2>/dev/null"));
    let out = target.run(&script, None, stdin).await?;
    let text = out.stdout_text();
    if text.starts_with("@@noaptkey") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"apt-key\" in paths: \
             /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ));
    }
    if text.starts_with("@@nogpg") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"gpg\" in paths: \
             /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ));
    }
    let found = crate::system::sections(&text);
    if let Some(idtext) = found.get("ID") {
        if let Some(err) = idtext.strip_prefix("@@download ") {
            return Ok(Outcome::failure(format!(
                "Failed to download key at {}: {}",
                args.str("url").unwrap_or_default(),
                err.trim()
            )));
        }
        if let Some((_, failed)) = idtext.split_once("@@unreadable\n") {
            let what = match args.str("file") {
                Some(f) => f.to_string(),
                None => "inline data".to_string(),
            };
            let (stdout, stderr) = failed.split_once("@@stderr\n").unwrap_or((failed, ""));
            let mut failure = Outcome::failure(format!("Unable to extract key from '{what}'"));
            failure.set("stdout", stdout).set("stderr", stderr);
            return Ok(failure);
        }
        id = parse_keys(idtext, false).into_iter().next();
    }
    let mut outcome = Outcome::changed(false);
    outcome.set("id", id.clone().map_or_else(Value::null, Value::from));
    let Some((short, fp, key_id)) = id.as_deref().and_then(parse_key_id) else {
        outcome.failed = true;
        outcome.msg = Some("Invalid key_id".into());
        return Ok(outcome);
    };
    outcome
        .set("short_id", short.as_str())
        .set("fp", fp.as_str())
        .set("key_id", key_id.as_str());
    let short_format = key_id.len() == 8;
    let listing = found.get("LIST").cloned().unwrap_or_default();
    if !listing.contains("@@rc=0") {
        outcome.failed = true;
        outcome.msg = Some("Unable to list public keys".into());
        return Ok(outcome);
    }
    let keys = parse_keys(&listing, short_format);
    outcome.set("before", strings(&keys));
    let has = |keys: &[String]| {
        if short_format {
            keys.contains(&short)
        } else {
            keys.contains(&fp)
        }
    };
    // Ansible's command line (shown in `cmd` on failure), with apt-key's usual path.
    let shown = |rest: String| match args.str("keyring") {
        Some(k) => format!("/usr/bin/apt-key --keyring {k} {rest}"),
        None => format!("/usr/bin/apt-key {rest}"),
    };
    let ak = apt_key(&args, ENV);
    let locale = best_locale(found.get("LOCALE").map_or("", String::as_str));
    let forced = format!("LANG={locale} LC_ALL={locale} LC_MESSAGES={locale} LANGUAGE={locale}");
    let action = if present && !has(&keys) {
        if let Some(file) = args.str("file") {
            Action {
                script: format!("{ak} add {}", quote(file)),
                shown: shown(format!("add {file}")),
                msg: format!("Unable to add a key from file {file}"),
                stdin: None,
                extra: Some(("keyfile", file.to_string())),
            }
        } else if let Some(server) = args.str("keyserver") {
            Action {
                // Five tries, as the module; the last one's output is reported.
                script: format!(
                    "i=0; while :; do {} adv --no-tty --keyserver {} --recv {} >\"$e.o\" 2>\"$e.e\"; \
                     rc=$?; [ $rc -eq 0 ] && break; i=$((i + 1)); if [ $i -ge 5 ]; then \
                     cat \"$e.o\"; cat \"$e.e\" >&2; rm -f \"$e.o\" \"$e.e\"; exit $rc; fi; done; \
                     rm -f \"$e.o\" \"$e.e\"",
                    apt_key(&args, &forced),
                    quote(server),
                    quote(&key_id)
                ),
                shown: shown(format!("adv --no-tty --keyserver {server} --recv {key_id}")),
                msg: format!("Error fetching key {key_id} from keyserver: {server}"),
                stdin: None,
                extra: None,
            }
        } else if let Some(data) = args.str("data") {
            Action {
                script: format!("{ak} add -"),
                shown: shown("add -".into()),
                msg: "Unable to add a key from binary data".into(),
                stdin: Some(data.as_bytes().to_vec()),
                extra: None,
            }
        } else if let Some(url) = args.str("url") {
            Action {
                script: format!("{} | {ak} add -", download(url, validate)),
                shown: shown("add -".into()),
                msg: "Unable to add a key from binary data".into(),
                stdin: None,
                extra: None,
            }
        } else {
            // An id alone names no key to add: changed in check mode, else Ansible's failure
            // (which keeps the changed flag it set first).
            outcome.changed = true;
            if !target.check_mode {
                outcome.failed = true;
                outcome.msg = Some("No key to add ... how did i get here?!?!".into());
            }
            return Ok(outcome);
        }
    } else if !present && keys.contains(&fp) {
        Action {
            script: format!("{ak} del {}", quote(&short)),
            shown: shown(format!("del {short}")),
            msg: format!("Unable to remove a key with id {short}"),
            stdin: None,
            extra: Some(("key_id", short.clone())),
        }
    } else {
        return Ok(outcome);
    };
    outcome.changed = true;
    if target.check_mode {
        return Ok(outcome);
    }
    // The command's output goes to a file so the listing after it stays parsable.
    let script = format!(
        "e=$(mktemp) || exit 1; ( {}\n) >\"$e.out\" 2>\"$e\"; rc=$?\n\
         if [ $rc -ne 0 ]; then cat \"$e.out\"; cat \"$e\" >&2; rm -f \"$e\" \"$e.out\"; exit $rc; fi\n\
         rm -f \"$e\" \"$e.out\"\n{}",
        action.script,
        section("LIST", &list)
    );
    let out = target.run(&script, None, action.stdin).await?;
    if out.rc != 0 {
        // Ansible's failure carries the command and its output, not the key ids.
        let keyserver = args.str("keyserver");
        let not_found = keyserver.is_some()
            && out.rc == 2
            && out.stdout_text().contains("not found on keyserver");
        let msg = match keyserver {
            Some(server) if not_found => format!("Key {key_id} not found on keyserver {server}"),
            _ => action.msg,
        };
        let mut failure = Outcome::failure(msg);
        failure.set("cmd", action.shown);
        if keyserver.is_some() {
            let mut env = oxible_yaml::Map::new();
            for key in ["LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"] {
                env.insert(Value::from(key), Value::from(locale));
            }
            failure.set("forced_environment", Value::map(env));
            if not_found {
                return Ok(failure);
            }
        }
        failure.set("rc", i64::from(out.rc));
        if let Some((key, value)) = action.extra {
            failure.set(key, value);
        }
        failure
            .set("stdout", out.stdout_text())
            .set("stderr", out.stderr_text());
        return Ok(failure);
    }
    let after = parse_keys(
        found_list(&out.stdout_text())
            .as_deref()
            .unwrap_or_default(),
        short_format,
    );
    outcome.set("after", strings(&after));
    let ok = if present {
        has(&after)
    } else {
        !after.contains(&fp)
    };
    if !ok {
        outcome.failed = true;
        outcome.msg = Some(format!(
            "apt-key did not return an error, but {} (check that the id is correct and *not* a subkey)",
            if present {
                "failed to add the key"
            } else {
                "the key was not removed"
            }
        ));
    }
    Ok(outcome)
}

/// The command that adds or removes the key, and how Ansible reports its failure.
struct Action {
    script: String,
    shown: String,
    msg: String,
    stdin: Option<Vec<u8>>,
    extra: Option<(&'static str, String)>,
}

fn found_list(stdout: &str) -> Option<String> {
    crate::system::sections(stdout).remove("LIST")
}

fn strings(items: &[String]) -> Value {
    Value::seq(items.iter().map(|s| Value::from(s.as_str())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_split_like_ansible() {
        assert_eq!(
            parse_key_id("0x73a4f27b8dd47936"),
            Some((
                "8DD47936".into(),
                "73A4F27B8DD47936".into(),
                "73A4F27B8DD47936".into()
            ))
        );
        assert_eq!(
            parse_key_id("B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8").map(|k| k.1),
            Some("B7C5D7D6350947F8".to_string())
        );
        assert_eq!(parse_key_id("1234"), None);
        assert_eq!(parse_key_id("xyz12345"), None);
    }

    #[test]
    fn listings_give_long_or_short_ids() {
        let out = "pub   rsa4096/B7C5D7D6350947F8 2023-01-21 [SC] [expires: 2031-01-19]\n      \
                   B8B8\nuid  x\nsub   rsa4096/6ED0E7B82643E131 2023-01-21 [S]\n\
                   pub   rsa1024/0000000011111111 2001-01-01 [SC] [expired: 2002-01-01]\n";
        assert_eq!(
            parse_keys(out, false),
            ["B7C5D7D6350947F8", "6ED0E7B82643E131"]
        );
        assert_eq!(parse_keys(out, true), ["350947F8", "2643E131"]);
        let colons = "pub:-:255:22:ABCDEF0123456789:1700000000:::-:\nuid:x\n";
        assert_eq!(parse_keys(colons, false), ["ABCDEF0123456789"]);
    }
}
