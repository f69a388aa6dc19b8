//! Python's data model on minijinja values, as Jinja2's filters, tests and methods see
//! them inside Ansible: type names, `int`/`float`/`str` views, iteration, `==`, `<`,
//! `getitem` and dotted attribute paths, truth.

use std::cmp::Ordering;

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Error, ErrorKind, State};

/// An evaluation error with `message` (Python's exception text, or oxible's usage hint).
pub(crate) fn fail(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Python's type name of a value (`int`, `str`, `list`, `dict`, `NoneType`, …).
pub(crate) fn type_name(value: &Jinja) -> &'static str {
    match value.kind() {
        JinjaKind::Undefined => "Undefined",
        JinjaKind::None => "NoneType",
        JinjaKind::Bool => "bool",
        JinjaKind::Number if value.is_integer() => "int",
        JinjaKind::Number => "float",
        JinjaKind::String => "str",
        JinjaKind::Bytes => "bytes",
        JinjaKind::Seq | JinjaKind::Iterable => "list",
        JinjaKind::Map => "dict",
        _ => crate::datetime::type_name(value).unwrap_or("object"),
    }
}

/// Python's `int` view of a value: an int or a bool (`True` is 1), else `None`.
pub(crate) fn int(value: &Jinja) -> Option<i128> {
    match value.kind() {
        JinjaKind::Bool => Some(i128::from(value.is_true())),
        JinjaKind::Number if value.is_integer() => i128::try_from(value.clone()).ok(),
        _ => None,
    }
}

/// [`int`] within `i64`, what filters' integer arguments take.
pub(crate) fn int64(value: &Jinja) -> Option<i64> {
    int(value).and_then(|i| i64::try_from(i).ok())
}

/// Python's `float(x)` of a number (ints, floats and bools); `None` for anything else.
pub(crate) fn float(value: &Jinja) -> Option<f64> {
    match value.kind() {
        JinjaKind::Bool => Some(if value.is_true() { 1.0 } else { 0.0 }),
        JinjaKind::Number => f64::try_from(value.clone()).ok(),
        _ => None,
    }
}

/// Python's `str(value)`, as filters that coerce their input print it.
pub(crate) fn py_str(value: &Jinja) -> Result<String, Error> {
    crate::convert::py_str(value).map_err(|e| fail(e.to_string()))
}

/// Whether the value is a list (Python's `list`/`tuple`).
pub(crate) fn is_list(value: &Jinja) -> bool {
    matches!(value.kind(), JinjaKind::Seq | JinjaKind::Iterable)
}

/// Whether the value is a dict.
pub(crate) fn is_dict(value: &Jinja) -> bool {
    value.kind() == JinjaKind::Map
}

/// Python's `iter(value)`: a list's items, a string's characters, a dict's keys; other
/// values are not iterable (an undefined value is an error of its own).
pub(crate) fn items(value: &Jinja) -> Result<Vec<Jinja>, Error> {
    match value.kind() {
        JinjaKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        JinjaKind::String => Ok(value
            .as_str()
            .unwrap_or_default()
            .chars()
            .map(Jinja::from)
            .collect()),
        JinjaKind::Seq | JinjaKind::Iterable | JinjaKind::Map => Ok(value.try_iter()?.collect()),
        _ => Err(fail(format!(
            "'{}' object is not iterable",
            type_name(value)
        ))),
    }
}

/// A numeric view of bools, ints and floats, for Python's mixed-number comparisons.
enum Num {
    Int(i128),
    Float(f64),
}

/// The [`Num`] of a bool, int or float.
fn number(value: &Jinja) -> Option<Num> {
    match int(value) {
        Some(i) => Some(Num::Int(i)),
        None if value.kind() == JinjaKind::Number => float(value).map(Num::Float),
        None => None,
    }
}

fn cmp_numbers(a: &Num, b: &Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        (Num::Int(x), Num::Float(y)) => (*x as f64).partial_cmp(y),
        (Num::Float(x), Num::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(y),
    }
}

/// Python's `a == b` (`1 == 1.0 == True`, dicts equal whatever their order).
pub(crate) fn eq(a: &Jinja, b: &Jinja) -> bool {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return cmp_numbers(&x, &y) == Some(Ordering::Equal);
    }
    match (a.kind(), b.kind()) {
        (JinjaKind::String, JinjaKind::String) => a.as_str() == b.as_str(),
        (JinjaKind::None, JinjaKind::None) => true,
        _ if is_list(a) && is_list(b) => match (items(a), items(b)) {
            (Ok(x), Ok(y)) => x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| eq(p, q)),
            _ => false,
        },
        (JinjaKind::Map, JinjaKind::Map) => {
            let (Ok(keys), Some(la), Some(lb)) = (items(a), a.len(), b.len()) else {
                return false;
            };
            la == lb
                && keys.iter().all(|k| {
                    let other = b.get_item(k).unwrap_or_default();
                    !other.is_undefined() && eq(&a.get_item(k).unwrap_or_default(), &other)
                })
        }
        _ => false,
    }
}

