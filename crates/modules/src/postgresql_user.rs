//! `postgresql_user` (community.postgresql): a role present (password, `role_attr_flags`,
//! `expires`, `conn_limit`) or absent, through `psql` on the target. As community.postgresql's,
//! a plain password is compared with the stored SCRAM-SHA-256 verifier (or md5 hash) so an
//! unchanged password is no change; `no_password_changes` leaves the password alone. The
//! password never appears in the result: `queries` show `%(password)s` where it goes, as
//! community.postgresql's. Result keys: `user`, `queries`, `user_removed` (state absent).

use std::sync::LazyLock;

use base64::Engine;
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::postgresql::{self, Psql, ident, literal, texts};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const OWN: &[ArgSpec] = &[
    ArgSpec::new("user", ArgType::Str)
        .required()
        .aliases(&["name"]),
    ArgSpec::new("password", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("login_db", ArgType::Str),
    ArgSpec::new("db", ArgType::Str),
    ArgSpec::new("fail_on_user", ArgType::Bool).aliases(&["fail_on_role"]),
    ArgSpec::new("role_attr_flags", ArgType::Str),
    ArgSpec::new("encrypted", ArgType::Bool),
    ArgSpec::new("no_password_changes", ArgType::Bool),
    ArgSpec::new("expires", ArgType::Str),
    ArgSpec::new("conn_limit", ArgType::Int),
];

static SPEC: LazyLock<Vec<ArgSpec>> = LazyLock::new(|| postgresql::spec(OWN));

module!(
    /// The `postgresql_user` module (community.postgresql.postgresql_user).
    pub PostgresqlUser = "postgresql_user", SPEC.as_slice(), run
);

/// The deprecated aliases of this module's own parameters.
const ALIASES: &[(&str, &str)] = &[("db", "login_db")];

/// Role attributes and the pg_authid column holding each.
const FLAGS: &[(&str, &str)] = &[
    ("SUPERUSER", "rolsuper"),
    ("CREATEROLE", "rolcreaterole"),
    ("CREATEDB", "rolcreatedb"),
    ("INHERIT", "rolinherit"),
    ("LOGIN", "rolcanlogin"),
    ("REPLICATION", "rolreplication"),
    ("BYPASSRLS", "rolbypassrls"),
];

/// `role_attr_flags` checked and normalized (upper case, space separated, first-seen order;
/// community.postgresql's order comes from a frozenset).
fn parse_flags(text: &str) -> Result<Vec<String>, String> {
    let mut flags: Vec<String> = Vec::new();
    for f in text.split(',').filter(|f| !f.is_empty()) {
        let f = f.to_uppercase();
        if !flags.contains(&f) {
            flags.push(f);
        }
    }
    let valid = |f: &String| {
        let base = f.strip_prefix("NO").unwrap_or(f);
        FLAGS.iter().any(|(k, _)| *k == base || *k == f)
    };
    let bad: Vec<String> = flags.iter().filter(|f| !valid(f)).cloned().collect();
    if !bad.is_empty() {
        return Err(format!(
            "Invalid role_attr_flags specified: {}",
            bad.join(" ")
        ));
    }
    Ok(flags)
}

/// The role as pg_authid has it.
#[derive(Debug, Default)]
struct Role {
    /// Attribute columns by name (`t`/`f`).
    attrs: Vec<(String, bool)>,
    conn_limit: i64,
    /// Whether `expires` differs from `rolvaliduntil` (`None`: not asked).
    expires_differs: bool,
    password: Option<String>,
}

const COLUMNS: &str = "rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolcanlogin, \
                       rolreplication, rolbypassrls";

fn parse_role(row: &str) -> Role {
    // The password comes last: the fields before it hold no `|`.
    let fields: Vec<&str> = row.splitn(10, '|').collect();
    let get = |i: usize| fields.get(i).copied().unwrap_or_default();
    let attrs = FLAGS
        .iter()
        .enumerate()
        .map(|(i, (_, col))| (col.to_string(), get(i) == "t"))
        .collect();
    Role {
        attrs,
        conn_limit: get(7).parse().unwrap_or(-1),
        expires_differs: get(8) == "t",
        password: Some(get(9).to_string()).filter(|p| !p.is_empty()),
    }
}

fn flags_differ(flags: &[String], role: &Role) -> bool {
    flags.iter().any(|f| {
        let (name, want) = match f.strip_prefix("NO") {
            Some(base) if FLAGS.iter().any(|(k, _)| *k == base) => (base, false),
            _ => (f.as_str(), true),
        };
        let col = FLAGS.iter().find(|(k, _)| *k == name).map(|(_, c)| *c);
        let have = role
            .attrs
            .iter()
            .find(|(c, _)| Some(c.as_str()) == col)
            .map(|(_, v)| *v);
        have != Some(want)
    })
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA256, one 32-byte block (SCRAM's salted password).
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac_sha256(password, &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac_sha256(password, &u);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

/// Whether `password` matches a stored `SCRAM-SHA-256$<iter>:<salt>$<stored>:<server>` verifier
/// (`None` when it is not one).
fn scram_matches(verifier: &str, password: &str) -> Option<bool> {
    let rest = verifier.strip_prefix("SCRAM-SHA-256$")?;
    let (params, keys) = rest.split_once('$')?;
    let (iter, salt) = params.split_once(':')?;
    let (_, server_key) = keys.split_once(':')?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let iterations: u32 = iter.parse().ok()?;
    let salt = b64.decode(salt).ok()?;
    let server_key = b64.decode(server_key).ok()?;
    let salted = pbkdf2_sha256(password.as_bytes(), &salt, iterations);
    Some(hmac_sha256(&salted, b"Server Key").as_slice() == server_key.as_slice())
}

fn is_scram(text: &str) -> bool {
    text.starts_with("SCRAM-SHA-256$") && text.matches('$').count() == 2
}

fn is_md5(text: &str) -> bool {
    text.starts_with("md5") && text.len() == 35
}

/// community.postgresql's `user_should_we_change_password`.
fn password_changes(
    password: Option<&str>,
    current: Option<&str>,
    user: &str,
    encrypted: bool,
    default_encryption: &str,
) -> bool {
    let Some(password) = password else {
        return false;
    };
    if password.is_empty() {
        return current.is_some();
    }
    if is_scram(password) {
        return Some(password) != current;
    }
    if let Some(cur) = current.filter(|c| is_scram(c)) {
        return scram_matches(cur, password) != Some(true);
    }
    if is_md5(password) || !encrypted {
        return Some(password) != current;
    }
    match default_encryption {
        "md5" => {
            let hash = format!(
                "md5{:x}",
                Md5::digest(format!("{password}{user}").as_bytes())
            );
            Some(hash.as_str()) != current
        }
        "scram-sha-256" => true,
        _ => false,
    }
}

fn result(changed: bool, user: &str, queries: &[String]) -> Outcome {
    let mut outcome = Outcome::changed(changed);
    outcome.set("user", user).set("queries", texts(queries));
    outcome
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    postgresql::with_deprecations(&args, ALIASES, apply(target, &args).await?)
}

/// The module's work; `run` adds the deprecations.
async fn apply(target: &Target, args: &Args) -> Result<Outcome, ModuleError> {
    let user = args.str("user").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    let password = args.str("password");
    let encrypted = args.bool("encrypted", true);
    let crypt = if encrypted {
        "ENCRYPTED"
    } else {
        "UNENCRYPTED"
    };
    let expires = args.str("expires");
    let conn_limit = args.int("conn_limit");
    let no_password_changes = args.bool("no_password_changes", false);
    let db = postgresql::param(args, "login_db", ALIASES)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let flags = match parse_flags(args.str("role_attr_flags").unwrap_or_default()) {
        Ok(f) => f,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let flags_text = flags.join(" ");
    if user.is_empty() {
        return Ok(Outcome::failure("user must not be empty"));
    }
    let quoted = if user.starts_with('"') || user.ends_with('"') {
        user.clone()
    } else {
        ident(&user)
    };
    // Round trip 1: the role's row and the server's default password hashing.
    let expires_sql = match expires {
        Some(e) => format!(
            "({}::timestamptz IS DISTINCT FROM rolvaliduntil)",
            literal(e)
        ),
        None => "false".into(),
    };
    let probe = format!(
        "{}SHOW password_encryption;\n{}SELECT {COLUMNS}, rolconnlimit, {expires_sql}, \
         coalesce(rolpassword, '') FROM pg_catalog.pg_authid WHERE rolname = {};\n",
        postgresql::section("enc"),
        postgresql::section("role"),
        literal(&user)
    );
    let found = match postgresql::run(target, args, db.as_deref(), &probe).await? {
        Psql::Ok(s) => s,
        Psql::Failed(msg) => return Ok(Outcome::failure(msg)),
    };
    let role = found
        .get("role")
        .and_then(|rows| rows.first())
        .map(|row| parse_role(row));
    let exists = role.is_some() || user == "PUBLIC";
    let default_encryption = postgresql::first(&found, "enc");

    // The statement (as reported) and its parameters' values.
    let mut query: Option<String> = None;
    if state == "absent" {
        if !exists {
            return Ok(result(false, &user, &[]));
        }
        if target.check_mode {
            let mut outcome = result(true, &user, &[]);
            outcome.set("user_removed", true);
            return Ok(outcome);
        }
        query = Some(format!("DROP USER {quoted}"));
    } else if let Some(role) = &role {
        let alters = password.is_some()
            || !flags_text.is_empty()
            || expires.is_some()
            || conn_limit.is_some();
        if !no_password_changes && alters {
            let pw = password_changes(
                password,
                role.password.as_deref(),
                &user,
                encrypted,
                &default_encryption,
            );
            let fl = flags_differ(&flags, role);
            let limit = conn_limit.is_some_and(|c| c != role.conn_limit);
            if pw || fl || role.expires_differs || limit {
                let mut alter = vec![format!("ALTER USER {quoted}")];
                if pw {
                    if password != Some("") {
                        alter.push(format!("WITH {crypt}"));
                        alter.push("PASSWORD %(password)s".into());
                    } else {
                        alter.push("WITH PASSWORD NULL".into());
                    }
                    alter.push(flags_text.clone());
                } else if !flags_text.is_empty() {
                    alter.push(format!("WITH {flags_text}"));
                }
                if expires.is_some() {
                    alter.push("VALID UNTIL %(expires)s".into());
                }
                if let Some(c) = conn_limit {
                    alter.push(format!("CONNECTION LIMIT {c}"));
                }
                query = Some(alter.join(" "));
            }
        } else if no_password_changes && !flags_text.is_empty() && flags_differ(&flags, role) {
            query = Some(format!("ALTER USER {quoted} WITH {flags_text}"));
        }
    } else if user == "PUBLIC" {
        if password.is_some() {
            return Ok(Outcome::failure(
                "cannot change the password for PUBLIC user",
            ));
        }
        if !flags_text.is_empty() {
            return Ok(Outcome::failure(
                "cannot change the role_attr_flags for PUBLIC user",
            ));
        }
    } else {
        let mut create = vec![format!("CREATE USER {quoted}")];
        if password.is_some_and(|p| !p.is_empty()) {
            create.push(format!("WITH {crypt}"));
            create.push("PASSWORD %(password)s".into());
        }
        if expires.is_some() {
            create.push("VALID UNTIL %(expires)s".into());
        }
        if let Some(c) = conn_limit {
            create.push(format!("CONNECTION LIMIT {c}"));
        }
        create.push(flags_text.clone());
        query = Some(create.join(" "));
    }
    let Some(query) = query else {
        return Ok(result(false, &user, &[]));
    };
    // The statement with its values, run in a transaction rolled back in check mode (as
    // community.postgresql does, so that errors still show).
    let sql = query
        .replace("%(password)s", &literal(password.unwrap_or_default()))
        .replace("%(expires)s", &literal(expires.unwrap_or_default()));
    let end = if target.check_mode {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    let script = format!("BEGIN;\n{sql};\n{end};\n");
    match postgresql::run(target, args, db.as_deref(), &script).await? {
        Psql::Ok(_) => {}
        Psql::Failed(msg) if state == "absent" => {
            if args.bool("fail_on_user", true) {
                return Ok(Outcome::failure(format!("Unable to remove user: {msg}")));
            }
            let mut outcome = result(false, &user, &[query]);
            outcome.set("user_removed", false);
            return Ok(outcome);
        }
        Psql::Failed(msg) if role.is_none() => {
            return Ok(Outcome::failure(format!(
                "Unable to add user with given requirement due to : {msg}"
            )));
        }
        Psql::Failed(msg) => return Ok(Outcome::failure(msg)),
    }
    let mut outcome = result(true, &user, &[query]);
    if state == "absent" {
        outcome.set("user_removed", true);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scram_verifier_checks_the_password() {
        // Made by PostgreSQL 15 for password 'omero-secret'.
        let verifier = "SCRAM-SHA-256$4096:q6RW516F3OlwHuLh2iEFHQ==$\
                        WpvudkJYv3rgqaQkBunx1TwcCcF68QqlnXawxWKrZrc=:\
                        GupTN5ENnG0JzAfYyEWa5h1tM+B8ISjEsd/v2EAc3jU=";
        assert_eq!(scram_matches(verifier, "omero-secret"), Some(true));
        assert_eq!(scram_matches(verifier, "other"), Some(false));
        assert!(!password_changes(
            Some("omero-secret"),
            Some(verifier),
            "x",
            true,
            "scram-sha-256"
        ));
        assert!(password_changes(
            Some("other"),
            Some(verifier),
            "x",
            true,
            "scram-sha-256"
        ));
        assert_eq!(scram_matches("md5abc", "x"), None);
    }

    #[test]
    fn hmac_matches_rfc4231() {
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(
            mac.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn flags_and_passwords() {
        assert_eq!(
            parse_flags("login,NOSUPERUSER").unwrap(),
            ["LOGIN", "NOSUPERUSER"]
        );
        assert!(parse_flags("FLY").is_err());
        let md5 = format!("md5{:x}", Md5::digest(b"secretbob"));
        assert!(!password_changes(
            Some("secret"),
            Some(&md5),
            "bob",
            true,
            "md5"
        ));
        assert!(password_changes(
            Some("other"),
            Some(&md5),
            "bob",
            true,
            "md5"
        ));
        assert!(password_changes(Some(""), Some(&md5), "bob", true, "md5"));
        assert!(!password_changes(None, Some(&md5), "bob", true, "md5"));
    }
}
