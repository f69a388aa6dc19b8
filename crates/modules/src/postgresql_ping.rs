//! `postgresql_ping` (community.postgresql): whether the PostgreSQL server answers, through
//! `psql` on the target. As community.postgresql's, a server that cannot be reached is no
//! failure: `is_available` is false, `conn_err_msg` holds the reason and a warning says so.
//! Result keys: `is_available`, `server_version` (`major`, `minor`, `full`, `raw`, and `patch`
//! for three-part versions), `conn_err_msg`; never changed.

use std::sync::LazyLock;

use oxible_yaml::{Map, Value};

use crate::postgresql::{self, Psql, first, texts};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const OWN: &[ArgSpec] = &[
    ArgSpec::new("login_db", ArgType::Str),
    ArgSpec::new("db", ArgType::Str),
];

static SPEC: LazyLock<Vec<ArgSpec>> = LazyLock::new(|| postgresql::spec(OWN));

module!(
    /// The `postgresql_ping` module (community.postgresql.postgresql_ping).
    pub PostgresqlPing = "postgresql_ping", SPEC.as_slice(), run
);

/// The deprecated aliases of this module's own parameters.
const ALIASES: &[(&str, &str)] = &[("db", "login_db")];

/// `server_version` from `version()`'s text (`PostgreSQL 15.14 (Debian …) on …`): its second
/// word split into numbers as community.postgresql does; empty when it has no version.
fn server_version(raw: &str) -> Map {
    let mut version = Map::new();
    let Some(full) = raw.split_whitespace().nth(1) else {
        return version;
    };
    let numbers: Vec<i64> = full
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map_while(|n| n.parse().ok())
        .collect();
    let (Some(major), Some(minor)) = (numbers.first(), numbers.get(1)) else {
        return version;
    };
    version.insert(Value::from("major"), Value::from(*major));
    version.insert(Value::from("minor"), Value::from(*minor));
    version.insert(Value::from("full"), Value::from(full));
    version.insert(Value::from("raw"), Value::from(raw));
    if let Some(patch) = numbers.get(2) {
        version.insert(Value::from("patch"), Value::from(*patch));
    }
    version
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let db = postgresql::param(&args, "login_db", ALIASES).map(str::to_string);
    let script = format!("{}SELECT version();\n", postgresql::section("version"));
    let mut outcome = Outcome::changed(false);
    match postgresql::run(target, &args, db.as_deref(), &script).await? {
        Psql::Ok(found) => {
            let raw = first(&found, "version");
            outcome
                .set("is_available", !raw.is_empty())
                .set("server_version", Value::map(server_version(&raw)))
                .set("conn_err_msg", "");
        }
        Psql::Failed(msg) => {
            let reason = msg
                .strip_prefix(postgresql::CONNECT_FAILED)
                .unwrap_or(&msg)
                .to_string();
            outcome
                .set("is_available", false)
                .set("server_version", Value::map(Map::new()))
                .set(
                    "warnings",
                    texts(&[format!("PostgreSQL server is unavailable: {reason}")]),
                )
                .set("conn_err_msg", reason);
        }
    }
    postgresql::with_deprecations(&args, ALIASES, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_like_community_postgresql() {
        let v = server_version("PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu");
        assert_eq!(v.get(&Value::from("major")), Some(&Value::from(15)));
        assert_eq!(v.get(&Value::from("minor")), Some(&Value::from(14)));
        assert_eq!(v.get(&Value::from("full")), Some(&Value::from("15.14")));
        assert!(v.get(&Value::from("patch")).is_none());
        let old = server_version("PostgreSQL 9.6.24 on x86_64");
        assert_eq!(old.get(&Value::from("patch")), Some(&Value::from(24)));
        assert!(server_version("").is_empty());
    }
}
