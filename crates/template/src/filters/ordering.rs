//! Filters that order values with Python's comparisons: `sort`, `min`, `max`, `groupby` and
//! `dictsort`, as Jinja2 defines them (case-insensitive by default, dotted attributes).

use minijinja::value::{Kwargs, Rest, Value as Jinja};
use minijinja::{Environment, Error};

use super::python::{
    attr_path, bind, cmp, eq, flag, fold_case, given, is_dict, items, sort_by_key, type_name,
    undefined_attribute, usage,
};

/// Registers the ordering filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("sort", sort);
    env.add_filter("min", min);
    env.add_filter("max", max);
    env.add_filter("groupby", groupby);
    env.add_filter("dictsort", dictsort);
}

/// `sorted`'s `reverse`: a bool or an int, as Python insists.
fn reverse_arg(filter: &str, usage_text: &str, value: &Option<Jinja>) -> Result<bool, Error> {
    match value {
        None => Ok(false),
        Some(v) if v.kind() == minijinja::value::ValueKind::Bool || v.is_integer() => {
            Ok(v.is_true())
        }
        Some(v) => Err(usage(
            filter,
            format!("reverse must be a bool, got {}", type_name(v)),
            usage_text,
        )),
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
        .map(|v| if case_sensitive { v } else { fold_case(v) })
        .collect()
}

const SORT_USAGE: &str = "sort(reverse=false, case_sensitive=false, attribute=None)";

/// `list | sort(reverse=false, case_sensitive=false, attribute=None)`: Python's stable sort,
/// by (comma-separated, dotted) attributes when given; strings ignore case unless asked.
fn sort(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [reverse, case_sensitive, attribute] = <[_; 3]>::try_from(bind(
        "sort",
        SORT_USAGE,
        &["reverse", "case_sensitive", "attribute"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let case_sensitive = flag(&case_sensitive);
    let mut keyed: Vec<(Jinja, Jinja)> = items(&value)?
        .into_iter()
        .map(|item| (sort_key(&item, given(&attribute), case_sensitive), item))
        .collect();
    let reverse = reverse_arg("sort", SORT_USAGE, &reverse)?;
    sort_by_key(&mut keyed, |(k, _)| k, reverse)?;
    Ok(keyed.into_iter().map(|(_, item)| item).collect())
}

/// `min`/`max`: the first smallest (or greatest) item by Python's ordering.
fn extreme(
    name: &str,
    value: &Jinja,
    args: &[Jinja],
    kwargs: &Kwargs,
    wanted: std::cmp::Ordering,
) -> Result<Jinja, Error> {
    let usage_text = if wanted == std::cmp::Ordering::Less {
        "min(case_sensitive=false, attribute=None)"
    } else {
        "max(case_sensitive=false, attribute=None)"
    };
    let [case_sensitive, attribute] = <[_; 2]>::try_from(bind(
        name,
        usage_text,
        &["case_sensitive", "attribute"],
        args,
        kwargs,
    )?)
    .unwrap_or_default();
    let case_sensitive = flag(&case_sensitive);
    let key = |item: &Jinja| {
        let v = match given(&attribute) {
            Some(a) => attr_path(item, a),
            None => item.clone(),
        };
        if case_sensitive { v } else { fold_case(v) }
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

/// `list | min(case_sensitive=false, attribute=None)`: the smallest item.
fn min(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    extreme("min", &value, &args, &kwargs, std::cmp::Ordering::Less)
}

/// `list | max(case_sensitive=false, attribute=None)`: the greatest item.
fn max(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    extreme("max", &value, &args, &kwargs, std::cmp::Ordering::Greater)
}

const GROUPBY_USAGE: &str = "groupby(attribute, default=None, case_sensitive=false)";

/// `list | groupby(attribute, default=None, case_sensitive=false)`: `[key, items]` pairs
/// sorted by key; without case sensitivity the key shown is the first item's own.
fn groupby(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [attribute, _default, case_sensitive] = <[_; 3]>::try_from(bind(
        "groupby",
        GROUPBY_USAGE,
        &["attribute", "default", "case_sensitive"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let Some(attribute) = attribute else {
        return Err(usage("groupby", "an attribute is required", GROUPBY_USAGE));
    };
    let case_sensitive = flag(&case_sensitive);
    // Ansible's lookups of a missing attribute fail before `default` could apply.
    let mut keyed = Vec::new();
    for item in items(&value)? {
        let real = attr_path(&item, &attribute);
        if real.is_undefined() {
            return Err(undefined_attribute(&item, &attribute));
        }
        let key = if case_sensitive {
            real.clone()
        } else {
            fold_case(real.clone())
        };
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

const DICTSORT_USAGE: &str = "dictsort(case_sensitive=false, by='key'|'value', reverse=false)";

/// `dict | dictsort(case_sensitive=false, by='key', reverse=false)`: `[key, value]` pairs
/// sorted by key or value.
fn dictsort(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [case_sensitive, by, reverse] = <[_; 3]>::try_from(bind(
        "dictsort",
        DICTSORT_USAGE,
        &["case_sensitive", "by", "reverse"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    if !is_dict(&value) {
        return Err(usage(
            "dictsort",
            format!("expected a dict, got {}", type_name(&value)),
            DICTSORT_USAGE,
        ));
    }
    let by_value = match by.as_ref().map(|b| b.as_str()) {
        None | Some(Some("key")) => false,
        Some(Some("value")) => true,
        Some(_) => {
            return Err(usage(
                "dictsort",
                "you can only sort by either 'key' or 'value'",
                DICTSORT_USAGE,
            ));
        }
    };
    let case_sensitive = flag(&case_sensitive);
    let mut pairs = Vec::new();
    for key in items(&value)? {
        let item = value.get_item(&key)?;
        let sort_on = if by_value { item.clone() } else { key.clone() };
        let sort_on = if case_sensitive {
            sort_on
        } else {
            fold_case(sort_on)
        };
        pairs.push((sort_on, key, item));
    }
    let reverse = reverse_arg("dictsort", DICTSORT_USAGE, &reverse)?;
    sort_by_key(&mut pairs, |(k, _, _)| k, reverse)?;
    Ok(pairs
        .into_iter()
        .map(|(_, k, v)| Jinja::from(vec![k, v]))
        .collect())
}
