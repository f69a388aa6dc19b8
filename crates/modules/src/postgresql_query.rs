//! `postgresql_query` (community.postgresql): runs SQL queries through `psql` on the target and
//! returns their rows typed as psycopg gives them. As community.postgresql's, `positional_args`
//! (`%s`) and `named_args` (`%(name)s`) are quoted into the query on the controller (psycopg's
//! client-side `mogrify`), every query of a list runs in one transaction (committed at the end,
//! rolled back in check mode, none with `autocommit`), and `changed` comes from the last status
//! message of each query (`SELECT`/`SHOW` no change; `INSERT`/`UPDATE`/`DELETE` a change when
//! they touched rows; anything else, DDL included, a change). Each query is described first
//! (psql's `\gdesc`) so that its columns' types turn psql's CSV text into ints, floats, bools,
//! None, lists and JSON values. Result keys: `query`, `query_list`, `statusmessage`,
//! `query_result`, `query_all_results`, `rowcount`, `execution_time_ms`.

use std::collections::HashMap;
use std::sync::LazyLock;

use oxible_yaml::{Map, Value, ValueKind};

use crate::postgresql::{self, literal, texts};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const OWN: &[ArgSpec] = &[
    ArgSpec::new("query", ArgType::Raw),
    ArgSpec::new("login_db", ArgType::Str),
    ArgSpec::new("db", ArgType::Str),
    ArgSpec::new("positional_args", ArgType::List),
    ArgSpec::new("named_args", ArgType::Dict),
    ArgSpec::new("autocommit", ArgType::Bool),
    ArgSpec::new("encoding", ArgType::Str),
    ArgSpec::new("search_path", ArgType::List),
];

static SPEC: LazyLock<Vec<ArgSpec>> = LazyLock::new(|| postgresql::spec(OWN));

module!(
    /// The `postgresql_query` module (community.postgresql.postgresql_query).
    pub PostgresqlQuery = "postgresql_query", SPEC.as_slice(), run
);

/// The deprecated aliases of this module's own parameters.
const ALIASES: &[(&str, &str)] = &[("db", "login_db")];

/// What psql prints for NULL (`\pset null`): control characters no CSV field is quoted for
/// and no real value holds.
const NULL: &str = "\u{1}NULL\u{1}";

/// What psql's `\gdesc` prints for a statement without result columns.
const NO_COLUMNS: &str = "The command has no result, or the result has no columns.";

