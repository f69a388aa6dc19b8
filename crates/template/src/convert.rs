//! Moving values between oxible's [`Value`] (what YAML, inventories and modules hold) and
//! minijinja's `Value` (what templates compute with).
//!
//! The conversion keeps Python's data model: `None`, `bool`, `int`, `float`, `str`, `list`
//! and insertion-ordered `dict` map one to one; timestamps become their `str()` text and
//! `!unsafe` strings plain strings (they are never templated, so nothing is lost).

use std::sync::Arc;

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind};
use oxible_yaml::{Map, Timestamp, Value, ValueKind};

/// oxible value → minijinja value.
pub fn to_jinja(value: &Value) -> Jinja {
    match &value.kind {
        ValueKind::Null => Jinja::from(()),
        ValueKind::Bool(b) => Jinja::from(*b),
        ValueKind::Int(i) => Jinja::from(*i),
        ValueKind::Float(f) => Jinja::from(*f),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => Jinja::from(&**s),
        ValueKind::Timestamp(t) => Jinja::from(t.text.as_str()),
        ValueKind::Seq(items) => items.iter().map(to_jinja).collect(),
        ValueKind::Map(map) => jinja_map(map.iter().map(|(k, v)| (to_jinja(k), to_jinja(v)))),
    }
}

/// An insertion-ordered minijinja dict from key/value pairs (Python's dict order).
pub(crate) fn jinja_map(pairs: impl IntoIterator<Item = (Jinja, Jinja)>) -> Jinja {
    Jinja::from(
        pairs
            .into_iter()
            .collect::<indexmap::IndexMap<Jinja, Jinja>>(),
    )
}

/// Why a minijinja value has no oxible counterpart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The value is undefined (a missing variable or attribute).
    #[error("the value is undefined")]
    Undefined,
    /// The value carries an error from a failed computation.
    #[error("{0}")]
    Invalid(String),
    /// A callable (macro, function) or other opaque object, which has no data to keep.
    #[error("a {0} cannot be used as data")]
    Opaque(&'static str),
}

/// minijinja value → oxible value.
pub fn from_jinja(value: &Jinja) -> Result<Value, ConvertError> {
    Ok(match value.kind() {
        JinjaKind::Undefined => return Err(ConvertError::Undefined),
        JinjaKind::None => Value::null(),
        JinjaKind::Bool => Value::from(value.is_true()),
        JinjaKind::Number => number(value),
        JinjaKind::String => Value::string(value.as_str().unwrap_or_default()),
        JinjaKind::Bytes => Value::string(String::from_utf8_lossy(
            value.as_bytes().unwrap_or_default(),
        )),
        JinjaKind::Seq | JinjaKind::Iterable => {
            let iter = value
                .try_iter()
                .map_err(|e| ConvertError::Invalid(e.to_string()))?;
            Value::seq(
                iter.map(|item| from_jinja(&item))
                    .collect::<Result<_, _>>()?,
            )
        }
        JinjaKind::Map => {
            let iter = value
                .try_iter()
                .map_err(|e| ConvertError::Invalid(e.to_string()))?;
            let mut map = Map::new();
            for key in iter {
                let item = value
                    .get_item(&key)
                    .map_err(|e| ConvertError::Invalid(e.to_string()))?;
                map.insert(from_jinja(&key)?, from_jinja(&item)?);
            }
            Value::map(map)
        }
        JinjaKind::Plain => match crate::datetime::type_name(value) {
            // A datetime is data (Ansible stores it); a timedelta is not.
            Some("datetime") => Value::new(ValueKind::Timestamp(Arc::new(Timestamp {
                has_time: true,
                text: crate::datetime::py_str(value).unwrap_or_default(),
            }))),
            Some(other) => {
                return Err(ConvertError::Invalid(format!(
                    "Type '{other}' is unsupported for variable storage."
                )));
            }
            None => return Err(ConvertError::Opaque("callable")),
        },
        JinjaKind::Invalid => {
            return Err(ConvertError::Invalid(value.to_string()));
        }
        _ => return Err(ConvertError::Opaque("value")),
    })
}

/// A minijinja number as an `int` when it is one, else a `float`.
fn number(value: &Jinja) -> Value {
    if value.is_integer()
        && let Ok(i) = i64::try_from(value.clone())
    {
        return Value::from(i);
    }
    let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    Value::new(ValueKind::Float(f))
}

/// Python's `str()` of a minijinja value, as Jinja2 prints `{{ value }}` in Ansible.
pub fn py_str(value: &Jinja) -> Result<String, ConvertError> {
    if let Some(s) = value.as_str() {
        return Ok(s.to_string());
    }
    if let Some(s) = crate::datetime::py_str(value) {
        return Ok(s);
    }
    Ok(from_jinja(value)?.py_str())
}

/// A shared empty map, for callers that need a value with no variables.
pub fn empty_map() -> Arc<Map> {
    Arc::new(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::{Source, load_source};

    #[test]
    fn round_trips_python_data() {
        let text = "a: [1, 2.5, 'x', ~, true]\nb: {c: {d: 1}}\n0644: octal\n";
        let value = load_source(Source::new("t.yml", text))
            .expect("loads")
            .value;
        let back = from_jinja(&to_jinja(&value)).expect("converts");
        assert_eq!(back, value);
        let order: Vec<String> = back
            .as_map()
            .expect("map")
            .keys()
            .map(Value::py_str)
            .collect();
        assert_eq!(order, vec!["a", "b", "420"]);
    }

    #[test]
    fn prints_like_python() {
        let value = to_jinja(
            &load_source(Source::new("t", "[1, 'a', ~, true, {k: 1.5}]"))
                .expect("loads")
                .value,
        );
        assert_eq!(
            py_str(&value).expect("prints"),
            "[1, 'a', None, True, {'k': 1.5}]"
        );
        assert_eq!(from_jinja(&Jinja::UNDEFINED), Err(ConvertError::Undefined));
    }
}
