//! Python-style argument binding for filters and tests: positional and keyword arguments
//! matched against a Python parameter list the way a `def` binds them (`TypeError`s for
//! surplus, repeated, unknown or missing arguments), with messages naming the filter or test
//! and what it accepts.

use minijinja::value::{ArgType, Kwargs, Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error};

use crate::python::{fail, int64, py_str, type_name};

/// A filter's or test's Python signature (after the piped-in or tested value): its name and
/// its parameters, written as Python writes them (`"pattern"`, `"ignorecase=False"`); a
/// parameter without a default is required, a `"*args"` parameter takes the surplus
/// positional arguments and makes the parameters after it keyword-only. Declared with
/// [`sig!`].
pub(crate) struct Signature {
    /// The filter's or test's name, for messages.
    pub name: &'static str,
    /// The parameters, in positional order.
    pub params: &'static [&'static str],
    /// Whether unknown keyword arguments are accepted (`**kwargs`).
    pub extra_kwargs: bool,
}

/// Declares a static [`Signature`]: `sig!(ID, "name", ["a", "b=1"])`, with `**` after the
/// parameters for `**kwargs`.
macro_rules! sig {
    ($id:ident, $name:literal, [$($p:literal),*]) => {
        $crate::args::sig!(@ $id, $name, [$($p),*], false);
    };
    ($id:ident, $name:literal, [$($p:literal),*], **) => {
        $crate::args::sig!(@ $id, $name, [$($p),*], true);
    };
    (@ $id:ident, $name:literal, [$($p:literal),*], $kwargs:expr) => {
        static $id: $crate::args::Signature = $crate::args::Signature {
            name: $name,
            params: &[$($p),*],
            extra_kwargs: $kwargs,
        };
    };
}
pub(crate) use sig;

/// Arguments bound to a [`Signature`].
pub(crate) struct Bound {
    sig: &'static Signature,
    values: Vec<Option<Value>>,
    /// Keyword arguments that matched no parameter (only with `extra_kwargs`), in call order.
    pub extra: Vec<(String, Value)>,
    /// The positional arguments `*args` took.
    pub rest: Vec<Value>,
}

impl Signature {
    /// A parameter's name without its default (`"count=None"` is `count`).
    fn param_name(param: &str) -> &str {
        param.split('=').next().unwrap_or(param)
    }

    /// How many parameters take positional arguments: those before `*args`.
    fn positional(&self) -> usize {
        self.params
            .iter()
            .position(|p| p.starts_with('*'))
            .unwrap_or(self.params.len())
    }

    /// `name: message; expected (params)`, as an invalid-operation error.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        fail(format!(
            "{}: {message}; expected ({}{})",
            self.name,
            self.params.join(", "),
            if self.extra_kwargs { ", **kwargs" } else { "" }
        ))
    }

    /// Binds the arguments of a call (keyword arguments, if any, come last as minijinja
    /// passes them), as Python binds a call to a `def`: a keyword argument given as `None`
    /// is given (as `None`).
    pub fn bind(&'static self, args: &[Value]) -> Result<Bound, Error> {
        let (positional, kwargs) = match args.split_last() {
            Some((last, rest)) if last.is_kwargs() => (rest, Some(Kwargs::from_value(Some(last))?)),
            _ => (args, None),
        };
        let takes = self.positional();
        if positional.len() > takes && takes == self.params.len() {
            return Err(self.error(format!(
                "takes at most {takes} arguments, {} given",
                positional.len()
            )));
        }
        let mut values: Vec<Option<Value>> = vec![None; self.params.len()];
        for (slot, value) in values.iter_mut().zip(positional.iter().take(takes)) {
            *slot = Some(value.clone());
        }
        let rest = positional.get(takes..).unwrap_or_default().to_vec();
        let mut extra = Vec::new();
        if let Some(kwargs) = &kwargs {
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                let param = self
                    .params
                    .iter()
                    .position(|p| !p.starts_with('*') && Self::param_name(p) == name);
                match param {
                    Some(i) if values[i].is_some() => {
                        return Err(
                            self.error(format!("got multiple values for argument '{name}'"))
                        );
                    }
                    Some(i) => values[i] = Some(value),
                    None if self.extra_kwargs => extra.push((name.to_string(), value)),
                    None => {
                        return Err(self.error(format!("unexpected keyword argument '{name}'")));
                    }
                }
            }
        }
        if let Some((param, _)) = self.params.iter().zip(&values).find(|(param, value)| {
            value.is_none() && !param.contains('=') && !param.starts_with('*')
        }) {
            return Err(self.error(format!("missing required argument '{param}'")));
        }
        Ok(Bound {
            sig: self,
            values,
            extra,
            rest,
        })
    }
}