/// The query arguments, as the module hands them to psycopg.
enum QueryArgs<'a> {
    None,
    Positional(&'a [Value]),
    Named(&'a Map),
}

/// An argument quoted as psycopg adapts it; lists become the text community.postgresql makes
/// of them (`str(list)` with `{}` for `[]`).
fn adapt(value: &Value) -> String {
    match &value.kind {
        ValueKind::Null => "NULL".into(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Int(_) | ValueKind::Float(_) => value.py_repr(),
        ValueKind::Seq(_) => {
            let repr = value.py_repr();
            literal(&format!(
                "{{{}}}",
                repr.trim_start_matches('[').trim_end_matches(']')
            ))
        }
        _ => literal(&value.py_str()),
    }
}

/// The query with its `%s`/`%(name)s` placeholders replaced by quoted arguments and `%%` by `%`
/// (psycopg's `mogrify`); without arguments the query is kept as written.
fn mogrify(query: &str, args: &QueryArgs) -> Result<String, String> {
    if matches!(args, QueryArgs::None) {
        return Ok(query.to_string());
    }
    let mut out = String::new();
    let mut next = 0;
    let mut rest = query;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('s') {
            let QueryArgs::Positional(items) = args else {
                return Err("argument formats can't be mixed".into());
            };
            let item = items
                .get(next)
                .ok_or("tuple index out of range".to_string())?;
            out.push_str(&adapt(item));
            next += 1;
            rest = tail;
        } else if let Some(named) = after.strip_prefix('(') {
            let (name, tail) = named
                .split_once(")s")
                .ok_or("incomplete placeholder: '%(' without ')'".to_string())?;
            let QueryArgs::Named(map) = args else {
                return Err("argument formats can't be mixed".into());
            };
            let value = map.get(&Value::from(name)).ok_or(format!("'{name}'"))?;
            out.push_str(&adapt(value));
            rest = tail;
        } else {
            let c = after.chars().next().unwrap_or(' ');
            return Err(format!(
                "unsupported format character: '{c}' (0x{:x})",
                c as u32
            ));
        }
    }
    out.push_str(rest);
    if let QueryArgs::Positional(items) = args
        && next < items.len()
    {
        return Err("not all arguments converted during string formatting".into());
    }
    Ok(out)
}

/// The query as psql must receive it before `\gdesc`/`\g`: without the trailing semicolons
/// (psql would send it at the `;`) and trailing blank lines or `--` comments.
fn trimmed(query: &str) -> &str {
    let mut q = query;
    loop {
        let t = q.trim_end().trim_end_matches(';').trim_end();
        let t = match t.rfind('\n') {
            Some(i) if t[i + 1..].trim_start().starts_with("--") => &t[..i],
            None if t.trim_start().starts_with("--") => "",
            _ => t,
        };
        if t.len() == q.len() {
            return q;
        }
        q = t;
    }
}

/// The psql script: the session settings, then per query its description (section `desc-i`),
/// its output with the status line and psql's timing (`res-i`) and the affected row count
/// (`count-i`); in a transaction unless `autocommit`, rolled back in check mode.
fn script(queries: &[String], args: &Args, check_mode: bool) -> String {
    let mut s = "\\pset format csv\n\\pset null '\\001NULL\\001'\n".to_string();
    if let Some(encoding) = args.str("encoding") {
        s.push_str(&format!("\\encoding {encoding}\n"));
    }
    let autocommit = args.bool("autocommit", false);
    if !autocommit {
        s.push_str("BEGIN;\n");
    }
    let path: Vec<String> = args
        .strings("search_path")
        .iter()
        .map(|p| p.trim_matches(' ').to_string())
        .collect();
    if !path.is_empty() {
        s.push_str(&format!("SET search_path TO {};\n", path.join(",")));
    }
    for (i, q) in queries.iter().enumerate() {
        s.push_str(&postgresql::section(&format!("desc-{i}")));
        s.push_str(q);
        s.push_str("\n\\gdesc\n\\timing on\n\\set QUIET off\n");
        s.push_str(&postgresql::section(&format!("res-{i}")));
        s.push_str("\\g\n\\set QUIET on\n\\timing off\n");
        s.push_str(&postgresql::section(&format!("count-{i}")));
        s.push_str("\\echo :ROW_COUNT\n");
    }
    if !autocommit {
        s.push_str(if check_mode {
            "ROLLBACK;\n"
        } else {
            "COMMIT;\n"
        });
    }
    s
}

/// The records of psql's CSV output (quoted fields may span lines).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            (false, c) => field.push(c),
        }
    }
    if any {
        record.push(field);
        records.push(record);
    }
    records
}

/// A column's text as psycopg returns its type (after community.postgresql turns `Decimal`
/// into float and `timedelta` into its `str()`); types psycopg leaves as text stay text.
fn typed(text: &str, ty: &str) -> Value {
    if text == NULL {
        return Value::null();
    }
    if let Some(element) = ty.strip_suffix("[]") {
        return parse_array(text, element).unwrap_or_else(|| Value::from(text));
    }
    let base = ty.split('(').next().unwrap_or(ty);
    match base {
        "smallint" | "integer" | "bigint" | "oid" => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text)),
        "real" | "double precision" | "numeric" => float(text),
        "boolean" => Value::from(text == "t"),
        "json" | "jsonb" => serde_json::from_str(text)
            .map(|j| crate::uri::json_value(&j))
            .unwrap_or_else(|_| Value::from(text)),
        "interval" => interval(text)
            .map(Value::from)
            .unwrap_or_else(|| Value::from(text)),
        "timestamp without time zone" => Value::from(text.replacen(' ', "T", 1)),
        "timestamp with time zone" => Value::from(iso_offset(&text.replacen(' ', "T", 1))),
        _ => Value::from(text),
    }
}

