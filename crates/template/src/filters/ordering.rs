//! Filters that order values with Python's comparisons: `sort`, `min`, `max`, `groupby` and
//! `dictsort`, as Jinja2 defines them (case-insensitive by default, dotted attributes).

use std::cmp::Ordering;

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Environment, Error};

use crate::args::{Bound, add_filter, sig};
use crate::python::{
    attr_path, cmp, eq, fold_case, is_dict, items, sort_by_key, type_name, undefined_attribute,
};

/// Registers the ordering filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &SORT, sort);
    add_filter(env, &MIN, |v, args| extreme(v, args, Ordering::Less));
    add_filter(env, &MAX, |v, args| extreme(v, args, Ordering::Greater));
    add_filter(env, &GROUPBY, groupby);
    add_filter(env, &DICTSORT, dictsort);
}

sig!(
    SORT,
    "sort",
    ["reverse=False", "case_sensitive=False", "attribute=None"]
);
sig!(MIN, "min", ["case_sensitive=False", "attribute=None"]);
sig!(MAX, "max", ["case_sensitive=False", "attribute=None"]);
sig!(
    GROUPBY,
    "groupby",
    ["attribute", "default=None", "case_sensitive=False"]
);
sig!(
    DICTSORT,
    "dictsort",
    ["case_sensitive=False", "by='key'", "reverse=False"]
);

/// `sorted`'s `reverse` (argument `i`): a bool or an int, as Python insists.
fn reverse_arg(args: &Bound, i: usize) -> Result<bool, Error> {
    match args.get(i) {
        None => Ok(false),
        Some(v) if v.kind() == JinjaKind::Bool || v.is_integer() => Ok(v.is_true()),
        Some(v) => Err(args.error(format!("reverse must be a bool, got {}", type_name(v)))),
    }
}

/// Jinja2's `ignore_case` unless `case_sensitive`.
fn case_key(value: Jinja, case_sensitive: bool) -> Jinja {
    if case_sensitive {
        value
    } else {
        fold_case(value)
    }
}

/// Jinja2's sort key for `attribute` (comma-separated dotted paths, or the item itself).
fn sort_key(item: &Jinja, attribute: Option<&Jinja>, case_sensitive: bool) -> Jinja {
    let parts: Vec<Jinja> = match attribute {
        None => vec![item.clone()],
        Some(a) => match a.as_str() {
            Some(text) => text
                .split(',')
                .map(|p| attr_path(item, &Jinja::from(p)))
                .collect(),
            None => vec![attr_path(item, a)],
        },
    };
    parts
        .into_iter()
        .map(|v| case_key(v, case_sensitive))
        .collect()
}

/// `list | sort(reverse=false, case_sensitive=false, attribute=None)`: Python's stable sort,
/// by (comma-separated, dotted) attributes when given; strings ignore case unless asked.
fn sort(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let case_sensitive = args.flag(1, false);
    let mut keyed: Vec<(Jinja, Jinja)> = items(value)?
        .into_iter()
        .map(|item| (sort_key(&item, args.opt(2), case_sensitive), item))
        .collect();
    sort_by_key(&mut keyed, |(k, _)| k, reverse_arg(args, 0)?)?;
    Ok(keyed.into_iter().map(|(_, item)| item).collect())
}

/// `min`/`max`: the first smallest (or greatest) item by Python's ordering.
fn extreme(value: &Jinja, args: &Bound, wanted: Ordering) -> Result<Jinja, Error> {
    let case_sensitive = args.flag(0, false);
    let key = |item: &Jinja| {
        let v = match args.opt(1) {
            Some(a) => attr_path(item, a),
            None => item.clone(),
        };
        case_key(v, case_sensitive)
    };
    let mut best: Option<(Jinja, Jinja)> = None;
    for item in items(value)? {
        let k = key(&item);
        best = match best {
            Some((bk, b)) if cmp(&k, &bk)? != wanted => Some((bk, b)),
            _ => Some((k, item)),
        };
    }
    // An empty sequence gives Jinja2's undefined "No aggregated item".
    Ok(best.map_or(Jinja::UNDEFINED, |(_, item)| item))
}

/// `list | groupby(attribute, default=None, case_sensitive=false)`: `[key, items]` pairs
/// sorted by key; without case sensitivity the key shown is the first item's own.
fn groupby(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let attribute = args.get(0).cloned().unwrap_or_default();
    let case_sensitive = args.flag(2, false);
    // Ansible's lookups of a missing attribute fail before `default` could apply.
    let mut keyed = Vec::new();
    for item in items(value)? {
        let real = attr_path(&item, &attribute);
        if real.is_undefined() {
            return Err(undefined_attribute(&item, &attribute));
        }
        let key = case_key(real.clone(), case_sensitive);
        keyed.push((key, real, item));
    }
    sort_by_key(&mut keyed, |(k, _, _)| k, false)?;
    let mut groups: Vec<(Jinja, Jinja, Vec<Jinja>)> = Vec::new();
    for (key, real, item) in keyed {
        match groups.last_mut() {
            Some((k, _, list)) if eq(k, &key) => list.push(item),
            _ => groups.push((key, real, vec![item])),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(key, real, list)| {
            let shown = if case_sensitive { key } else { real };
            Jinja::from(vec![shown, Jinja::from(list)])
        })
        .collect())
}

/// `dict | dictsort(case_sensitive=false, by='key', reverse=false)`: `[key, value]` pairs
/// sorted by key or value.
fn dictsort(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    if !is_dict(value) {
        return Err(args.error(format!("expected a dict, got {}", type_name(value))));
    }
    let by_value = match args.get(1).map(Jinja::as_str) {
        None | Some(Some("key")) => false,
        Some(Some("value")) => true,
        Some(_) => return Err(args.error("you can only sort by either 'key' or 'value'")),
    };
    let case_sensitive = args.flag(0, false);
    let mut pairs = Vec::new();
    for key in items(value)? {
        let item = value.get_item(&key)?;
        let sort_on = if by_value { item.clone() } else { key.clone() };
        pairs.push((case_key(sort_on, case_sensitive), key, item));
    }
    sort_by_key(&mut pairs, |(k, _, _)| k, reverse_arg(args, 2)?)?;
    Ok(pairs
        .into_iter()
        .map(|(_, k, v)| Jinja::from(vec![k, v]))
        .collect())
}
