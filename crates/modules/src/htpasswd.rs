//! `community.general.htpasswd`: one user's entry in an Apache htpasswd file, present with a
//! password or absent, as the collection's module does it through passlib's `HtpasswdFile`:
//! an entry whose hash already verifies the password is left alone, a new entry is appended,
//! comments are kept, blank lines are dropped. Hashes are made and checked on the controller
//! (`oxible-crypt`), so the target needs no passlib.

use oxible_yaml::Value;

use crate::edit::{self, WriteOptions};
use crate::fs::Attrs;
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "destfile"]),
        ArgSpec::new("name", ArgType::Str)
            .required()
            .aliases(&["username"]),
        ArgSpec::new("password", ArgType::Str),
        ArgSpec::new("hash_scheme", ArgType::Str).aliases(&["crypt_scheme"]),
        ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]),
        ArgSpec::new("create", ArgType::Bool),
    ];
    crate::fs::with_common::<6, 15>(own)
};

module!(
    /// The `community.general.htpasswd` module.
    pub Htpasswd = "htpasswd", SPEC, run
);

/// A new hash of `password` in passlib's `scheme` with passlib's default salt size and rounds;
/// `Err` names the schemes oxible can make.
fn make_hash(scheme: &str, password: &str) -> Result<String, String> {
    let p = password.as_bytes();
    Ok(match scheme {
        "apr_md5_crypt" => oxible_crypt::apr_md5_crypt(p, oxible_crypt::random_salt(8).as_bytes()),
        "md5_crypt" => oxible_crypt::md5_crypt(p, oxible_crypt::random_salt(8).as_bytes()),
        "sha256_crypt" => {
            oxible_crypt::sha256_crypt(p, oxible_crypt::random_salt(16).as_bytes(), 535_000)
        }
        "sha512_crypt" => {
            oxible_crypt::sha512_crypt(p, oxible_crypt::random_salt(16).as_bytes(), 656_000)
        }
        // The module's own CryptContext for bcrypt: passlib's `$2b$` and 12 rounds (not the
        // `$2y$` of passlib's htpasswd context).
        "bcrypt" => oxible_crypt::bcrypt(p, &oxible_crypt::random_bcrypt_salt(), 12, "2b"),
        "ldap_sha1" => oxible_crypt::ldap_sha1(p),
        "plaintext" => password.to_string(),
        other => {
            return Err(format!(
                "hash_scheme {other} is not supported by oxible (apr_md5_crypt, md5_crypt, \
                 sha256_crypt, sha512_crypt, bcrypt, ldap_sha1 and plaintext are)"
            ));
        }
    })
}

/// Whether `hash` verifies `password` as passlib's htpasswd context identifies it: a
/// scheme oxible computes is checked; a des_crypt-looking hash cannot be (treated as not
/// matching, so it is replaced); anything else is plaintext, as passlib falls back to it.
fn verifies(password: &str, hash: &str) -> bool {
    if let Some(ok) = oxible_crypt::verify(password, hash) {
        return ok;
    }
    let des_like = hash.len() == 13 && hash.bytes().all(|b| oxible_crypt::CRYPT64.contains(&b));
    !des_like && password == hash
}

/// One line of the file: a user's entry or a line kept as it is (comments).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Entry(String, String),
    Other(String),
}

/// The file as passlib reads it, blank lines dropped as the module does before.
fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with('#') {
            out.push(Line::Other(line.to_string()));
            continue;
        }
        let fields: Vec<&str> = line.trim_end().split(':').collect();
        match fields.as_slice() {
            [user, hash] => out.push(Line::Entry(user.to_string(), hash.to_string())),
            _ => {
                return Err(format!(
                    "malformed htpasswd file (error reading line {})",
                    n + 1
                ));
            }
        }
    }
    Ok(out)
}