fn float(text: &str) -> Value {
    match text {
        "NaN" => Value::new(ValueKind::Float(f64::NAN)),
        "Infinity" => Value::new(ValueKind::Float(f64::INFINITY)),
        "-Infinity" => Value::new(ValueKind::Float(f64::NEG_INFINITY)),
        _ => text
            .parse::<f64>()
            .map(|f| Value::new(ValueKind::Float(f)))
            .unwrap_or_else(|_| Value::from(text)),
    }
}

/// A timestamp's `+00` offset as Python's `isoformat` writes it (`+00:00`).
fn iso_offset(text: &str) -> String {
    let Some(i) = text.rfind(['+', '-']).filter(|&i| i > 10) else {
        return text.to_string();
    };
    let (time, offset) = text.split_at(i);
    if offset.len() == 3 {
        format!("{time}{offset}:00")
    } else {
        text.to_string()
    }
}

/// psql's interval text (`1 year 2 mons 3 days 04:05:06.5`) as Python's `str(timedelta)`
/// (`428 days, 4:05:06.500000`; a year is 365 days and a month 30, as psycopg counts).
fn interval(text: &str) -> Option<String> {
    let mut micros: i128 = 0;
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word.contains(':') {
            let negative = word.starts_with('-');
            let parts: Vec<&str> = word.trim_start_matches(['-', '+']).split(':').collect();
            let [h, m, s] = parts.as_slice() else {
                return None;
            };
            let seconds: f64 = s.parse().ok()?;
            let total = (h.parse::<i128>().ok()? * 3600 + m.parse::<i128>().ok()? * 60) * 1_000_000
                + (seconds * 1_000_000.0).round() as i128;
            micros += if negative { -total } else { total };
        } else {
            let n: i128 = word.parse().ok()?;
            let days = match words.next()? {
                "year" | "years" => 365,
                "mon" | "mons" => 30,
                "day" | "days" => 1,
                _ => return None,
            };
            micros += n * days * 86_400_000_000;
        }
    }
    let day = 86_400_000_000;
    let days = micros.div_euclid(day);
    let rest = micros.rem_euclid(day);
    let (secs, frac) = (rest / 1_000_000, rest % 1_000_000);
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() == 1 { "" } else { "s" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ));
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    Some(out)
}

/// An array literal (`{1,2}`, `{{a,"b c"},{NULL,d}}`) as nested lists of `element` values.
fn parse_array(text: &str, element: &str) -> Option<Value> {
    let chars: Vec<char> = text.chars().collect();
    let (value, end) = array_at(&chars, 0, element)?;
    (end == chars.len()).then_some(value)
}

