//! Helpers shared by the PostgreSQL modules (`postgresql_db`, `postgresql_user`,
//! `postgresql_privs`, community.postgresql's): the connection parameters every one of them
//! takes, and one `psql` run on the target per round trip. community.postgresql connects with
//! psycopg from the target's Python; oxible runs the target's `psql` instead (as the task's
//! become user, usually `postgres` over the local socket), feeding it one script on stdin whose
//! output is cut into named sections.

use std::collections::HashMap;

use oxible_shell::quote;
use oxible_yaml::{Map, Value};

use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

/// The connection parameters of community.postgresql's `postgres_common_argument_spec`.
pub(crate) const CONNECTION_SPEC: &[ArgSpec] = &[
    ArgSpec::new("login_user", ArgType::Str),
    ArgSpec::new("login", ArgType::Str),
    ArgSpec::new("login_password", ArgType::Str),
    ArgSpec::new("login_host", ArgType::Str),
    ArgSpec::new("host", ArgType::Str),
    ArgSpec::new("login_unix_socket", ArgType::Str),
    ArgSpec::new("unix_socket", ArgType::Str),
    ArgSpec::new("login_port", ArgType::Int),
    ArgSpec::new("port", ArgType::Int),
    ArgSpec::new("ssl_mode", ArgType::Str).choices(&[
        "allow",
        "disable",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ]),
    ArgSpec::new("ca_cert", ArgType::Str).aliases(&["ssl_rootcert"]),
    ArgSpec::new("ssl_cert", ArgType::Path),
    ArgSpec::new("ssl_key", ArgType::Path),
    ArgSpec::new("connect_params", ArgType::Dict),
    ArgSpec::new("session_role", ArgType::Str),
    ArgSpec::new("trust_input", ArgType::Bool),
];

/// Aliases community.postgresql deprecates (alias, parameter): declared as parameters of their
/// own so that the module knows which was written and reports the deprecation as the
/// collection does; [`param`] reads either.
pub(crate) const DEPRECATED_ALIASES: &[(&str, &str)] = &[
    ("login", "login_user"),
    ("host", "login_host"),
    ("unix_socket", "login_unix_socket"),
    ("port", "login_port"),
];

/// Text parameter `name`, or the value of one of its deprecated aliases in `aliases`
/// ([`DEPRECATED_ALIASES`] are always looked at).
pub(crate) fn param<'a>(args: &'a Args, name: &str, aliases: &[(&str, &str)]) -> Option<&'a str> {
    args.str(name).or_else(|| {
        DEPRECATED_ALIASES
            .iter()
            .chain(aliases)
            .filter(|(_, canonical)| *canonical == name)
            .find_map(|(alias, _)| args.str(alias))
    })
}

/// `outcome` with the `deprecations` of every deprecated alias the task wrote, as each
/// community.postgresql module reports them once its work is done.
pub(crate) fn with_deprecations(
    args: &Args,
    aliases: &[(&str, &str)],
    mut outcome: Outcome,
) -> Result<Outcome, ModuleError> {
    if let Some(d) = deprecations(args, aliases) {
        outcome.set("deprecations", d);
    }
    Ok(outcome)
}

/// The `deprecations` of a result for every deprecated alias the task wrote
/// (community.postgresql removes them in 5.0.0), `None` when it wrote none.
fn deprecations(args: &Args, aliases: &[(&str, &str)]) -> Option<Value> {
    let used: Vec<Value> = DEPRECATED_ALIASES
        .iter()
        .chain(aliases)
        .filter(|(alias, _)| args.get(alias).is_some())
        .map(|(alias, _)| {
            let mut deprecator = Map::new();
            deprecator.insert(Value::from("resolved_name"), Value::from(COLLECTION));
            deprecator.insert(Value::from("type"), Value::null());
            let mut d = Map::new();
            d.insert(Value::from("collection_name"), Value::from(COLLECTION));
            d.insert(Value::from("deprecator"), Value::map(deprecator));
            d.insert(
                Value::from("msg"),
                Value::from(format!(
                    "Alias '{alias}' is deprecated. See the module docs for more information"
                )),
            );
            d.insert(Value::from("version"), Value::from("5.0.0"));
            Value::map(d)
        })
        .collect();
    (!used.is_empty()).then(|| Value::seq(used))
}

const COLLECTION: &str = "community.postgresql";

/// A module's spec: its own parameters followed by [`CONNECTION_SPEC`] (built once per module).
pub(crate) fn spec(own: &'static [ArgSpec]) -> Vec<ArgSpec> {
    own.iter().chain(CONNECTION_SPEC).copied().collect()
}

/// The start of a section in psql's output (`\echo` of it, then the section's rows).
const MARK: &str = "::oxible-section:: ";

/// A psql meta-command starting section `name`.
pub(crate) fn section(name: &str) -> String {
    format!("\\echo '{MARK}{name}'\n")
}

/// The sections of psql's output made with [`section`], by name: their lines (rows, fields
/// separated by `|`).
pub(crate) fn sections(stdout: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix(MARK) {
            current = Some(name.to_string());
            out.entry(name.to_string()).or_default();
        } else if let Some(name) = &current {
            out.entry(name.clone()).or_default().push(line.to_string());
        }
    }
    out
}

/// A SQL string literal (`'it''s'`), as psycopg's parameter quoting.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A SQL text array literal (`ARRAY['a','b']::text[]`).
pub(crate) fn array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| literal(i)).collect();
    format!("ARRAY[{}]::text[]", items.join(","))
}

/// An identifier in double quotes, as community.postgresql writes `"%s"` around names.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{name}\"")
}

