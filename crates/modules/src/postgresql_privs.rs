//! `postgresql_privs` (community.postgresql): grants or revokes privileges on database objects
//! (tables, sequences, functions, schemas, databases, default privileges, group membership …)
//! through `psql` on the target. As community.postgresql's module, it runs one GRANT/REVOKE
//! statement and reports `changed` when the objects' access control lists differ before and
//! after it (in one transaction, rolled back in check mode or when nothing changed). Result
//! keys: `queries` (the statements, as community.postgresql writes them).

use std::sync::LazyLock;

use crate::postgresql::{self, Psql, array, first, ident, literal, texts};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const OWN: &[ArgSpec] = &[
    ArgSpec::new("login_db", ArgType::Str),
    ArgSpec::new("db", ArgType::Str),
    ArgSpec::new("database", ArgType::Str),
    ArgSpec::new("state", ArgType::Str).choices(&["present", "absent"]),
    ArgSpec::new("privs", ArgType::Str).aliases(&["priv"]),
    ArgSpec::new("type", ArgType::Str).choices(&[
        "table",
        "sequence",
        "function",
        "procedure",
        "database",
        "schema",
        "language",
        "tablespace",
        "group",
        "default_privs",
        "foreign_data_wrapper",
        "foreign_server",
        "type",
    ]),
    ArgSpec::new("objs", ArgType::Str).aliases(&["obj"]),
    ArgSpec::new("schema", ArgType::Str),
    ArgSpec::new("roles", ArgType::Str)
        .required()
        .aliases(&["role"]),
    ArgSpec::new("target_roles", ArgType::Str),
    ArgSpec::new("grant_option", ArgType::Bool).aliases(&["admin_option"]),
    ArgSpec::new("fail_on_role", ArgType::Bool),
];

static SPEC: LazyLock<Vec<ArgSpec>> = LazyLock::new(|| postgresql::spec(OWN));

module!(
    /// The `postgresql_privs` module (community.postgresql.postgresql_privs).
    pub PostgresqlPrivs = "postgresql_privs", SPEC.as_slice(), run
);

/// The deprecated aliases of this module's own parameters.
const ALIASES: &[(&str, &str)] = &[("db", "login_db"), ("database", "login_db")];

/// Privileges community.postgresql accepts.
const VALID_PRIVS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "CREATE",
    "CONNECT",
    "TEMPORARY",
    "TEMP",
    "EXECUTE",
    "USAGE",
    "ALL",
    "SET",
    "ALTER_SYSTEM",
    "MAINTAIN",
];

/// Object kinds of default privileges and the privileges each accepts.
const DEFAULT_OBJS: &[(&str, &[&str])] = &[
    (
        "TABLES",
        &[
            "ALL",
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "REFERENCES",
            "TRIGGER",
            "MAINTAIN",
        ],
    ),
    ("SEQUENCES", &["ALL", "SELECT", "UPDATE", "USAGE"]),
    ("FUNCTIONS", &["ALL", "EXECUTE"]),
    ("TYPES", &["ALL", "USAGE"]),
    ("SCHEMAS", &["CREATE", "USAGE"]),
];

/// Roles PostgreSQL defines implicitly, written unquoted in upper case.
const IMPLICIT_ROLES: &[&str] = &["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"];

/// The parameters after community.postgresql's checks and defaults.
struct Request {
    kind: String,
    state: String,
    schema: Option<String>,
    privs: Vec<String>,
    objs: Vec<String>,
    all_in_schema: bool,
    roles: Vec<String>,
    target_roles: Vec<String>,
    grant_option: Option<bool>,
}

fn split(text: &str) -> Vec<String> {
    text.split(',').map(str::to_string).collect()
}