fn array_at(chars: &[char], start: usize, element: &str) -> Option<(Value, usize)> {
    if chars.get(start) != Some(&'{') {
        return None;
    }
    let mut items = Vec::new();
    let mut i = start + 1;
    if chars.get(i) == Some(&'}') {
        return Some((Value::seq(items), i + 1));
    }
    loop {
        match chars.get(i)? {
            '{' => {
                let (inner, end) = array_at(chars, i, element)?;
                items.push(inner);
                i = end;
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i)? {
                        '\\' => {
                            text.push(*chars.get(i + 1)?);
                            i += 2;
                        }
                        '"' => break,
                        c => {
                            text.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                items.push(typed(&text, element));
            }
            _ => {
                let end = (i..chars.len()).find(|&j| chars[j] == ',' || chars[j] == '}')?;
                let text: String = chars[i..end].iter().collect();
                items.push(if text == "NULL" {
                    Value::null()
                } else {
                    typed(&text, element)
                });
                i = end;
            }
        }
        match chars.get(i)? {
            ',' => i += 1,
            '}' => return Some((Value::seq(items), i + 1)),
            _ => return None,
        }
    }
}

/// One query's outcome as psycopg's cursor reports it.
struct Ran {
    rows: Value,
    status: String,
    rowcount: i64,
    time_ms: f64,
}

/// The status psycopg reports for a query that returned rows, which psql does not print
/// for these (it prints it after the rows of `INSERT`/`UPDATE`/`DELETE … RETURNING`).
fn rows_status(query: &str, rows: usize) -> String {
    let word = query
        .split(|c: char| c.is_whitespace() || c == '(')
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_uppercase();
    match word.as_str() {
        "SHOW" | "EXPLAIN" => word,
        "FETCH" | "MOVE" => format!("{word} {rows}"),
        _ => format!("SELECT {rows}"),
    }
}

/// Query `i`'s sections read back: its columns from `\gdesc`, its rows by those types, the
/// status psql printed (or [`rows_status`]) and psql's timing.
fn read(found: &HashMap<String, Vec<String>>, i: usize, query: &str) -> Ran {
    let lines = |name: &str| {
        found
            .get(&format!("{name}-{i}"))
            .cloned()
            .unwrap_or_default()
    };
    let desc = lines("desc");
    let described = match desc.first().map(String::as_str) {
        Some(NO_COLUMNS) | None => "".to_string(),
        _ => desc.join("\n"),
    };
    let columns: Vec<(String, String)> = csv_records(&described)
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [name, ty] => Some((name.clone(), ty.clone())),
            _ => None,
        })
        .collect();
    let mut out = lines("res");
    let time_ms = match out.last().and_then(|l| l.strip_prefix("Time: ")) {
        Some(t) => {
            let ms = t
                .split(' ')
                .next()
                .unwrap_or_default()
                .parse()
                .unwrap_or(0.0);
            out.pop();
            ms
        }
        None => 0.0,
    };
    let count: i64 = lines("count")
        .first()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if columns.is_empty() {
        let status = out.last().cloned().unwrap_or_default();
        return Ran {
            rows: Value::map(Map::new()),
            status,
            rowcount: count,
            time_ms,
        };
    }
    let mut records = csv_records(&out.join("\n"));
    let is_tag = |r: &Vec<String>| {
        r.len() == 1
            && ["INSERT ", "UPDATE ", "DELETE "]
                .iter()
                .any(|p| r[0].starts_with(p))
    };
    let status = match records.last() {
        Some(r) if records.len() as i64 == count + 1 && is_tag(r) => {
            records.pop().map(|mut r| r.remove(0)).unwrap_or_default()
        }
        _ => rows_status(query, records.len()),
    };
    let rows: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut row = Map::new();
            for ((name, ty), text) in columns.iter().zip(r) {
                row.insert(Value::from(name.as_str()), typed(text, ty));
            }
            Value::map(row)
        })
        .collect();
    Ran {
        rowcount: rows.len() as i64,
        rows: if rows.is_empty() {
            Value::map(Map::new())
        } else {
            Value::seq(rows)
        },
        status,
        time_ms,
    }
}

/// Whether a status message means a change, as community.postgresql decides it.
fn changes(status: &str) -> bool {
    if status.contains("SELECT") || status.contains("SHOW") {
        return false;
    }
    if !["UPDATE", "INSERT", "DELETE"]
        .iter()
        .any(|w| status.contains(w))
    {
        return true;
    }
    let words: Vec<&str> = status.split_whitespace().collect();
    match words.as_slice() {
        [_, _, n] | [_, n] => *n != "0",
        _ => true,
    }
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["positional_args", "named_args"])?;
    postgresql::with_deprecations(&args, ALIASES, apply(target, &args).await?)
}

