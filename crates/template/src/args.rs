//! Python-style argument binding for filters: positional arguments and keyword arguments
//! matched against a filter's parameter list, with the errors Python would raise as
//! messages naming the filter and what it accepts.

use minijinja::value::{ArgType, Kwargs, Value, ValueOrKwargs};
use minijinja::{Error, ErrorKind};

/// A filter's Python signature (after the piped-in value): its name and its parameters,
/// written as Python writes them (`"pattern"`, `"ignorecase=False"`); a parameter without a
/// default is required.
pub(crate) struct Signature {
    /// The filter's name, for messages.
    pub name: &'static str,
    /// The parameters, in positional order.
    pub params: &'static [&'static str],
    /// Whether unknown keyword arguments are accepted (`**kwargs`).
    pub extra_kwargs: bool,
    /// Whether extra positional arguments are accepted (`*args`).
    pub varargs: bool,
}

/// Arguments bound to a [`Signature`].
pub(crate) struct Bound {
    sig: &'static Signature,
    values: Vec<Option<Value>>,
    /// Keyword arguments that matched no parameter (only with `extra_kwargs`), in call order.
    pub extra: Vec<(String, Value)>,
    /// Positional arguments beyond the parameters (only with `varargs`).
    pub rest: Vec<Value>,
}

impl Signature {
    fn param_name(param: &str) -> &str {
        param.split('=').next().unwrap_or(param)
    }

    /// `name: message; expected (params)`, as an invalid-operation error.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "{}: {message}; expected ({}{}{})",
                self.name,
                self.params.join(", "),
                if self.varargs { ", *args" } else { "" },
                if self.extra_kwargs { ", **kwargs" } else { "" }
            ),
        )
    }

    /// Binds the arguments a filter was called with (kwargs, if any, come last).
    pub fn bind(&'static self, args: &[Value]) -> Result<Bound, Error> {
        let mut values: Vec<Option<Value>> = vec![None; self.params.len()];
        let mut extra = Vec::new();
        let (positional, kwargs) = match args.split_last() {
            Some((last, rest)) if last.is_kwargs() => (rest, Some(Kwargs::from_value(Some(last))?)),
            _ => (args, None),
        };
        let rest = if self.varargs {
            positional
                .get(self.params.len()..)
                .unwrap_or_default()
                .to_vec()
        } else {
            Vec::new()
        };
        if positional.len() > self.params.len() && !self.varargs {
            return Err(self.error(format!(
                "takes at most {} arguments, {} given",
                self.params.len(),
                positional.len()
            )));
        }
        for (slot, value) in values.iter_mut().zip(positional) {
            *slot = Some(value.clone());
        }
        if let Some(kwargs) = kwargs {
            let names: Vec<String> = kwargs.args().map(str::to_string).collect();
            for name in names {
                let value: Value = kwargs.get(&name)?;
                match self.params.iter().position(|p| Self::param_name(p) == name) {
                    Some(i) if values[i].is_some() => {
                        return Err(
                            self.error(format!("got multiple values for argument '{name}'"))
                        );
                    }
                    Some(i) => values[i] = Some(value),
                    None if self.extra_kwargs => extra.push((name, value)),
                    None => {
                        return Err(self.error(format!("unexpected keyword argument '{name}'")));
                    }
                }
            }
        }
        for (param, value) in self.params.iter().zip(&values) {
            if value.is_none() && !param.contains('=') {
                return Err(self.error(format!("missing required argument '{param}'")));
            }
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
            Some(v) => py_int(v).ok_or_else(|| {
                self.error(format!(
                    "'{}' must be an integer, not {}",
                    Self::name(self.sig, i),
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
                    Self::name(self.sig, i),
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

    fn name(sig: &Signature, i: usize) -> &'static str {
        sig.params
            .get(i)
            .map_or("argument", |p| Signature::param_name(p))
    }
}

/// A Python `int` (or `bool`) as i64.
pub(crate) fn py_int(v: &Value) -> Option<i64> {
    match v.kind() {
        minijinja::value::ValueKind::Bool => Some(i64::from(v.is_true())),
        minijinja::value::ValueKind::Number if v.is_integer() => v.as_i64(),
        _ => None,
    }
}

/// The Python type name of a minijinja value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    use minijinja::value::ValueKind as K;
    match v.kind() {
        K::Undefined => "Undefined",
        K::None => "NoneType",
        K::Bool => "bool",
        K::Number if v.is_integer() => "int",
        K::Number => "float",
        K::String => "str",
        K::Bytes => "bytes",
        K::Seq | K::Iterable => "list",
        K::Map => "dict",
        _ => "object",
    }
}

/// A filter implemented over bound arguments: the piped-in value and the call's arguments.
pub(crate) type FilterFn = fn(&Value, &Bound) -> Result<Value, Error>;

/// Registers `f` under `sig.name`, binding its arguments to `sig` first.
pub(crate) fn add(env: &mut minijinja::Environment<'static>, sig: &'static Signature, f: FilterFn) {
    env.add_filter(
        sig.name,
        move |value: Value, args: minijinja::value::Rest<ValueOrKwargs>| {
            let args: Vec<Value> = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
            let bound = sig.bind(&args)?;
            f(&value, &bound)
        },
    );
}

/// Python's `str(value)`, as filters that coerce their input print it.
pub(crate) fn py_str(value: &Value) -> Result<String, Error> {
    crate::convert::py_str(value)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}
