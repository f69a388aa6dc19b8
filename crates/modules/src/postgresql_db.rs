//! `postgresql_db` (community.postgresql): a database present (created with owner, template,
//! encoding, collation; owner, connection limit and tablespace updated) or absent, through
//! `psql` on the target, connected to `maintenance_db`. Changing the encoding or the locale of
//! an existing database fails, as community.postgresql's. Result keys: `db`,
//! `executed_commands` (empty in check mode, as community.postgresql's). Dumps and restores
//! (`state: dump/restore/rename`) are not implemented.

use std::sync::LazyLock;

use crate::postgresql::{self, Psql, first, ident, literal, texts};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const OWN: &[ArgSpec] = &[
    ArgSpec::new("db", ArgType::Str)
        .required()
        .aliases(&["name"]),
    ArgSpec::new("owner", ArgType::Str),
    ArgSpec::new("template", ArgType::Str),
    ArgSpec::new("encoding", ArgType::Str),
    ArgSpec::new("lc_collate", ArgType::Str),
    ArgSpec::new("lc_ctype", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]),
    ArgSpec::new("maintenance_db", ArgType::Str),
    ArgSpec::new("conn_limit", ArgType::Str),
    ArgSpec::new("tablespace", ArgType::Path),
    ArgSpec::new("force", ArgType::Bool),
];

static SPEC: LazyLock<Vec<ArgSpec>> = LazyLock::new(|| postgresql::spec(OWN));

module!(
    /// The `postgresql_db` module (community.postgresql.postgresql_db).
    pub PostgresqlDb = "postgresql_db", SPEC.as_slice(), run
);

/// A database as the catalog describes it.
#[derive(Debug, Default, PartialEq)]
struct Info {
    owner: String,
    encoding_id: String,
    encoding: String,
    lc_collate: String,
    lc_ctype: String,
    conn_limit: String,
    tablespace: String,
}

/// The probe: the database's row (`|`-separated) and the id of the wanted encoding.
fn probe_script(db: &str, encoding: &str) -> String {
    format!(
        "{}SELECT pg_catalog.pg_get_userbyid(d.datdba), d.encoding, \
         pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, d.datconnlimit, \
         t.spcname FROM pg_catalog.pg_database d \
         JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = {};\n\
         {}SELECT pg_catalog.pg_char_to_encoding({});\n",
        postgresql::section("db"),
        literal(db),
        postgresql::section("enc"),
        literal(encoding)
    )
}

fn parse_info(row: &str) -> Info {
    let f: Vec<&str> = row.split('|').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or_default().to_string();
    Info {
        owner: get(0),
        encoding_id: get(1),
        encoding: get(2),
        lc_collate: get(3),
        lc_ctype: get(4),
        conn_limit: get(5),
        tablespace: get(6),
    }
}

/// The wanted settings (empty: not managed).
struct Want<'a> {
    owner: &'a str,
    template: &'a str,
    encoding: &'a str,
    encoding_id: String,
    lc_collate: &'a str,
    lc_ctype: &'a str,
    conn_limit: &'a str,
    tablespace: &'a str,
}

/// The statements bringing an existing database to `want`, or the error community.postgresql
/// raises for what cannot change.
fn update(db: &str, have: &Info, want: &Want) -> Result<Vec<String>, String> {
    if !want.encoding.is_empty() && want.encoding_id != have.encoding_id {
        return Err(format!(
            "Changing database encoding is not supported. Current encoding: {}",
            have.encoding
        ));
    }
    if !want.lc_collate.is_empty() && want.lc_collate != have.lc_collate {
        return Err(format!(
            "Changing LC_COLLATE is not supported. Current LC_COLLATE: {}",
            have.lc_collate
        ));
    }
    if !want.lc_ctype.is_empty() && want.lc_ctype != have.lc_ctype {
        return Err(format!(
            "Changing LC_CTYPE is not supported.Current LC_CTYPE: {}",
            have.lc_ctype
        ));
    }
    let mut out = Vec::new();
    if !want.owner.is_empty() && want.owner != have.owner {
        out.push(format!(
            "ALTER DATABASE {} OWNER TO {}",
            ident(db),
            ident(want.owner)
        ));
    }
    if !want.conn_limit.is_empty() && want.conn_limit != have.conn_limit {
        out.push(format!(
            "ALTER DATABASE {} CONNECTION LIMIT {}",
            ident(db),
            want.conn_limit
        ));
    }
    if !want.tablespace.is_empty() && want.tablespace != have.tablespace {
        out.push(format!(
            "ALTER DATABASE {} SET TABLESPACE {}",
            ident(db),
            ident(want.tablespace)
        ));
    }
    Ok(out)
}