/// Checks the parameters as community.postgresql's `main` does, in its order.
fn request(args: &Args) -> Result<Request, String> {
    let kind = args.str("type").unwrap_or("table").to_string();
    let objs_raw = args.str("objs").filter(|o| !o.is_empty());
    let schema_typed = [
        "table",
        "sequence",
        "function",
        "procedure",
        "type",
        "default_privs",
    ]
    .contains(&kind.as_str());
    let given_schema = args.str("schema").filter(|s| !s.is_empty());
    let schema = if schema_typed {
        if objs_raw == Some("schemas") || given_schema == Some("not-specified") {
            None
        } else {
            Some(given_schema.unwrap_or("public").to_string())
        }
    } else if given_schema.is_some() {
        return Err(format!(
            "Argument \"schema\" is not allowed for type \"{kind}\"."
        ));
    } else {
        None
    };
    let all_in_schema = objs_raw == Some("ALL_IN_SCHEMA");
    if all_in_schema && !["table", "sequence", "function", "procedure"].contains(&kind.as_str()) {
        return Err(format!(
            "Argument \"objs\": ALL_IN_SCHEMA can be used only for type: table, sequence, \
             function or procedure, {kind} was passed."
        ));
    }
    let objs_raw = match (kind.as_str(), objs_raw) {
        ("database", None) => postgresql::param(args, "login_db", ALIASES)
            .unwrap_or_default()
            .to_string(),
        (_, Some(o)) => o.to_string(),
        (_, None) => {
            return Err(format!(
                "Argument \"objs\" is required for type \"{kind}\"."
            ));
        }
    };
    let privs_raw = args.str("privs").filter(|p| !p.is_empty());
    if kind == "group" {
        if privs_raw.is_some() {
            return Err("Argument \"privs\" is not allowed for type \"group\".".into());
        }
    } else if privs_raw.is_none() {
        return Err(format!(
            "Argument \"privs\" is required for type \"{kind}\"."
        ));
    }
    let mut privs: Vec<String> = Vec::new();
    for p in privs_raw.map(split).unwrap_or_default() {
        let p = p.to_uppercase();
        if !privs.contains(&p) {
            privs.push(p);
        }
    }
    // community.postgresql keeps them in a frozenset (no stable order): oxible sorts them.
    privs.sort();
    let invalid: Vec<&String> = privs
        .iter()
        .filter(|p| !VALID_PRIVS.contains(&p.as_str()))
        .collect();
    if !invalid.is_empty() {
        return Err(format!(
            "Invalid privileges specified: {}",
            py_set(&invalid)
        ));
    }
    let objs = if all_in_schema {
        Vec::new()
    } else if kind == "default_privs" {
        let mut objs: Vec<String> = if objs_raw == "ALL_DEFAULT" {
            ["TABLES", "SEQUENCES", "FUNCTIONS", "TYPES"]
                .map(str::to_string)
                .to_vec()
        } else {
            let mut objs = Vec::new();
            for o in split(&objs_raw) {
                let o = o.to_uppercase();
                if !objs.contains(&o) {
                    objs.push(o);
                }
            }
            objs
        };
        objs.sort();
        let invalid: Vec<&String> = objs
            .iter()
            .filter(|o| !DEFAULT_OBJS.iter().any(|(k, _)| k == o))
            .collect();
        if !invalid.is_empty() {
            return Err(format!(
                "Invalid Object set specified: {}",
                py_set(&invalid)
            ));
        }
        let fits = |o: &String| {
            DEFAULT_OBJS
                .iter()
                .find(|(k, _)| k == o)
                .is_some_and(|(_, ok)| privs.iter().all(|p| ok.contains(&p.as_str())))
        };
        if !objs.iter().all(fits) {
            let valid: Vec<&String> = objs.iter().filter(|o| fits(o)).collect();
            return Err(format!(
                "Invalid priv specified. Valid object for priv: {}. Objects: {}",
                py_set(&valid),
                py_set(&objs.iter().collect::<Vec<_>>())
            ));
        }
        objs
    } else if kind == "function" || kind == "procedure" {
        split(&objs_raw)
            .iter()
            .map(|o| o.replace(':', ","))
            .collect()
    } else {
        split(&objs_raw)
    };
    Ok(Request {
        state: args.str("state").unwrap_or("present").to_string(),
        schema,
        privs,
        objs,
        all_in_schema,
        roles: split(args.str("roles").unwrap_or_default()),
        target_roles: args
            .str("target_roles")
            .filter(|t| !t.is_empty())
            .map(split)
            .unwrap_or_default(),
        grant_option: args.get("grant_option").and_then(Value::as_bool),
        kind,
    })
}

use oxible_yaml::Value;

/// A Python frozenset's text (`frozenset({'A', 'B'})`), as community.postgresql's messages
/// show them.
fn py_set(items: &[&String]) -> String {
    if items.is_empty() {
        return "frozenset()".into();
    }
    let items: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("frozenset({{{}}})", items.join(", "))
}

/// The query listing the objects of `ALL_IN_SCHEMA` (names, functions with their signature).
fn all_in_schema_query(kind: &str, schema: &str) -> String {
    let s = literal(schema);
    match kind {
        "table" => format!(
            "SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE nspname = {s} AND relkind IN ('r','v','m','p','f');"
        ),
        "sequence" => format!(
            "SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE nspname = {s} AND relkind = 'S';"
        ),
        _ => format!(
            "SELECT p.proname || '(' || oidvectortypes(p.proargtypes) || ')' \
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             WHERE nspname = {s} AND p.prokind = '{}';",
            if kind == "function" { "f" } else { "p" }
        ),
    }
}

