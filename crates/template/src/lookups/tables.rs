//! Lookups reading tabular files: ini (and Java properties), csvfile.

use indexmap::IndexMap;
use oxible_yaml::{Map, Value};

use super::{Call, LookupError, bool_value, fail, failure, int_value, parse_kv, text_term};

/// The options of `ini`.
const INI_OPTIONS: &[&str] = &[
    "type",
    "file",
    "section",
    "re",
    "encoding",
    "default",
    "case_sensitive",
    "allow_no_value",
    "allow_none",
    "interpolation",
];

/// Options given as keywords, overridden by `key=value` words of a term.
fn options_with(
    call: &Call<'_>,
    names: &[&str],
    pairs: Vec<(String, String)>,
) -> Result<Map, LookupError> {
    let mut options: Map = names
        .iter()
        .filter_map(|k| call.option(k).map(|v| (Value::from(*k), v.clone())))
        .collect();
    for (key, value) in pairs {
        if !names.contains(&key.as_str()) {
            return fail!(
                "'{key}' is not a valid option; it accepts {}",
                names.join(", ")
            );
        }
        options.insert(Value::from(key), Value::from(value));
    }
    Ok(options)
}

/// The text option `name` of `options`, or `default`.
fn text_option(options: &Map, name: &str, default: &str) -> String {
    options
        .get(&Value::from(name))
        .map_or_else(|| default.to_string(), Value::py_str)
}

/// A parsed ini file: sections of (key, value) in file order; `None` values for keys
/// without a value.
type Ini = IndexMap<String, Section>;

/// One ini section's options in file order; `None` for a key without a value.
type Section = IndexMap<String, Option<String>>;

/// Parses `text` as Python's `configparser` does (`=` or `:` separators, `#`/`;` comments,
/// indented continuation lines, a `DEFAULT` section inherited by the others).
fn parse_ini(text: &str, case_sensitive: bool, allow_no_value: bool) -> Result<Ini, LookupError> {
    let mut ini = Ini::new();
    let mut section: Option<String> = None;
    let mut last: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if continuation
            && let (Some(section), Some(key)) = (&section, &last)
            && let Some(Some(value)) = ini.get_mut(section).and_then(|s| s.get_mut(key))
        {
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            ini.entry(name.to_string()).or_default();
            section = Some(name.to_string());
            last = None;
            continue;
        }
        let Some(current) = &section else {
            return fail!("File contains no section headers (line {})", number + 1);
        };
        let (key, value) = match trimmed.find(['=', ':']) {
            Some(at) => (
                trimmed[..at].trim(),
                Some(trimmed[at + 1..].trim().to_string()),
            ),
            None if allow_no_value => (trimmed, None),
            None => {
                return fail!(
                    "Source contains parsing errors: line {}: {trimmed}",
                    number + 1
                );
            }
        };
        let key = if case_sensitive {
            key.to_string()
        } else {
            key.to_lowercase()
        };
        let entries = ini.entry(current.clone()).or_default();
        if entries.insert(key.clone(), value).is_some() {
            return fail!("Duplicate option '{key}' in section '{current}'");
        }
        last = Some(key);
    }
    Ok(ini)
}

/// The items of `section`, with `DEFAULT`'s underneath, values interpolated (`%(key)s`).
fn section_items(
    ini: &Ini,
    section: &str,
    interpolate: bool,
) -> Result<Option<Section>, LookupError> {
    let defaults = ini.get("DEFAULT");
    let Some(own) = ini
        .get(section)
        .or(if section == "DEFAULT" { defaults } else { None })
    else {
        return Ok(None);
    };
    let mut merged: Section = defaults.cloned().unwrap_or_default();
    merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    let resolved = merged
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Some(v) if interpolate => Some(interpolate_value(v, &merged, 0)?),
                other => other.clone(),
            };
            Ok((k.clone(), value))
        })
        .collect::<Result<Section, LookupError>>()?;
    Ok(Some(resolved))
}

