//! Filters: serialization (`to_json`, `to_nice_json`, `from_json`, `from_yaml`), byte for
//! byte as Python's `json` writes it; the YAML writers are in `yaml.rs`.

use minijinja::value::Value;
use minijinja::{Environment, Error};
use oxible_yaml::{Value as Data, ValueKind as DataKind};

use crate::args::{Bound, Signature, add_filter, sig};
use crate::convert::{from_jinja, to_jinja};
use crate::python::{int64, type_name};

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &TO_JSON, |v, args| {
        json_filter(
            &TO_JSON,
            v,
            args,
            JsonDefaults {
                indent: None,
                sort_keys: false,
            },
        )
    });
    add_filter(env, &TO_NICE_JSON, |v, args| {
        let indent = match args.get(0) {
            Some(i) => Some(i.clone()),
            None => Some(Value::from(4)),
        };
        let sort_keys = args.flag(1, true);
        json_filter(&TO_NICE_JSON, v, args, JsonDefaults { indent, sort_keys })
    });
    add_filter(env, &FROM_JSON, from_json);
    add_filter(env, &FROM_YAML, from_yaml);
}

sig!(TO_JSON, "to_json", ["profile=None", "vault_to_text=...", "preprocess_unsafe=..."], **);
sig!(TO_NICE_JSON, "to_nice_json", ["indent=4", "sort_keys=True"], **);
sig!(FROM_JSON, "from_json", ["profile=None"]);
sig!(FROM_YAML, "from_yaml", []);

/// The filter's input as data (undefined or opaque values cannot be serialized).
pub(super) fn data(sig: &Signature, v: &Value) -> Result<Data, Error> {
    from_jinja(v).map_err(|e| sig.error(format!("cannot serialize the value: {e}")))
}

/// What a JSON filter defaults to before keyword arguments.
struct JsonDefaults {
    indent: Option<Value>,
    sort_keys: bool,
}

/// `json.dumps` options.
struct JsonOptions {
    indent: Option<String>,
    sort_keys: bool,
    ensure_ascii: bool,
    allow_nan: bool,
    item_sep: String,
    key_sep: String,
}

/// `to_json(**kwargs)` and `to_nice_json(indent=4, sort_keys=True, **kwargs)`: Python's
/// `json.dumps` (`indent`, `sort_keys`, `ensure_ascii=True`, `separators`, `allow_nan`);
/// `to_nice_json` always separates with `(',', ': ')`.
fn json_filter(
    sig: &Signature,
    v: &Value,
    args: &Bound,
    defaults: JsonDefaults,
) -> Result<Value, Error> {
    args.only_kwargs(&[
        "indent",
        "sort_keys",
        "ensure_ascii",
        "separators",
        "allow_nan",
        "skipkeys",
        "check_circular",
    ])?;
    if sig.name == "to_json"
        && args.opt(0).is_some()
        && (args.get(1).is_some() || args.get(2).is_some())
    {
        return Err(args.error(
            "Only one of `vault_to_text` or `preprocess_unsafe` or `profile` can be specified.",
        ));
    }
    if let Some(profile) = args.opt(0).filter(|_| sig.name == "to_json")
        && !matches!(profile.as_str(), Some("tagless" | "legacy"))
    {
        return Err(args.error(format!("unknown profile {profile}")));
    }
    let indent_value = args.kwarg("indent").cloned().or(defaults.indent);
    let indent = match indent_value.filter(|i| !i.is_none()) {
        None => None,
        Some(i) => Some(match i.as_str() {
            Some(s) => s.to_string(),
            None => " ".repeat(
                usize::try_from(
                    int64(&i).ok_or_else(|| args.error("indent must be an integer or a string"))?,
                )
                .unwrap_or(0),
            ),
        }),
    };
    let (mut item_sep, mut key_sep) = (
        if indent.is_some() { "," } else { ", " }.to_string(),
        ": ".to_string(),
    );
    if let Some(seps) = args.kwarg("separators").filter(|s| !s.is_none())
        && sig.name == "to_json"
    {
        let parts: Vec<Value> = seps
            .try_iter()
            .map_err(|_| args.error("separators must be a pair of strings"))?
            .collect();
        match parts.as_slice() {
            [a, b] if a.as_str().is_some() && b.as_str().is_some() => {
                item_sep = a.as_str().unwrap_or_default().to_string();
                key_sep = b.as_str().unwrap_or_default().to_string();
            }
            _ => return Err(args.error("separators must be a pair of strings")),
        }
    }
    let options = JsonOptions {
        indent,
        sort_keys: args
            .kwarg("sort_keys")
            .map_or(defaults.sort_keys, Value::is_true),
        ensure_ascii: args.kwarg("ensure_ascii").is_none_or(Value::is_true),
        allow_nan: args.kwarg("allow_nan").is_none_or(Value::is_true),
        item_sep,
        key_sep,
    };
    let mut out = String::new();
    write_json(&data(sig, v)?, &options, 0, &mut out).map_err(|e| args.error(e))?;
    Ok(Value::from(out))
}

