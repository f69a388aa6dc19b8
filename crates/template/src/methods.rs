//! Python methods called on values (`x.split(',')`, `d.items()`, `l.index(v)`).
//!
//! minijinja-contrib's pycompat provides most of what Jinja2 templates in Ansible call; this adds
//! the few it lacks that Ansible content uses (`list.index`, `str.index`) and hands everything
//! else to it.

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind, from_args};
use minijinja::{Error, ErrorKind, State};

/// The environment's unknown-method callback.
pub(crate) fn call(
    state: &mut State,
    value: &Jinja,
    method: &str,
    args: &[Jinja],
) -> Result<Jinja, Error> {
    match (value.kind(), method) {
        (JinjaKind::Seq, "index") => {
            let (what,): (&Jinja,) = from_args(args)?;
            let position = value.try_iter()?.position(|item| item == *what);
            position
                .map(Jinja::from)
                .ok_or_else(|| value_error(format!("{what} is not in list")))
        }
        (JinjaKind::String, "index") => {
            let (needle,): (&str,) = from_args(args)?;
            let haystack = value.as_str().unwrap_or_default();
            haystack
                .find(needle)
                .map(|at| Jinja::from(haystack[..at].chars().count()))
                .ok_or_else(|| value_error("substring not found".into()))
        }
        _ => minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args),
    }
}

/// Python's `ValueError`, as an evaluation error.
fn value_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}