/// The shell command running psql with the task's connection parameters on database `db`
/// (none: psql's default, the login user's name) reading its script from stdin: no psqlrc,
/// unaligned rows without headers, stopping at the first error.
fn command(args: &Args, db: Option<&str>) -> String {
    let mut cmd = String::new();
    if let Some(password) = args.str("login_password").filter(|p| !p.is_empty()) {
        cmd.push_str(&format!("PGPASSWORD={} ", quote(password)));
    }
    if let Some(mode) = args.str("ssl_mode") {
        cmd.push_str(&format!("PGSSLMODE={} ", quote(mode)));
    }
    for (param, var) in [
        ("ca_cert", "PGSSLROOTCERT"),
        ("ssl_cert", "PGSSLCERT"),
        ("ssl_key", "PGSSLKEY"),
    ] {
        if let Some(value) = args.str(param) {
            cmd.push_str(&format!("{var}={} ", quote(value)));
        }
    }
    cmd.push_str("psql -X -A -t -q -v ON_ERROR_STOP=1");
    let host = param(args, "login_host", &[]).filter(|h| !h.is_empty());
    let socket = param(args, "login_unix_socket", &[]).filter(|s| !s.is_empty());
    match (host, socket) {
        (Some(h), _) if h != "localhost" || socket.is_none() => {
            cmd.push_str(&format!(" -h {}", quote(h)))
        }
        (_, Some(s)) => cmd.push_str(&format!(" -h {}", quote(s))),
        _ => {}
    }
    cmd.push_str(&format!(
        " -p {}",
        args.int("login_port").or(args.int("port")).unwrap_or(5432)
    ));
    let user = param(args, "login_user", &[]).unwrap_or("postgres");
    cmd.push_str(&format!(" -U {}", quote(user)));
    if let Some(db) = db.filter(|d| !d.is_empty()) {
        cmd.push_str(&format!(" -d {}", quote(db)));
    }
    cmd.push_str(" -f -");
    cmd
}

/// What one psql run printed: its sections, or the error psql reported.
pub(crate) enum Psql {
    /// The script ran to its end.
    Ok(HashMap<String, Vec<String>>),
    /// psql failed (connection, SQL error): its message without psql's `psql:<stdin>:N:` prefix.
    Failed(String),
}

/// Runs `script` with psql on the target, connected to `db`. A session role (`session_role`)
/// is set first, as community.postgresql does right after connecting.
pub(crate) async fn run(
    target: &Target,
    args: &Args,
    db: Option<&str>,
    script: &str,
) -> Result<Psql, ModuleError> {
    Ok(match run_partial(target, args, db, script).await? {
        (_, Some(msg)) => Psql::Failed(msg),
        (found, None) => Psql::Ok(found),
    })
}

/// [`run`], also giving the sections printed before a failure (as [`Psql::Failed`]'s
/// message, the second item): they tell which statement of the script failed.
pub(crate) async fn run_partial(
    target: &Target,
    args: &Args,
    db: Option<&str>,
    script: &str,
) -> Result<(HashMap<String, Vec<String>>, Option<String>), ModuleError> {
    let mut full = String::new();
    if let Some(role) = args.str("session_role") {
        full.push_str(&format!("SET ROLE {};\n", ident(role)));
    }
    full.push_str(script);
    let cmd = command(args, db);
    let shell = format!(
        "command -v psql >/dev/null 2>&1 || {{ echo 'psql: command not found (community.postgresql modules need the PostgreSQL client on the target)' >&2; exit 127; }}\n{cmd}"
    );
    let out = target
        .run(&shell, Some("/"), Some(full.into_bytes()))
        .await?;
    let failure = (out.rc != 0).then(|| error_message(&out.stderr_text()));
    Ok((sections(&out.stdout_text()), failure))
}

/// The start of [`Psql::Failed`]'s message when psql could not connect, as
/// community.postgresql's `unable to connect to database: …` (the reason follows).
pub(crate) const CONNECT_FAILED: &str = "unable to connect to database: ";

/// psql's error text, its `psql:<stdin>:N: ERROR:  ` prefix removed; a failed connection
/// reads as community.postgresql's ([`CONNECT_FAILED`], psycopg's newline).
fn error_message(stderr: &str) -> String {
    let text = stderr.trim();
    if let Some(reason) = text.strip_prefix("psql: error: ") {
        return format!("{CONNECT_FAILED}{reason}\n");
    }
    let text = match text.find("ERROR:") {
        Some(i) => text[i + "ERROR:".len()..].trim_start(),
        None => text,
    };
    text.to_string()
}

/// A list of texts as a result value.
pub(crate) fn texts(items: &[String]) -> Value {
    Value::seq(items.iter().map(|s| Value::from(s.as_str())).collect())
}

/// The first field of section `name`'s first row, empty when missing.
pub(crate) fn first(sections: &HashMap<String, Vec<String>>, name: &str) -> String {
    sections
        .get(name)
        .and_then(|rows| rows.first())
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_psql_output() {
        let out = "::oxible-section:: a\n1|x\n2|y\n::oxible-section:: b\n::oxible-section:: c\nz\n";
        let s = sections(out);
        assert_eq!(s["a"], vec!["1|x", "2|y"]);
        assert!(s["b"].is_empty());
        assert_eq!(s["c"], vec!["z"]);
    }

    #[test]
    fn quoting() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(
            array(&["a".into(), "b'".into()]),
            "ARRAY['a','b''']::text[]"
        );
        assert_eq!(
            error_message("psql:<stdin>:3: ERROR:  role \"x\" does not exist\n"),
            "role \"x\" does not exist"
        );
        assert_eq!(
            error_message("psql: error: connection failed\n"),
            "unable to connect to database: connection failed\n"
        );
    }
}