/// Python's float repr in JSON (`NaN`, `Infinity`).
fn json_float(f: f64, options: &JsonOptions) -> Result<String, String> {
    if f.is_finite() {
        return Ok(Data::new(DataKind::Float(f)).py_repr());
    }
    if !options.allow_nan {
        return Err("Out of range float values are not JSON compliant".into());
    }
    Ok(if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
    .to_string())
}

/// Writes `value` as Python's `json.dumps` would.
fn write_json(
    value: &Data,
    options: &JsonOptions,
    level: usize,
    out: &mut String,
) -> Result<(), String> {
    let newline = |out: &mut String, level: usize| {
        if let Some(indent) = &options.indent {
            out.push('\n');
            out.push_str(&indent.repeat(level));
        }
    };
    match &value.kind {
        DataKind::Null => out.push_str("null"),
        DataKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DataKind::Int(i) => out.push_str(&i.to_string()),
        DataKind::Float(f) => out.push_str(&json_float(*f, options)?),
        DataKind::Str(s) | DataKind::Unsafe(s) | DataKind::Vault(s) => {
            oxible_yaml::py_json_string(s, options.ensure_ascii, out)
        }
        DataKind::Timestamp(t) => oxible_yaml::py_json_string(&t.text, options.ensure_ascii, out),
        DataKind::Seq(items) if items.is_empty() => out.push_str("[]"),
        DataKind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(out, level + 1);
                write_json(item, options, level + 1, out)?;
            }
            newline(out, level);
            out.push(']');
        }
        DataKind::Map(map) if map.is_empty() => out.push_str("{}"),
        DataKind::Map(map) => {
            let mut items = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let key = match &k.kind {
                    DataKind::Str(s) | DataKind::Unsafe(s) | DataKind::Vault(s) => s.to_string(),
                    DataKind::Float(f) => json_float(*f, options)?,
                    DataKind::Bool(b) => b.to_string(),
                    DataKind::Null => "null".to_string(),
                    DataKind::Int(i) => i.to_string(),
                    _ => {
                        return Err(format!(
                            "keys must be str, int, float, bool or None, not {}",
                            k.type_name()
                        ));
                    }
                };
                items.push((key, v));
            }
            if options.sort_keys {
                // Ansible's encoder sorts the keys as the strings they are written as.
                items.sort_by(|(a, _), (b, _)| a.cmp(b));
            }
            out.push('{');
            for (i, (key, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&options.item_sep);
                }
                newline(out, level + 1);
                oxible_yaml::py_json_string(key, options.ensure_ascii, out);
                out.push_str(&options.key_sep);
                write_json(v, options, level + 1, out)?;
            }
            newline(out, level);
            out.push('}');
        }
    }
    Ok(())
}

/// `from_json(profile=None)`: Python's `json.loads` of a string.
fn from_json(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = v.as_str().ok_or_else(|| {
        args.error(format!(
            "the JSON object must be str, bytes or bytearray, not {}",
            type_name(v)
        ))
    })?;
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| args.error(format!("invalid JSON: {e}")))?;
    json_to_value(&parsed).ok_or_else(|| args.error("a number is out of range"))
}

/// A parsed JSON value as a template value (insertion-ordered objects).
pub(super) fn json_to_value(json: &serde_json::Value) -> Option<Value> {
    Some(match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None if n.is_u64() => return None,
            None => Value::from(n.as_f64()?),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(json_to_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::from)?,
        serde_json::Value::Object(map) => {
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                pairs.push((Value::from(k.as_str()), json_to_value(v)?));
            }
            crate::convert::jinja_map(pairs)
        }
    })
}

/// `from_yaml`: the YAML document in a string, loaded as Ansible loads YAML; `None` stays
/// `None` and other non-strings are returned as they are.
fn from_yaml(v: &Value, args: &Bound) -> Result<Value, Error> {
    let Some(text) = v.as_str() else {
        return Ok(v.clone());
    };
    let loaded = oxible_yaml::load_source(oxible_yaml::Source::new("<from_yaml>", text))
        .map_err(|e| args.error(format!("invalid YAML: {e:?}")))?;
    Ok(to_jinja(&loaded.value))
}