/// The lines as passlib writes them.
fn render(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| match l {
            Line::Entry(u, h) => format!("{u}:{h}\n"),
            Line::Other(t) => format!("{t}\n"),
        })
        .collect()
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let path = args.str("path").unwrap_or_default().to_string();
    let user = args.str("name").unwrap_or_default().to_string();
    let scheme = args
        .str("hash_scheme")
        .unwrap_or("apr_md5_crypt")
        .to_string();
    let present = args.str("state") != Some("absent");
    let attrs = Attrs::from_args(&args)?;
    let loaded = edit::load(target, &path, &attrs).await?;
    let Some(text) = &loaded.text else {
        if !present {
            let mut outcome = Outcome::changed(false);
            outcome.msg = Some(format!("{user} not present"));
            outcome.set(
                "warnings",
                Value::seq(vec![Value::from(format!("{path} does not exist"))]),
            );
            return Ok(outcome);
        }
        if !args.bool("create", true) {
            return Ok(Outcome::failure(format!(
                "Destination {path} does not exist"
            )));
        }
        let Some(password) = args.str("password") else {
            return Ok(Outcome::failure(
                "secret must be unicode or bytes, not None",
            ));
        };
        if target.check_mode {
            // Ansible's attribute setters report a change for a path check mode did not make.
            let mut outcome = Outcome::changed(true);
            let attrs_msg = if attrs.any() {
                " and ownership, perms or SE linux context changed"
            } else {
                ""
            };
            outcome.msg = Some(format!("Create {path}{attrs_msg}"));
            return Ok(outcome);
        }
        let hash = match make_hash(&scheme, password) {
            Ok(h) => h,
            Err(e) => return Ok(Outcome::failure(e)),
        };
        let new = render(&[Line::Entry(user.clone(), hash)]);
        let msg = format!("Created {path} and added {user}");
        return finish(target, &path, &loaded, Some(new), true, msg, &attrs).await;
    };
    let mut lines = match parse(text) {
        Ok(l) => l,
        Err(e) => return Ok(Outcome::failure(e)),
    };
    let stripped = text.lines().any(|l| l.trim().is_empty());
    let position = lines
        .iter()
        .position(|l| matches!(l, Line::Entry(u, _) if *u == user));
    let (changed, msg) = if present {
        let Some(password) = args.str("password") else {
            return Ok(Outcome::failure(
                "secret must be unicode or bytes, not None",
            ));
        };
        let ok = position
            .is_some_and(|i| matches!(&lines[i], Line::Entry(_, h) if verifies(password, h)));
        if ok {
            (false, format!("{user} already present"))
        } else {
            let hash = match make_hash(&scheme, password) {
                Ok(h) => h,
                Err(e) => return Ok(Outcome::failure(e)),
            };
            match position {
                Some(i) => lines[i] = Line::Entry(user.clone(), hash),
                None => lines.push(Line::Entry(user.clone(), hash)),
            }
            (true, format!("Add/update {user}"))
        }
    } else if let Some(i) = position {
        lines.remove(i);
        (true, format!("Remove {user}"))
    } else {
        (false, format!("{user} not present"))
    };
    // The module rewrites a file with blank lines before anything else, unreported.
    let new = (changed || stripped).then(|| render(&lines));
    finish(target, &path, &loaded, new, changed, msg, &attrs).await
}

/// Writes `new` (not in check mode) and the attributes, as the module's `check_file_attrs`.
async fn finish(
    target: &Target,
    path: &str,
    loaded: &edit::Loaded,
    new: Option<String>,
    changed: bool,
    mut msg: String,
    attrs: &Attrs,
) -> Result<Outcome, ModuleError> {
    let committed = match edit::commit(
        target,
        path,
        loaded,
        new.as_deref(),
        attrs,
        WriteOptions::default(),
    )
    .await?
    {
        Ok(c) => c,
        Err(failure) => return Ok(failure),
    };
    let mut outcome = Outcome::changed(changed);
    if committed.attrs_changed {
        if changed {
            msg.push_str(" and ");
        }
        msg.push_str("ownership, perms or SE linux context changed");
        outcome.changed = true;
    }
    outcome.msg = Some(msg);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_and_written_as_passlib_does() {
        let lines = parse("# users\nalice:$apr1$x$y\n\nbob:plain\n").unwrap();
        assert_eq!(render(&lines), "# users\nalice:$apr1$x$y\nbob:plain\n");
        assert!(parse("a:b:c\n").is_err());
    }

    #[test]
    fn made_hashes_verify() {
        for scheme in [
            "apr_md5_crypt",
            "md5_crypt",
            "bcrypt",
            "ldap_sha1",
            "plaintext",
        ] {
            let hash = make_hash(scheme, "secret").unwrap();
            assert!(verifies("secret", &hash), "{scheme}");
            assert!(!verifies("other", &hash), "{scheme}");
        }
        assert!(make_hash("bcrypt", "x").unwrap().starts_with("$2b$12$"));
        assert!(make_hash("des_crypt", "x").is_err());
    }
}