/// The query returning the access control lists (or memberships) community.postgresql
/// compares before and after its statement, one row per object, as text.
fn status_query(kind: &str, schema: Option<&str>, objs: &[String]) -> String {
    let names = array(objs);
    let in_schema = |col: &str| match schema {
        Some(s) => format!("{col} = {}", literal(s)),
        None => "true".to_string(),
    };
    match kind {
        "table" | "sequence" => format!(
            "SELECT relacl::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE {} AND relkind {} AND relname = ANY ({names})",
            in_schema("nspname"),
            if kind == "table" {
                "IN ('r','p','v','m','f')"
            } else {
                "= 'S'"
            }
        ),
        "function" | "procedure" => {
            let funcs: Vec<String> = objs
                .iter()
                .map(|f| f.split('(').next().unwrap_or_default().to_string())
                .collect();
            format!(
                "SELECT proacl::text FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n \
                 ON n.oid = p.pronamespace WHERE {} AND proname = ANY ({})",
                in_schema("nspname"),
                array(&funcs)
            )
        }
        "schema" => format!(
            "SELECT nspacl::text FROM pg_catalog.pg_namespace WHERE nspname = ANY ({names})"
        ),
        "language" => {
            format!("SELECT lanacl::text FROM pg_catalog.pg_language WHERE lanname = ANY ({names})")
        }
        "tablespace" => format!(
            "SELECT spcacl::text FROM pg_catalog.pg_tablespace WHERE spcname = ANY ({names})"
        ),
        "database" => {
            format!("SELECT datacl::text FROM pg_catalog.pg_database WHERE datname = ANY ({names})")
        }
        "group" => format!(
            "SELECT concat_ws(',', roleid, grantor, member, admin_option) \
             FROM pg_catalog.pg_auth_members am JOIN pg_catalog.pg_roles r ON r.oid = am.roleid \
             WHERE r.rolname = ANY ({names})"
        ),
        "default_privs" => format!(
            "SELECT defaclacl::text FROM pg_catalog.pg_default_acl a \
             JOIN pg_catalog.pg_namespace b ON a.defaclnamespace = b.oid WHERE {}",
            in_schema("b.nspname")
        ),
        "foreign_data_wrapper" => format!(
            "SELECT fdwacl::text FROM pg_catalog.pg_foreign_data_wrapper \
             WHERE fdwname = ANY ({names})"
        ),
        "foreign_server" => format!(
            "SELECT srvacl::text FROM pg_catalog.pg_foreign_server WHERE srvname = ANY ({names})"
        ),
        _ => format!(
            "SELECT t.typacl::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n \
             ON n.oid = t.typnamespace WHERE {} AND t.typname = ANY ({names})",
            in_schema("n.nspname")
        ),
    }
}

