//! Module parameters: declared per module, validated and typed before the module runs, as
//! Ansible's `AnsibleModule(argument_spec=…)` does.

use oxible_yaml::{Map, Value, ValueKind, did_you_mean};

use crate::ModuleError;

/// The type a parameter is converted to (Ansible's `type=` in an argument spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// Text; numbers and booleans are converted to their text.
    Str,
    /// A boolean, with Ansible's spellings (`yes`, `on`, `1`, `true` …).
    Bool,
    /// An integer (text holding one is converted).
    Int,
    /// A path (text).
    Path,
    /// A list; a comma-separated string is split, as Ansible does.
    List,
    /// A dict.
    Dict,
    /// Anything, kept as given.
    Raw,
}

/// A parameter's default, as Ansible's argument spec declares it (`default=`): what the module
/// reports for it in `invocation.module_args` when the task does not give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgDefault {
    /// No default (`None`).
    None,
    /// A boolean.
    Bool(bool),
}

/// One declared parameter.
#[derive(Debug, Clone, Copy)]
pub struct ArgSpec {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub kind: ArgType,
    /// Whether it must be given.
    pub required: bool,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// The values it accepts, when restricted.
    pub choices: &'static [&'static str],
    /// Its default.
    pub default: ArgDefault,
}

/// `first` followed by `second` as one spec array (`M` must be `N + second.len()`): how a
/// module composes its own parameters with a shared group (file attributes, URL options), as
/// Ansible modules extend their spec with `add_file_common_args` or `url_argument_spec()`.
pub(crate) const fn concat<const N: usize, const M: usize>(
    first: [ArgSpec; N],
    second: &[ArgSpec],
) -> [ArgSpec; M] {
    assert!(M == N + second.len(), "M must be N + second.len()");
    let mut all = [ArgSpec::new("", ArgType::Raw); M];
    let mut i = 0;
    while i < M {
        all[i] = if i < N { first[i] } else { second[i - N] };
        i += 1;
    }
    all
}

impl ArgSpec {
    /// An optional parameter of type `kind`.
    pub const fn new(name: &'static str, kind: ArgType) -> Self {
        Self {
            name,
            kind,
            required: false,
            aliases: &[],
            choices: &[],
            default: ArgDefault::None,
        }
    }

    /// The same, required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same, also accepted as `aliases`.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    /// The same, defaulting to `default`.
    pub const fn default(mut self, default: ArgDefault) -> Self {
        self.default = default;
        self
    }

    /// The same, restricted to `choices`.
    pub const fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
}

/// Validated parameters, by canonical name, converted to their declared types.
#[derive(Debug, Clone, Default)]
pub struct Args {
    values: Map,
}

impl Args {
    /// Checks `raw` against `spec` for module `module`: unknown names, missing required ones,
    /// wrong types and values outside `choices` are errors listing what is valid.
    pub fn validate(module: &str, spec: &[ArgSpec], raw: &Map) -> Result<Self, ModuleError> {
        let mut values = Map::new();
        for (key, value) in raw {
            let name = key.py_str();
            let Some(param) = spec
                .iter()
                .find(|p| p.name == name || p.aliases.contains(&name.as_str()))
            else {
                let valid: Vec<&str> = spec.iter().map(|p| p.name).collect();
                let hint = did_you_mean(&name, valid.iter().copied())
                    .map(|d| format!("{d} "))
                    .unwrap_or_default();
                return Err(ModuleError::Args(format!(
                    "Unsupported parameter for ({module}) module: {name}. {hint}Supported parameters include: {}.",
                    valid.join(", ")
                )));
            };
            if value.is_null() {
                continue;
            }
            let converted = convert(param.kind, value).ok_or_else(|| {
                ModuleError::Args(format!(
                    "argument '{}' is of type {} and we were unable to convert to {}",
                    param.name,
                    value.type_name(),
                    kind_name(param.kind)
                ))
            })?;
            if !param.choices.is_empty() {
                let text = converted.py_str();
                if !param.choices.contains(&text.as_str()) {
                    return Err(ModuleError::Args(format!(
                        "value of {} must be one of: {}, got: {text}",
                        param.name,
                        param.choices.join(", ")
                    )));
                }
            }
            values.insert(Value::from(param.name), converted);
        }
        let missing: Vec<&str> = spec
            .iter()
            .filter(|p| p.required && !values.contains_key(&Value::from(p.name)))
            .map(|p| p.name)
            .collect();
        if !missing.is_empty() {
            return Err(ModuleError::Args(format!(
                "missing required arguments: {}",
                missing.join(", ")
            )));
        }
        Ok(Self { values })
    }

