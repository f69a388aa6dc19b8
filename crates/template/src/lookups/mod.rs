//! Lookups (`lookup('env', 'HOME')`, `query('items', …)`, `with_items`): Ansible's lookup
//! plugins that run on the controller.
//!
//! Each family lives in its own module (`lists`: items, list, dict, indexed_items, together,
//! nested, subelements, sequence; `files`: file, fileglob, first_found, template, password;
//! `tables`: ini, csvfile; `system`: env, pipe, lines, vars, config). Each lookup takes its
//! terms and keyword options and returns a list, as Ansible's `LookupBase.run` does;
//! [`run_lookup`] runs one for the executor's `with_<name>` loops and the `lookup`, `query`
//! and `q` template functions wrap it as ansible-core 2.19 does.
//!
//! Relative paths are searched as Ansible's `find_file_in_search_path` does, simplified: in
//! each directory of `ansible_search_path` (else `role_path`, else `playbook_dir`, else the
//! current directory), first under the lookup's subdirectory (`files/`, `templates/`), then
//! directly; absolute paths are used as they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, Rest, Value as Jinja};
use minijinja::{Environment, Error as JinjaError, ErrorKind, State};
use oxible_yaml::{Map, Value, ValueKind};

use crate::convert::{from_jinja, to_jinja};
use crate::error::TemplateError;
use crate::scope::Scope;

mod files;
mod lists;
mod system;
mod tables;

/// Registers `lookup`, `query` and `q` on the templar's environment.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(
        "lookup",
        |state: &State, name: &str, terms: Rest<Jinja>, kwargs: Kwargs| {
            invoke(state, name, &terms, &kwargs, false)
        },
    );
    for function in ["query", "q"] {
        env.add_function(
            function,
            |state: &State, name: &str, terms: Rest<Jinja>, kwargs: Kwargs| {
                invoke(state, name, &terms, &kwargs, true)
            },
        );
    }
}

/// Runs the lookup `name` (`items`, `file`, `ansible.builtin.env`, …) on `terms` with the
/// keyword options `kwargs`, reading variables from `scope`; returns its list of results.
///
/// This is what a task's `with_<name>:` runs: the caller passes the templated `with_` value
/// as `terms` (a list as it is, anything else as a one-item list, as Ansible's
/// `listify_lookup_plugin_terms`). `wantlist` and `errors` are template-call options and are
/// not accepted here. An unknown `name` is an error listing the lookups oxible knows.
pub fn run_lookup(
    name: &str,
    terms: &[Value],
    kwargs: &Map,
    scope: &Arc<Scope>,
) -> Result<Vec<Value>, TemplateError> {
    run(name, terms, kwargs, &ScopeVars(scope.clone()))
        .map_err(|e| TemplateError::from_jinja(&e.into_jinja(name), &format!("with_{name}")))
}

/// A lookup's implementation.
type Lookup = fn(&Call<'_>) -> Result<Vec<Value>, LookupError>;

/// Every lookup oxible knows, by its short name.
const LOOKUPS: &[(&str, Lookup)] = &[
    ("config", system::config),
    ("csvfile", tables::csvfile),
    ("dict", lists::dict),
    ("env", system::env),
    ("file", files::file),
    ("fileglob", files::fileglob),
    ("first_found", files::first_found),
    ("indexed_items", lists::indexed_items),
    ("ini", tables::ini),
    ("items", lists::items),
    ("lines", system::lines),
    ("list", lists::list),
    ("nested", lists::nested),
    ("password", files::password),
    ("pipe", system::pipe),
    ("sequence", lists::sequence),
    ("subelements", lists::subelements),
    ("template", files::template),
    ("together", lists::together),
    ("vars", system::vars),
];

/// Why a lookup failed.
#[derive(Debug)]
pub(crate) enum LookupError {
    /// The lookup cannot run with these arguments or this data.
    Failed(String),
    /// The lookup's value is undefined (`env` and `vars` without a default): an error when
    /// used, as Ansible's undefined marker, but `lookup(…) | default(…)` still works.
    Undefined(String),
}

impl LookupError {
    /// The failure as a minijinja error naming the lookup, worded as ansible-core's
    /// `AnsibleTemplatePluginRuntimeError` with its cause.
    fn into_jinja(self, name: &str) -> JinjaError {
        match self {
            Self::Failed(msg) => JinjaError::new(
                ErrorKind::InvalidOperation,
                format!("The lookup plugin '{name}' failed: {msg}"),
            ),
            Self::Undefined(msg) => JinjaError::new(ErrorKind::UndefinedError, msg),
        }
    }
}

/// `LookupError::Failed(…)` with a formatted message.
macro_rules! failure {
    ($($arg:tt)*) => {
        $crate::lookups::LookupError::Failed(format!($($arg)*))
    };
}
pub(crate) use failure;

/// `Err(LookupError::Failed(…))` with a formatted message.
macro_rules! fail {
    ($($arg:tt)*) => {
        Err($crate::lookups::failure!($($arg)*))
    };
}
pub(crate) use fail;

/// Where a lookup reads the task's variables from.
trait Vars {
    /// The templated value of the variable `name`, if defined.
    fn var(&self, name: &str) -> Option<Jinja>;
}

/// Variables of a template being rendered.
impl Vars for State<'_, '_> {
    fn var(&self, name: &str) -> Option<Jinja> {
        self.lookup(name).filter(|v| !v.is_undefined())
    }
}

/// Variables of a [`Scope`], for [`run_lookup`].
struct ScopeVars(Arc<Scope>);

impl Vars for ScopeVars {
    fn var(&self, name: &str) -> Option<Jinja> {
        self.0
            .get_value(&Jinja::from(name))
            .filter(|v| !v.is_undefined())
    }
}

/// One lookup invocation: its terms, keyword options and the variables in scope.
pub(crate) struct Call<'a> {
    /// The positional terms.
    pub(crate) terms: &'a [Value],
    kwargs: &'a Map,
    vars: &'a dyn Vars,
}