/// Whether `needle` is in `haystack` by Python's `==`.
pub(crate) fn contains(haystack: &[Jinja], needle: &Jinja) -> bool {
    haystack.iter().any(|x| eq(x, needle))
}

/// Python's ordering of `a` and `b` as `sorted`, `min` and `max` use it: numbers with
/// numbers, strings with strings, lists element by element; anything else is a TypeError.
pub(crate) fn cmp(a: &Jinja, b: &Jinja) -> Result<Ordering, Error> {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        // NaN compares as neither smaller nor greater, as Python's `<` does.
        return Ok(cmp_numbers(&x, &y).unwrap_or(Ordering::Equal));
    }
    match (a.kind(), b.kind()) {
        (JinjaKind::String, JinjaKind::String) => Ok(a.as_str().cmp(&b.as_str())),
        _ if is_list(a) && is_list(b) => {
            let (x, y) = (items(a)?, items(b)?);
            for (p, q) in x.iter().zip(&y) {
                if !eq(p, q) {
                    return cmp(p, q);
                }
            }
            Ok(x.len().cmp(&y.len()))
        }
        _ => Err(fail(format!(
            "'<' not supported between instances of '{}' and '{}'",
            type_name(a),
            type_name(b)
        ))),
    }
}

/// Sorts `values` stably by `key` with Python's ordering, failing as Python's `sorted` does
/// on values that cannot be compared.
pub(crate) fn sort_by_key<T>(
    values: &mut [T],
    key: impl Fn(&T) -> &Jinja,
    reverse: bool,
) -> Result<(), Error> {
    let mut error = None;
    values.sort_by(|a, b| match cmp(key(a), key(b)) {
        Ok(order) if reverse => order.reverse(),
        Ok(order) => order,
        Err(e) => {
            error.get_or_insert(e);
            Ordering::Equal
        }
    });
    error.map_or(Ok(()), Err)
}

/// Jinja2's `ignore_case`: strings lowered, other values unchanged.
pub(crate) fn fold_case(value: Jinja) -> Jinja {
    match value.as_str() {
        Some(s) => Jinja::from(s.to_lowercase()),
        None => value,
    }
}

/// Jinja2's `environment.getitem`: a dict key, list index or attribute; undefined if missing.
pub(crate) fn getitem(value: &Jinja, key: &Jinja) -> Jinja {
    match value.get_item(key) {
        Ok(found) if !found.is_undefined() => found,
        _ => match key.as_str() {
            Some(name) => value.get_attr(name).unwrap_or_default(),
            None => Jinja::UNDEFINED,
        },
    }
}

/// Jinja2's `make_attrgetter`: follows a dotted path (`info.city`, `0.name`), integer parts
/// as indexes; an integer attribute is one lookup.
pub(crate) fn attr_path(item: &Jinja, attribute: &Jinja) -> Jinja {
    let Some(path) = attribute.as_str() else {
        return getitem(item, attribute);
    };
    path.split('.').fold(item.clone(), |value, part| {
        let key = match part.parse::<i64>() {
            Ok(i) if part.bytes().all(|b| b.is_ascii_digit()) => Jinja::from(i),
            _ => Jinja::from(part),
        };
        getitem(&value, &key)
    })
}

/// An undefined attribute as Ansible reports it when used.
pub(crate) fn undefined_attribute(item: &Jinja, attribute: &Jinja) -> Error {
    Error::new(
        ErrorKind::UndefinedError,
        format!(
            "object of type '{}' has no attribute {attribute}",
            type_name(item)
        ),
    )
}

/// A value's truth as Jinja2 sees it inside Ansible: undefined values are errors.
pub(crate) fn truthy(value: &Jinja) -> Result<bool, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    Ok(value.is_true())
}

/// Applies a registered test by name, as `select('odd')` does.
pub(crate) fn test(
    state: &mut State,
    name: &str,
    value: &Jinja,
    args: &[Jinja],
) -> Result<bool, Error> {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(value.clone());
    all.extend_from_slice(args);
    state.perform_test(name, &all)
}
