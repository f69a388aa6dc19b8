//! The one value type of the workspace: what YAML, inventories, variables and module results hold.
//!
//! It models the Python objects Ansible works with after PyYAML has loaded a file: `None`,
//! `bool`, `int`, `float`, `str`, `list`, `dict` (insertion-ordered, any hashable key), plus
//! `datetime` values from YAML timestamps and the two tags Ansible gives meaning to, `!unsafe`
//! (never templated) and `!vault` (encrypted text). Containers are reference-counted, so a clone
//! is cheap however large the value is.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::source::Span;

/// An insertion-ordered mapping, like a Python `dict`.
pub type Map = IndexMap<Value, Value>;

/// A loaded value plus the position it was read from (`None` for values made at run time).
///
/// Equality and hashing look at the data only, never at the position.
#[derive(Clone)]
pub struct Value {
    /// What the value is.
    pub kind: ValueKind,
    /// Where it was read from.
    pub span: Option<Span>,
}

/// The data of a [`Value`], one variant per Python type Ansible can see.
#[derive(Clone, Debug)]
pub enum ValueKind {
    /// Python `None` (`~`, `null`, empty).
    Null,
    /// Python `bool`.
    Bool(bool),
    /// Python `int` (values outside 64 bits are kept as strings by the loader).
    Int(i64),
    /// Python `float`.
    Float(f64),
    /// Python `str`.
    Str(Arc<str>),
    /// Python `list`.
    Seq(Arc<Vec<Value>>),
    /// Python `dict`.
    Map(Arc<Map>),
    /// A YAML timestamp, kept as the text Python's `str()` gives for the `date`/`datetime`.
    Timestamp(Arc<Timestamp>),
    /// A `!unsafe` string: used as is, never templated.
    Unsafe(Arc<str>),
    /// A `!vault` string: the Ansible Vault envelope, still encrypted.
    Vault(Arc<str>),
}

/// A YAML timestamp as PyYAML constructs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// `true` for a `datetime.datetime`, `false` for a `datetime.date`.
    pub has_time: bool,
    /// Python's `str()` of the value, e.g. `2001-12-14 21:59:43.100000-05:00`.
    pub text: String,
}

impl Value {
    /// A value made at run time, without a position.
    pub fn new(kind: ValueKind) -> Self {
        Self { kind, span: None }
    }

    /// `None`.
    pub fn null() -> Self {
        Self::new(ValueKind::Null)
    }

    /// A string.
    pub fn string(s: impl Into<Arc<str>>) -> Self {
        Self::new(ValueKind::Str(s.into()))
    }

    /// A list.
    pub fn seq(items: Vec<Value>) -> Self {
        Self::new(ValueKind::Seq(Arc::new(items)))
    }

    /// A dict.
    pub fn map(map: Map) -> Self {
        Self::new(ValueKind::Map(Arc::new(map)))
    }

    /// The same data with every string inside marked `!unsafe`: what a run produced (module
    /// results, registered values, `set_fact` values, loop items) is never templated again, as
    /// ansible-core 2.19 trusts as templates only the strings it read from files.
    pub fn untrusted(&self) -> Value {
        let kind = match &self.kind {
            ValueKind::Str(s) => ValueKind::Unsafe(s.clone()),
            ValueKind::Seq(items) => {
                ValueKind::Seq(Arc::new(items.iter().map(Value::untrusted).collect()))
            }
            ValueKind::Map(map) => ValueKind::Map(Arc::new(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.untrusted()))
                    .collect(),
            )),
            other => other.clone(),
        };
        Value {
            kind,
            span: self.span.clone(),
        }
    }

    /// The same data with position `span`.
    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// The text of a `str` or `!unsafe` string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Str(s) | ValueKind::Unsafe(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match &self.kind {
            ValueKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a dict.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            ValueKind::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The value of a `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            ValueKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is `None`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, ValueKind::Null)
    }

    /// Looks up a string key in a dict.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map()?.get(&Value::string(key))
    }

    /// The Python type name, as Ansible's messages print it (`str`, `dict`, `NoneType`…).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            ValueKind::Null => "NoneType",
            ValueKind::Bool(_) => "bool",
            ValueKind::Int(_) => "int",
            ValueKind::Float(_) => "float",
            ValueKind::Str(_) => "str",
            ValueKind::Seq(_) => "list",
            ValueKind::Map(_) => "dict",
            ValueKind::Timestamp(t) if t.has_time => "datetime",
            ValueKind::Timestamp(_) => "date",
            ValueKind::Unsafe(_) => "AnsibleUnsafeText",
            ValueKind::Vault(_) => "EncryptedString",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::new(ValueKind::Bool(b))
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::new(ValueKind::Int(i))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use ValueKind::*;
        match (&self.kind, &other.kind) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || a == b,
            (Str(a) | Unsafe(a), Str(b) | Unsafe(b)) => a == b,
            (Seq(a), Seq(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Timestamp(a), Timestamp(b)) => a == b,
            (Vault(a), Vault(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use ValueKind::*;
        match &self.kind {
            Null => 0u8.hash(state),
            Bool(b) => b.hash(state),
            Int(i) => i.hash(state),
            Float(f) => f.to_bits().hash(state),
            Str(s) | Unsafe(s) | Vault(s) => s.hash(state),
            Seq(items) => items.hash(state),
            Map(map) => map.len().hash(state),
            Timestamp(t) => t.hash(state),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ValueKind::Seq(items) => f.debug_list().entries(items.iter()).finish(),
            ValueKind::Map(map) => f.debug_map().entries(map.iter()).finish(),
            kind => write!(f, "{kind:?}"),
        }
    }
}

impl serde::Serialize for Value {
    /// Serialises as JSON sees Python values: timestamps and tagged strings become strings.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.kind {
            ValueKind::Null => serializer.serialize_unit(),
            ValueKind::Bool(b) => serializer.serialize_bool(*b),
            ValueKind::Int(i) => serializer.serialize_i64(*i),
            ValueKind::Float(x) => serializer.serialize_f64(*x),
            ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => {
                serializer.serialize_str(s)
            }
            ValueKind::Timestamp(t) => serializer.serialize_str(&t.text),
            ValueKind::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            ValueKind::Map(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    out.serialize_entry(&key_text(k), v)?;
                }
                out.end()
            }
        }
    }
}

/// The text JSON uses for a dict key (Python's `json` turns `1` into `"1"`, `True` into `"true"`).
fn key_text(key: &Value) -> String {
    match &key.kind {
        ValueKind::Null => "null".into(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(x) => x.to_string(),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => s.to_string(),
        ValueKind::Timestamp(t) => t.text.clone(),
        ValueKind::Seq(_) | ValueKind::Map(_) => format!("{key:?}"),
    }
}