impl Call<'_> {
    /// The keyword option `name`, if given.
    pub(crate) fn option(&self, name: &str) -> Option<&Value> {
        self.kwargs.get(&Value::from(name))
    }

    /// The names of the keyword options given.
    pub(crate) fn option_names(&self) -> impl Iterator<Item = String> + '_ {
        self.kwargs.keys().map(Value::py_str)
    }

    /// The variable `name` as a value, if defined and convertible.
    pub(crate) fn var(&self, name: &str) -> Option<Value> {
        self.vars.var(name).and_then(|v| from_jinja(&v).ok())
    }

    /// The variable `name` as the raw template value (to keep undefined and errors).
    pub(crate) fn var_jinja(&self, name: &str) -> Option<Jinja> {
        self.vars.var(name)
    }

    /// The directories relative paths are searched in (see the module documentation).
    pub(crate) fn search_path(&self) -> Vec<PathBuf> {
        if let Some(paths) = self.var("ansible_search_path")
            && let Some(items) = paths.as_seq()
        {
            return items.iter().map(|p| PathBuf::from(p.py_str())).collect();
        }
        vec![self.base_dir()]
    }

    /// The directory Ansible's loader resolves relative paths against: `role_path`, else
    /// `playbook_dir`, else the current directory.
    pub(crate) fn base_dir(&self) -> PathBuf {
        ["role_path", "playbook_dir"]
            .iter()
            .find_map(|name| self.var(name))
            .map_or_else(|| PathBuf::from("."), |dir| PathBuf::from(dir.py_str()))
    }

    /// `needle` found in the search path (under `subdir` first), as
    /// `find_file_in_search_path`; absolute paths only need to exist.
    pub(crate) fn find_file(&self, subdir: Option<&str>, needle: &str) -> Option<PathBuf> {
        let needle = expand_home(needle);
        if needle.is_absolute() {
            return needle.exists().then_some(needle);
        }
        let mut bases = self.search_path();
        bases.push(self.base_dir());
        bases
            .iter()
            .flat_map(|base| {
                let under = subdir.map(|sub| base.join(sub).join(&needle));
                under.into_iter().chain([base.join(&needle)])
            })
            .find(|candidate| candidate.exists())
    }
}

/// `~/x` with the home directory.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// A lookup by name (with or without its `ansible.builtin.` prefix).
fn find(name: &str) -> Result<Lookup, LookupError> {
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    LOOKUPS
        .iter()
        .find(|(known, _)| *known == short)
        .map(|(_, lookup)| *lookup)
        .ok_or_else(|| {
            let known: Vec<&str> = LOOKUPS.iter().map(|(n, _)| *n).collect();
            LookupError::Failed(format!(
                "no lookup named '{name}'; oxible knows {}",
                known.join(", ")
            ))
        })
}

/// Runs a lookup on converted arguments.
fn run(
    name: &str,
    terms: &[Value],
    kwargs: &Map,
    vars: &dyn Vars,
) -> Result<Vec<Value>, LookupError> {
    let lookup = find(name)?;
    lookup(&Call {
        terms,
        kwargs,
        vars,
    })
}