/// The statement(s) community.postgresql builds, joined by newlines (one `queries` item).
fn build_query(req: &Request, roles: &[String]) -> String {
    let schema_q = req.schema.as_deref().map(ident);
    let for_whom = roles.join(",");
    let as_who = (!req.target_roles.is_empty()).then(|| {
        req.target_roles
            .iter()
            .map(|r| ident(r))
            .collect::<Vec<_>>()
            .join(",")
    });
    let in_schema = schema_q
        .as_deref()
        .map(|s| format!(" IN SCHEMA {s}"))
        .unwrap_or_default();
    let schema_text = schema_q.clone().unwrap_or_else(|| "None".into());
    let set_what = match req.kind.as_str() {
        "group" => req
            .objs
            .iter()
            .map(|o| ident(o))
            .collect::<Vec<_>>()
            .join(","),
        "default_privs" => req.privs.join(","),
        kind => {
            let privs = req.privs.join(",").replace('_', " ");
            if req.all_in_schema {
                let what = match kind {
                    "table" => "ALL TABLES IN SCHEMA",
                    "sequence" => "ALL SEQUENCES IN SCHEMA",
                    "function" => "ALL FUNCTIONS IN SCHEMA",
                    _ => "ALL PROCEDURES IN SCHEMA",
                };
                format!("{privs} ON {what} {schema_text}")
            } else {
                let ids: Vec<String> = req
                    .objs
                    .iter()
                    .map(|o| match kind {
                        "function" | "procedure" => {
                            let (f, rest) = o.split_once('(').unwrap_or((o, ""));
                            format!("{schema_text}.\"{f}\"({rest}")
                        }
                        "table" | "sequence" | "type" => format!("{schema_text}.\"{o}\""),
                        _ => ident(o),
                    })
                    .collect();
                format!("{privs} ON {} {}", kind.replace('_', " "), ids.join(","))
            }
        }
    };
    let prefix = match &as_who {
        Some(who) => format!("ALTER DEFAULT PRIVILEGES FOR ROLE {who}{in_schema}"),
        None => format!("ALTER DEFAULT PRIVILEGES{in_schema}"),
    };
    let mut query: Vec<String> = Vec::new();
    let grant_option = |query: &mut Vec<String>| {
        let last = query.len() - 1;
        match req.grant_option {
            Some(true) if req.kind == "group" => query[last].push_str(" WITH ADMIN OPTION;"),
            Some(true) => query[last].push_str(" WITH GRANT OPTION;"),
            Some(false) => {
                query[last].push(';');
                if req.kind == "group" {
                    query.push(format!(
                        "REVOKE ADMIN OPTION FOR {set_what} FROM {for_whom};"
                    ));
                } else if req.kind != "default_privs" {
                    query.push(format!(
                        "REVOKE GRANT OPTION FOR {set_what} FROM {for_whom};"
                    ));
                }
            }
            None => query[last].push(';'),
        }
    };
    if req.state == "present" {
        if req.kind == "default_privs" {
            for obj in &req.objs {
                query.push(format!("{prefix} REVOKE ALL ON {obj} FROM {for_whom};"));
            }
            for obj in &req.objs {
                query.push(format!("{prefix} GRANT {set_what} ON {obj} TO {for_whom}"));
                grant_option(&mut query);
            }
        } else {
            query.push(format!("GRANT {set_what} TO {for_whom}"));
            grant_option(&mut query);
        }
    } else if req.kind == "default_privs" {
        for obj in ["TABLES", "FUNCTIONS", "SEQUENCES", "TYPES"] {
            query.push(format!("{prefix} REVOKE ALL ON {obj} FROM {for_whom};"));
        }
    } else {
        query.push(format!("REVOKE {set_what} FROM {for_whom};"));
    }
    query.join("\n")
}

/// One text fingerprint of the status rows (sorted, NULL distinct from empty).
fn fingerprint(status: &str) -> String {
    format!(
        "SELECT coalesce(string_agg(coalesce(s, '<null>'), ' ' ORDER BY coalesce(s, '')), '') \
         FROM ({status}) q(s)"
    )
}

fn result(changed: bool, queries: &[String]) -> Outcome {
    let mut outcome = Outcome::changed(changed);
    outcome.set("queries", texts(queries));
    outcome
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    postgresql::with_deprecations(&args, ALIASES, apply(target, &args).await?)
}