/// community.postgresql's CREATE DATABASE statement (values quoted as psycopg's mogrify).
fn create(db: &str, want: &Want) -> String {
    let mut q = vec![format!("CREATE DATABASE {}", ident(db))];
    if !want.owner.is_empty() {
        q.push(format!("OWNER {}", ident(want.owner)));
    }
    if !want.template.is_empty() {
        q.push(format!("TEMPLATE {}", ident(want.template)));
    }
    if !want.encoding.is_empty() {
        q.push(format!("ENCODING {}", literal(want.encoding)));
    }
    if !want.lc_collate.is_empty() {
        q.push(format!("LC_COLLATE {}", literal(want.lc_collate)));
    }
    if !want.lc_ctype.is_empty() {
        q.push(format!("LC_CTYPE {}", literal(want.lc_ctype)));
    }
    if !want.tablespace.is_empty() {
        q.push(format!("TABLESPACE {}", ident(want.tablespace)));
    }
    if !want.conn_limit.is_empty() {
        q.push(format!("CONNECTION LIMIT {}", want.conn_limit));
    }
    q.join(" ")
}

fn result(changed: bool, db: &str, commands: &[String]) -> Outcome {
    let mut outcome = Outcome::changed(changed);
    outcome
        .set("db", db)
        .set("executed_commands", texts(commands));
    outcome
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    postgresql::with_deprecations(&args, &[], apply(target, &args).await?)
}

/// The module's work; `run` adds the deprecations.
async fn apply(target: &Target, args: &Args) -> Result<Outcome, ModuleError> {
    let db = args.str("db").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    let maintenance = args.str("maintenance_db").unwrap_or("postgres").to_string();
    let s = |name: &str| args.str(name).unwrap_or_default();
    let found = match postgresql::run(
        target,
        args,
        Some(&maintenance),
        &probe_script(&db, s("encoding")),
    )
    .await?
    {
        Psql::Ok(found) => found,
        Psql::Failed(msg) => return Ok(Outcome::failure(msg)),
    };
    let have = found
        .get("db")
        .and_then(|rows| rows.first())
        .map(|row| parse_info(row));
    let want = Want {
        owner: s("owner"),
        template: s("template"),
        encoding: s("encoding"),
        encoding_id: first(&found, "enc"),
        lc_collate: s("lc_collate"),
        lc_ctype: s("lc_ctype"),
        conn_limit: s("conn_limit"),
        tablespace: s("tablespace"),
    };
    let commands = match (state, &have) {
        ("absent", None) => Vec::new(),
        ("absent", Some(_)) => vec![if args.bool("force", false) {
            format!("DROP DATABASE {} WITH (FORCE)", ident(&db))
        } else {
            format!("DROP DATABASE {}", ident(&db))
        }],
        (_, None) => vec![create(&db, &want)],
        (_, Some(have)) => match update(&db, have, &want) {
            Ok(c) => c,
            Err(msg) if !target.check_mode => return Ok(Outcome::failure(msg)),
            // community.postgresql's check mode compares without raising: a mismatch is a change.
            Err(_) => return Ok(result(true, &db, &[])),
        },
    };
    if target.check_mode || commands.is_empty() {
        return Ok(result(!commands.is_empty(), &db, &[]));
    }
    let script: String = commands.iter().map(|c| format!("{c};\n")).collect();
    match postgresql::run(target, args, Some(&maintenance), &script).await? {
        Psql::Ok(_) => Ok(result(true, &db, &commands)),
        Psql::Failed(msg) => Ok(Outcome::failure(format!("Database query failed: {msg}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> Want<'static> {
        Want {
            owner: "omero",
            template: "template0",
            encoding: "UTF8",
            encoding_id: "6".into(),
            lc_collate: "",
            lc_ctype: "",
            conn_limit: "",
            tablespace: "",
        }
    }

    #[test]
    fn create_and_update_statements() {
        assert_eq!(
            create("omero", &want()),
            "CREATE DATABASE \"omero\" OWNER \"omero\" TEMPLATE \"template0\" ENCODING 'UTF8'"
        );
        let have = parse_info("postgres|6|UTF8|C.UTF-8|C.UTF-8|-1|pg_default");
        assert_eq!(
            update("omero", &have, &want()),
            Ok(vec![
                "ALTER DATABASE \"omero\" OWNER TO \"postgres\"".replace("postgres", "omero")
            ])
        );
        let latin = Want {
            encoding_id: "8".into(),
            ..want()
        };
        assert!(update("omero", &have, &latin).is_err());
    }
}