    /// The raw value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(&Value::from(name))
    }

    /// A text parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// A boolean parameter, `default` when not given.
    pub fn bool(&self, name: &str, default: bool) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(default)
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)?.kind {
            ValueKind::Int(i) => Some(i),
            _ => None,
        }
    }

    /// A list parameter's items as text.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.get(name)
            .and_then(Value::as_seq)
            .map(|items| items.iter().map(Value::py_str).collect())
            .unwrap_or_default()
    }

    /// Ansible's `invocation.module_args`: every parameter of `spec` (by canonical name) with
    /// its value, else its default, as `AnsibleModule` reports its `params`.
    pub fn module_args(&self, spec: &[ArgSpec]) -> Map {
        spec.iter()
            .map(|param| {
                let value = self
                    .get(param.name)
                    .cloned()
                    .unwrap_or(match param.default {
                        ArgDefault::None => Value::null(),
                        ArgDefault::Bool(b) => Value::from(b),
                    });
                (Value::from(param.name), value)
            })
            .collect()
    }

    /// Fails when more than one of `names` is given (Ansible's `mutually_exclusive`).
    pub fn exclusive(&self, names: &[&str]) -> Result<(), ModuleError> {
        let given: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.get(n).is_some())
            .collect();
        if given.len() > 1 {
            return Err(ModuleError::Args(format!(
                "parameters are mutually exclusive: {}",
                given.join("|")
            )));
        }
        Ok(())
    }
}

fn kind_name(kind: ArgType) -> &'static str {
    match kind {
        ArgType::Str | ArgType::Path => "str",
        ArgType::Bool => "bool",
        ArgType::Int => "int",
        ArgType::List => "list",
        ArgType::Dict => "dict",
        ArgType::Raw => "raw",
    }
}

/// Converts `value` as Ansible's argument spec validation does for `kind`.
fn convert(kind: ArgType, value: &Value) -> Option<Value> {
    match (kind, &value.kind) {
        (ArgType::Raw, _) => Some(value.clone()),
        (ArgType::Str | ArgType::Path, ValueKind::Seq(_) | ValueKind::Map(_)) => None,
        (ArgType::Str | ArgType::Path, _) => Some(Value::from(value.py_str())),
        (ArgType::Bool, ValueKind::Bool(_)) => Some(value.clone()),
        (ArgType::Bool, ValueKind::Int(i)) if *i == 0 || *i == 1 => Some(Value::from(*i == 1)),
        (ArgType::Bool, ValueKind::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "yes" | "on" | "1" | "true" | "y" | "t" => Some(Value::from(true)),
            "no" | "off" | "0" | "false" | "n" | "f" => Some(Value::from(false)),
            _ => None,
        },
        (ArgType::Int, ValueKind::Int(_)) => Some(value.clone()),
        (ArgType::Int, ValueKind::Str(s)) => s.trim().parse::<i64>().ok().map(Value::from),
        (ArgType::List, ValueKind::Seq(_)) => Some(value.clone()),
        (ArgType::List, ValueKind::Str(s)) => Some(Value::seq(
            s.split(',').map(|p| Value::from(p.trim())).collect(),
        )),
        (ArgType::List, _) => Some(Value::seq(vec![value.clone()])),
        (ArgType::Dict, ValueKind::Map(_)) => Some(value.clone()),
        _ => None,
    }
}

/// Validated arguments from `(name, value)` pairs, for the modules' unit tests.
#[cfg(test)]
pub(crate) fn test_args<V: Clone + Into<Value>>(
    module: &str,
    spec: &[ArgSpec],
    pairs: &[(&str, V)],
) -> Args {
    let raw: Map = pairs
        .iter()
        .map(|(k, v)| (Value::from(*k), v.clone().into()))
        .collect();
    Args::validate(module, spec, &raw).expect("valid test arguments")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[ArgSpec] = &[
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "name"]),
        ArgSpec::new("state", ArgType::Str).choices(&["file", "absent"]),
        ArgSpec::new("force", ArgType::Bool),
        ArgSpec::new("names", ArgType::List),
    ];

    fn map(pairs: &[(&str, Value)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect()
    }

    #[test]
    fn converts_like_ansible() {
        let args = Args::validate(
            "file",
            SPEC,
            &map(&[
                ("dest", "/x".into()),
                ("force", "yes".into()),
                ("names", "a, b".into()),
            ]),
        )
        .expect("valid");
        assert_eq!(args.str("path"), Some("/x"));
        assert!(args.bool("force", false));
        assert_eq!(args.strings("names"), vec!["a", "b"]);
    }

    #[test]
    fn rejects_what_ansible_rejects() {
        let err = |pairs: &[(&str, Value)]| {
            Args::validate("file", SPEC, &map(pairs))
                .expect_err("invalid")
                .to_string()
        };
        assert!(
            err(&[("path", "/x".into()), ("stat", "file".into())])
                .contains("did you mean 'state'?")
        );
        assert!(err(&[("state", "file".into())]).contains("missing required arguments: path"));
        assert!(
            err(&[("path", "/x".into()), ("state", "gone".into())])
                .contains("must be one of: file, absent")
        );
        assert!(
            err(&[("path", "/x".into()), ("force", "maybe".into())])
                .contains("unable to convert to bool")
        );
    }
}