/// The `lookup`/`query` template functions: ansible-core's `_invoke_lookup`.
fn invoke(
    state: &State,
    name: &str,
    terms: &[Jinja],
    kwargs: &Kwargs,
    query: bool,
) -> Result<Jinja, JinjaError> {
    let undefined =
        |what: &str| JinjaError::new(ErrorKind::UndefinedError, format!("{what} is undefined"));
    let terms = terms
        .iter()
        .map(|t| from_jinja(t).map_err(|e| convert_error(e, "a lookup term")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = Map::new();
    let (mut wantlist, mut errors) = (query, "strict".to_string());
    for key in kwargs.args() {
        let value: Jinja = kwargs.get(key)?;
        if value.is_undefined() {
            return Err(undefined(&format!("the lookup option '{key}'")));
        }
        match key {
            "wantlist" => wantlist = wantlist || value.is_true(),
            "errors" => errors = value.to_string(),
            _ => {
                options.insert(
                    Value::from(key),
                    from_jinja(&value).map_err(|e| convert_error(e, key))?,
                );
            }
        }
    }
    // An unknown lookup fails whatever `errors` says, as a plugin that cannot load.
    let lookup = find(name).map_err(|e| e.into_jinja(name))?;
    let call = Call {
        terms: &terms,
        kwargs: &options,
        vars: state,
    };
    let result = match lookup(&call) {
        Ok(result) => result,
        Err(LookupError::Undefined(_)) if !wantlist && terms.len() == 1 => {
            return Ok(Jinja::UNDEFINED);
        }
        Err(_) if matches!(errors.as_str(), "warn" | "ignore") => {
            return Ok(if wantlist {
                Jinja::from(Vec::<Jinja>::new())
            } else {
                Jinja::from(())
            });
        }
        Err(err) => return Err(err.into_jinja(name)),
    };
    if wantlist || result.is_empty() {
        return Ok(result.iter().map(to_jinja).collect());
    }
    if let [only] = result.as_slice() {
        return Ok(to_jinja(only));
    }
    let texts: Option<Vec<&str>> = result
        .iter()
        .map(|v| match &v.kind {
            ValueKind::Str(s) | ValueKind::Unsafe(s) => Some(&**s),
            _ => None,
        })
        .collect();
    Ok(match texts {
        Some(texts) => Jinja::from(texts.join(",")),
        None => result.iter().map(to_jinja).collect(),
    })
}

/// A lookup argument that is not data (undefined, a macro).
fn convert_error(err: crate::convert::ConvertError, what: &str) -> JinjaError {
    match err {
        crate::convert::ConvertError::Undefined => {
            JinjaError::new(ErrorKind::UndefinedError, format!("{what} is undefined"))
        }
        other => JinjaError::new(ErrorKind::InvalidOperation, format!("{what}: {other}")),
    }
}

/// Python's `str(value)` of a term that must be a string, else an error naming the lookup.
pub(crate) fn text_term<'v>(lookup: &str, term: &'v Value) -> Result<&'v str, LookupError> {
    match &term.kind {
        ValueKind::Str(s) | ValueKind::Unsafe(s) => Ok(s),
        _ => fail!(
            "the '{lookup}' lookup expects string terms, got {} ({})",
            term.py_str(),
            term.type_name()
        ),
    }
}

/// Ansible's `parse_kv` for lookup terms: `k=v` pairs (values may be quoted) and the other
/// words, joined by spaces, as `_raw_params`.
pub(crate) fn parse_kv(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let mut pairs = Vec::new();
    let mut raw = Vec::new();
    for word in split_words(text) {
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(['"', '\'']) => {
                pairs.push((k.to_string(), unquote(v)));
            }
            _ => raw.push(word),
        }
    }
    (pairs, (!raw.is_empty()).then(|| raw.join(" ")))
}

/// `text` split on whitespace outside quotes.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A value without its surrounding quotes.
fn unquote(value: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    value.to_string()
}

/// An integer option given as an int or a decimal string (Python's `int()`).
pub(crate) fn int_value(lookup: &str, name: &str, value: &Value) -> Result<i64, LookupError> {
    let parsed = match &value.kind {
        ValueKind::Int(i) => Some(*i),
        ValueKind::Bool(b) => Some(i64::from(*b)),
        ValueKind::Str(s) | ValueKind::Unsafe(s) => s.trim().replace('_', "").parse().ok(),
        _ => None,
    };
    parsed.map_or_else(
        || {
            fail!(
                "the '{lookup}' lookup's '{name}' must be an integer, got '{}'",
                value.py_str()
            )
        },
        Ok,
    )
}

/// Ansible's boolean conversion of an option (`yes`, `true`, `1`, …).
pub(crate) fn bool_value(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Bool(b) => *b,
        ValueKind::Int(i) => *i == 1,
        ValueKind::Str(s) | ValueKind::Unsafe(s) => matches!(
            s.trim().to_lowercase().as_str(),
            "y" | "yes" | "on" | "1" | "true" | "t"
        ),
        _ => false,
    }
}