/// The module's work; `run` adds the deprecations.
async fn apply(target: &Target, args: &Args) -> Result<Outcome, ModuleError> {
    let query_list: Vec<String> = match args.get("query").map(|v| &v.kind) {
        Some(ValueKind::Seq(items)) => items.iter().map(Value::py_str).collect(),
        Some(ValueKind::Str(q)) => vec![q.to_string()],
        None | Some(ValueKind::Null) => Vec::new(),
        Some(_) => {
            return Ok(Outcome::failure(
                "query argument must be of type string or list",
            ));
        }
    };
    if args.bool("autocommit", false) && target.check_mode {
        return Ok(Outcome::failure(
            "Using autocommit is mutually exclusive with check_mode",
        ));
    }
    let positional = args.get("positional_args").and_then(Value::as_seq);
    let named = args.get("named_args").and_then(Value::as_map);
    let (query_args, args_repr) = match (positional, named) {
        (Some(p), _) if !p.is_empty() => (QueryArgs::Positional(p), Value::seq(p.to_vec())),
        (_, Some(n)) if !n.is_empty() => (QueryArgs::Named(n), Value::map(n.clone())),
        _ => (QueryArgs::None, Value::null()),
    };
    let list_repr = texts(&query_list).py_repr();
    let fail = |query: &str, reason: &str| {
        Outcome::failure(format!(
            "Cannot execute SQL '{query}' {}: {reason}, query list: {list_repr}",
            args_repr.py_repr()
        ))
    };
    let mut sent = Vec::new();
    for q in &query_list {
        match mogrify(q, &query_args) {
            Ok(m) if !trimmed(&m).trim().is_empty() => sent.push(m),
            Ok(_) => return Ok(fail(q, "can't execute an empty query")),
            Err(reason) => return Ok(fail(q, &reason)),
        }
    }
    let mut warnings = Vec::new();
    let db = postgresql::param(args, "login_db", ALIASES).filter(|d| !d.is_empty());
    if db.is_none() {
        warnings.push("Database name has not been passed, used default database to connect to.");
    }
    let psql_queries: Vec<String> = sent.iter().map(|q| trimmed(q).to_string()).collect();
    let script = script(&psql_queries, args, target.check_mode);
    let found = match postgresql::run_partial(target, args, db, &script).await? {
        (found, None) => found,
        (_, Some(msg)) if msg.starts_with(postgresql::CONNECT_FAILED) => {
            return Ok(Outcome::failure(msg));
        }
        (found, Some(msg)) => {
            // The query that failed: the last one psql started to describe.
            let failed = (0..query_list.len())
                .rev()
                .find(|i| found.contains_key(&format!("desc-{i}")))
                .unwrap_or(0);
            let query = query_list.get(failed).cloned().unwrap_or_default();
            return Ok(fail(&query, &format!("{msg}\n")));
        }
    };
    let mut changed = false;
    let mut rowcount = 0;
    let mut all = Vec::new();
    let mut times = Vec::new();
    let mut last = Ran {
        rows: Value::map(Map::new()),
        status: String::new(),
        rowcount: 0,
        time_ms: 0.0,
    };
    for (i, q) in sent.iter().enumerate() {
        let ran = read(&found, i, q);
        if ran.rowcount > 0 {
            rowcount += ran.rowcount;
        }
        changed |= changes(&ran.status);
        all.push(ran.rows.clone());
        times.push(Value::new(ValueKind::Float(ran.time_ms)));
        last = ran;
    }
    let mut outcome = Outcome::changed(changed);
    outcome
        .set("query", sent.last().cloned().unwrap_or_default())
        .set("query_list", texts(&query_list))
        .set("statusmessage", last.status)
        .set("query_result", last.rows)
        .set("query_all_results", Value::seq(all))
        .set("rowcount", rowcount)
        .set("execution_time_ms", Value::seq(times));
    if !warnings.is_empty() {
        outcome.set(
            "warnings",
            Value::seq(warnings.into_iter().map(Value::from).collect()),
        );
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mogrify_quotes_like_psycopg() {
        let items = vec![
            Value::from(1),
            Value::from("it's"),
            Value::from(true),
            Value::null(),
            Value::seq(vec![Value::from("a"), Value::from(2)]),
        ];
        assert_eq!(
            mogrify(
                "VALUES (%s, %s, %s, %s, %s, '100%%')",
                &QueryArgs::Positional(&items)
            ),
            Ok("VALUES (1, 'it''s', true, NULL, '{''a'', 2}', '100%')".to_string())
        );
        let mut named = Map::new();
        named.insert(Value::from("id"), Value::from(7));
        assert_eq!(
            mogrify("WHERE id = %(id)s", &QueryArgs::Named(&named)),
            Ok("WHERE id = 7".to_string())
        );
        assert!(mogrify("WHERE id = %s", &QueryArgs::Named(&named)).is_err());
        assert!(mogrify("%s %s", &QueryArgs::Positional(&items[..1])).is_err());
        assert_eq!(
            mogrify("SELECT '%'", &QueryArgs::None),
            Ok("SELECT '%'".to_string())
        );
    }

    #[test]
    fn trailing_semicolons_and_comments_go() {
        assert_eq!(trimmed("SELECT 1;\n-- done\n"), "SELECT 1");
        assert_eq!(trimmed("INSERT 1; SELECT 2 ;; "), "INSERT 1; SELECT 2");
        assert_eq!(trimmed("-- only\n"), "");
    }

    #[test]
    fn csv_fields_may_be_quoted_across_lines() {
        assert_eq!(
            csv_records("1,\"a,\"\"b\"\"\nc\",\n2,x,y"),
            vec![vec!["1", "a,\"b\"\nc", ""], vec!["2", "x", "y"]]
        );
    }

    #[test]
    fn values_typed_as_psycopg() {
        assert_eq!(typed("42", "integer"), Value::from(42));
        assert_eq!(typed(NULL, "text"), Value::null());
        assert_eq!(typed("t", "boolean"), Value::from(true));
        assert_eq!(
            typed("1.50", "numeric(6,2)"),
            Value::new(ValueKind::Float(1.5))
        );
        assert_eq!(
            typed("{{1,NULL},{3,4}}", "integer[]"),
            Value::seq(vec![
                Value::seq(vec![Value::from(1), Value::null()]),
                Value::seq(vec![Value::from(3), Value::from(4)]),
            ])
        );
        assert_eq!(
            typed("{a,\"b c\",\"q\\\"\"}", "text[]"),
            Value::seq(vec![
                Value::from("a"),
                Value::from("b c"),
                Value::from("q\"")
            ])
        );
        assert_eq!(
            typed("2024-01-02 03:04:05+00", "timestamp with time zone"),
            Value::from("2024-01-02T03:04:05+00:00")
        );
        assert_eq!(typed("unknown", "inet"), Value::from("unknown"));
    }

    #[test]
    fn intervals_read_as_timedelta() {
        assert_eq!(
            interval("1 day 02:00:00").as_deref(),
            Some("1 day, 2:00:00")
        );
        assert_eq!(interval("00:00:01.5").as_deref(), Some("0:00:01.500000"));
        assert_eq!(interval("-01:00:00").as_deref(), Some("-1 day, 23:00:00"));
        assert_eq!(
            interval("1 year 2 mons 3 days").as_deref(),
            Some("428 days, 0:00:00")
        );
    }

    #[test]
    fn changed_from_the_status_message() {
        assert!(!changes("SELECT 3"));
        assert!(!changes("SHOW"));
        assert!(!changes("UPDATE 0"));
        assert!(changes("INSERT 0 2"));
        assert!(changes("CREATE TABLE"));
        assert_eq!(rows_status("show search_path", 1), "SHOW");
        assert_eq!(rows_status("WITH x AS (SELECT 1) SELECT *", 1), "SELECT 1");
    }
}