/// configparser's `BasicInterpolation`: `%(name)s` replaced by that option, `%%` by `%`.
fn interpolate_value(value: &str, options: &Section, depth: usize) -> Result<String, LookupError> {
    if depth > 10 {
        return fail!("interpolation too deep in '{value}'");
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(inner) = rest.strip_prefix('(')
            && let Some(end) = inner.find(")s")
        {
            let name = inner[..end].to_lowercase();
            let Some(Some(target)) = options.get(&name) else {
                return fail!("Bad value substitution: option '{name}' is not defined");
            };
            out.push_str(&interpolate_value(target, options, depth + 1)?);
            rest = &inner[end + 2..];
        } else {
            return fail!("'%' must be followed by '%' or '(', found: '%{rest}'");
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `ini`: the value of each key in `section` of `file` (found under `files/`), else
/// `default`; `re=True` gives every value whose key matches; `type=properties` reads a Java
/// properties file. Terms may carry `key=value` options after the key.
pub(super) fn ini(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let mut out = Vec::new();
    for term in call.terms {
        let term = text_term("ini", term)?;
        let (pairs, key) = parse_kv(term);
        let Some(key) = key else {
            return fail!(
                "No key to look up was provided as first term within string inline options: {term}"
            );
        };
        let options = options_with(call, INI_OPTIONS, pairs)?;
        let flag =
            |name: &str, default: bool| options.get(&Value::from(name)).map_or(default, bool_value);
        let properties = text_option(&options, "type", "ini") == "properties";
        let file = text_option(&options, "file", "ansible.ini");
        let section = if properties {
            "java_properties".to_string()
        } else {
            text_option(&options, "section", "global")
        };
        let Some(path) = call.find_file(Some("files"), &file) else {
            return fail!("Unable to find '{file}' in expected paths");
        };
        let mut text = std::fs::read_to_string(&path)
            .map_err(|e| failure!("cannot read '{}': {e}", path.display()))?;
        if properties {
            text.insert_str(0, "[java_properties]\n");
        }
        let case_sensitive = flag("case_sensitive", false);
        let parsed = parse_ini(
            &text,
            case_sensitive,
            flag("allow_no_value", false) || flag("allow_none", false),
        )?;
        let Some(items) = section_items(&parsed, &section, flag("interpolation", true))? else {
            return fail!("No section '{section}' in '{file}'.");
        };
        if flag("re", false) {
            let re = regex::Regex::new(&format!(r"\A(?:{key})"))
                .map_err(|e| failure!("invalid key pattern '{key}': {e}"))?;
            out.extend(
                items
                    .into_iter()
                    .filter(|(k, _)| re.is_match(k))
                    .map(|(_, v)| v.map_or_else(Value::null, Value::from)),
            );
            continue;
        }
        let wanted = if case_sensitive {
            key.clone()
        } else {
            key.to_lowercase()
        };
        match items.into_iter().find(|(k, _)| *k == wanted) {
            Some((_, Some(value))) => out.push(Value::from(value)),
            Some((_, None)) => {}
            None => out.push(
                options
                    .get(&Value::from("default"))
                    .cloned()
                    .unwrap_or_else(|| Value::from("")),
            ),
        }
    }
    Ok(out)
}

/// The options of `csvfile`.
const CSV_OPTIONS: &[&str] = &["col", "keycol", "default", "delimiter", "file", "encoding"];

/// `csvfile`: the `col` column of the row whose `keycol` column is the key, in `file`
/// (found under `files/`, `delimiter` `TAB` by default), else `default`.
pub(super) fn csvfile(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    if call.terms.is_empty() {
        return fail!("Search key is required but was not found");
    }
    let mut out = Vec::new();
    for term in call.terms {
        let (pairs, key) = parse_kv(text_term("csvfile", term)?);
        let Some(key) = key else {
            return fail!("Search key is required but was not found");
        };
        let options = options_with(call, CSV_OPTIONS, pairs)?;
        let column = |name: &str, default: i64| -> Result<usize, LookupError> {
            let value = match options.get(&Value::from(name)) {
                Some(v) => int_value("csvfile", name, v)?,
                None => default,
            };
            usize::try_from(value)
                .map_err(|_| failure!("the csvfile '{name}' must not be negative"))
        };
        let (col, keycol) = (column("col", 1)?, column("keycol", 0)?);
        let delimiter = match text_option(&options, "delimiter", "TAB").as_str() {
            "TAB" | "\\t" => '\t',
            other => {
                let mut chars = other.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => c,
                    _ => {
                        return fail!("the csvfile delimiter must be one character, got '{other}'");
                    }
                }
            }
        };
        let file = text_option(&options, "file", "ansible.csv");
        let Some(path) = call.find_file(Some("files"), &file) else {
            return fail!("Unable to find '{file}' in expected paths");
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| failure!("cannot read '{}': {e}", path.display()))?;
        let mut found = None;
        for row in csv_rows(&text, delimiter) {
            if row.get(keycol) == Some(&key) {
                match row.get(col) {
                    Some(value) => found = Some(Value::from(value.as_str())),
                    None => return fail!("list index out of range (column {col} of row {row:?})"),
                }
                break;
            }
        }
        if let Some(value) = found.or_else(|| options.get(&Value::from("default")).cloned()) {
            out.push(value);
        }
    }
    Ok(out)
}

/// The rows of a CSV text in Python's `excel` dialect: `"` quotes fields, `""` is a quote.
fn csv_rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == delimiter => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