impl Bound {
    /// The argument at parameter `i`, when given.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i).and_then(Option::as_ref)
    }

    /// The argument at `i`, or `None` also when it is Python's `None`.
    pub fn opt(&self, i: usize) -> Option<&Value> {
        self.get(i).filter(|v| !v.is_none())
    }

    /// An error about this call.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        self.sig.error(message)
    }

    /// The argument at `i` as Python truthiness, `default` when not given.
    pub fn flag(&self, i: usize, default: bool) -> bool {
        self.get(i).map_or(default, Value::is_true)
    }

    /// The argument at `i` as a Python `int` (a `bool` counts), `default` when not given.
    pub fn int(&self, i: usize, default: i64) -> Result<i64, Error> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => int64(v).ok_or_else(|| {
                self.error(format!(
                    "'{}' must be an integer, not {}",
                    self.param(i),
                    type_name(v)
                ))
            }),
        }
    }

    /// The argument at `i` as a string, `default` when not given.
    pub fn str<'a>(&'a self, i: usize, default: &'a str) -> Result<&'a str, Error> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => v.as_str().ok_or_else(|| {
                self.error(format!(
                    "'{}' must be a string, not {}",
                    self.param(i),
                    type_name(v)
                ))
            }),
        }
    }

    /// The argument at `i` as a string, `None` when not given or `None`.
    pub fn opt_str(&self, i: usize) -> Result<Option<&str>, Error> {
        match self.opt(i) {
            None => Ok(None),
            Some(_) => self.str(i, "").map(Some),
        }
    }

    /// Python's `str()` of the argument at `i`, `default` when not given.
    pub fn text(&self, i: usize, default: &str) -> Result<String, Error> {
        self.get(i)
            .map_or_else(|| Ok(default.to_string()), py_str)
            .map_err(|e| self.error(e))
    }

    /// The extra keyword argument `name` (see [`Signature::extra_kwargs`]), if given.
    pub fn kwarg(&self, name: &str) -> Option<&Value> {
        self.extra
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Fails unless every extra keyword argument is one of `known`.
    pub fn only_kwargs(&self, known: &[&str]) -> Result<(), Error> {
        match self
            .extra
            .iter()
            .find(|(k, _)| !known.contains(&k.as_str()))
        {
            Some((k, _)) => Err(self.error(format!("unexpected keyword argument '{k}'"))),
            None => Ok(()),
        }
    }

    /// The name of parameter `i`, for messages.
    fn param(&self, i: usize) -> &'static str {
        self.sig
            .params
            .get(i)
            .map_or("argument", |p| Signature::param_name(p))
    }
}

/// minijinja's arguments of a call as one list, keyword arguments last.
fn call_args(args: Rest<ValueOrKwargs>) -> Vec<Value> {
    args.0.into_iter().map(ValueOrKwargs::into_value).collect()
}

/// A filter implemented over bound arguments: the piped-in value and the call's arguments.
pub(crate) type FilterFn = fn(&Value, &Bound) -> Result<Value, Error>;

/// Registers the filter `f` under `sig.name`, binding its arguments to `sig` first.
pub(crate) fn add_filter(env: &mut Environment<'static>, sig: &'static Signature, f: FilterFn) {
    env.add_filter(sig.name, move |value: Value, args: Rest<ValueOrKwargs>| {
        f(&value, &sig.bind(&call_args(args))?)
    });
}

/// A test implemented over bound arguments: the tested value and the test's arguments.
pub(crate) type TestFn = fn(&Value, &Bound) -> Result<bool, Error>;

/// Registers the test `f` under `sig.name`, binding its arguments to `sig` first.
pub(crate) fn add_test(env: &mut Environment<'static>, sig: &'static Signature, f: TestFn) {
    env.add_test(sig.name, move |value: &Value, args: Rest<ValueOrKwargs>| {
        f(value, &sig.bind(&call_args(args))?)
    });
}