/// The module's work; `run` adds the deprecations.
async fn apply(target: &Target, args: &Args) -> Result<Outcome, ModuleError> {
    let req = match request(args) {
        Ok(r) => r,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let Some(db) = postgresql::param(args, "login_db", ALIASES).map(str::to_string) else {
        return Err(ModuleError::Args(
            "missing required arguments: login_db".into(),
        ));
    };
    let db = Some(db);
    // Round trip 1: the schema's objects for ALL_IN_SCHEMA, and which roles exist.
    let mut probe = String::new();
    if req.all_in_schema
        && let Some(schema) = &req.schema
    {
        probe.push_str(&postgresql::section("schema"));
        probe.push_str(&format!(
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = {};\n",
            literal(schema)
        ));
        probe.push_str(&postgresql::section("objs"));
        probe.push_str(&all_in_schema_query(&req.kind, schema));
        probe.push('\n');
    }
    probe.push_str(&postgresql::section("roles"));
    probe.push_str(&format!(
        "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY ({});\n",
        array(&req.roles)
    ));
    let found = match postgresql::run(target, args, db.as_deref(), &probe).await? {
        Psql::Ok(s) => s,
        Psql::Failed(msg) => return Ok(Outcome::failure(msg)),
    };
    let mut objs = req.objs.clone();
    if req.all_in_schema
        && let Some(schema) = &req.schema
    {
        if first(&found, "schema") == "0" {
            return Ok(Outcome::failure(format!(
                "Schema \"{schema}\" does not exist."
            )));
        }
        objs = found.get("objs").cloned().unwrap_or_default();
    }
    let existing = found.get("roles").cloned().unwrap_or_default();
    let fail_on_role = args.bool("fail_on_role", true);
    let mut roles = Vec::new();
    let mut warnings = Vec::new();
    for r in &req.roles {
        if IMPLICIT_ROLES.contains(&r.to_uppercase().as_str()) {
            roles.push(r.to_uppercase());
        } else if existing.contains(r) {
            roles.push(ident(&r.replace('"', "\"\"")));
        } else if fail_on_role {
            return Ok(Outcome::failure(format!("Role '{r}' does not exist")));
        } else {
            warnings.push(format!("Role '{r}' does not exist, pass it"));
        }
    }
    if roles.is_empty() {
        warnings.push("No valid roles provided, nothing to do".into());
        let mut outcome = result(false, &[]);
        set_warnings(&mut outcome, &warnings);
        return Ok(outcome);
    }
    if !req.target_roles.is_empty() && req.kind != "default_privs" {
        warnings.push(
            "\"target_roles\" will be ignored Argument \"type: default_privs\" is required for \
             usage of \"target_roles\"."
                .into(),
        );
    }
    if objs.is_empty() {
        let mut outcome = result(false, &[]);
        set_warnings(&mut outcome, &warnings);
        return Ok(outcome);
    }
    let req = Request { objs, ..req };
    let query = build_query(&req, &roles);
    // Round trip 2: status, statement, status again, in one transaction kept only when the
    // status changed (never in check mode).
    let status = fingerprint(&status_query(&req.kind, req.schema.as_deref(), &req.objs));
    let end = if target.check_mode {
        "ROLLBACK;\n".to_string()
    } else {
        "\\if :oxible_changed\nCOMMIT;\n\\else\nROLLBACK;\n\\endif\n".to_string()
    };
    let script = format!(
        "BEGIN;\nSELECT ({status}) AS oxible_before \\gset\n{query}\n\
         SELECT ({status}) IS DISTINCT FROM :'oxible_before' AS oxible_changed \\gset\n\
         {}\\echo :oxible_changed\n{end}",
        postgresql::section("changed")
    );
    let done = match postgresql::run(target, args, db.as_deref(), &script).await? {
        Psql::Ok(s) => s,
        Psql::Failed(msg) => return Ok(Outcome::failure(msg)),
    };
    let changed = first(&done, "changed") == "t";
    let mut outcome = result(changed, &[query]);
    set_warnings(&mut outcome, &warnings);
    Ok(outcome)
}

/// The module's warnings (`module.warn`), shown by the callback.
fn set_warnings(outcome: &mut Outcome, warnings: &[String]) {
    if !warnings.is_empty() {
        outcome.set("warnings", texts(warnings));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, state: &str, privs: &[&str], objs: &[&str]) -> Request {
        Request {
            kind: kind.into(),
            state: state.into(),
            schema: Some("public".into()),
            privs: privs.iter().map(|s| s.to_string()).collect(),
            objs: objs.iter().map(|s| s.to_string()).collect(),
            all_in_schema: false,
            roles: vec!["omero".into()],
            target_roles: vec![],
            grant_option: None,
        }
    }

    #[test]
    fn queries_as_community_postgresql() {
        let roles = vec!["\"omero\"".to_string()];
        assert_eq!(
            build_query(&req("table", "present", &["SELECT"], &["t1", "t2"]), &roles),
            "GRANT SELECT ON table \"public\".\"t1\",\"public\".\"t2\" TO \"omero\";"
        );
        let mut all = req("table", "present", &["ALL"], &["t1"]);
        all.all_in_schema = true;
        all.grant_option = Some(false);
        assert_eq!(
            build_query(&all, &roles),
            "GRANT ALL ON ALL TABLES IN SCHEMA \"public\" TO \"omero\";\n\
             REVOKE GRANT OPTION FOR ALL ON ALL TABLES IN SCHEMA \"public\" FROM \"omero\";"
        );
        let mut schema = req("schema", "absent", &["USAGE"], &["public"]);
        schema.schema = None;
        assert_eq!(
            build_query(&schema, &roles),
            "REVOKE USAGE ON schema \"public\" FROM \"omero\";"
        );
        assert_eq!(
            build_query(
                &req("default_privs", "present", &["ALL"], &["TABLES"]),
                &roles
            ),
            "ALTER DEFAULT PRIVILEGES IN SCHEMA \"public\" REVOKE ALL ON TABLES FROM \"omero\";\n\
             ALTER DEFAULT PRIVILEGES IN SCHEMA \"public\" GRANT ALL ON TABLES TO \"omero\";"
        );
    }
}
