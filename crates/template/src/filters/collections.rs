//! Filters: collections — ansible.builtin's data filters (`combine`, `flatten`,
//! `dict2items`, `subelements`, …) and the Jinja2 built-ins whose minijinja versions differ
//! from Jinja2 as Ansible runs it (`default`, `batch`, `selectattr`). Sorting filters live in
//! `ordering.rs`, set theory in `sets.rs`, `random`/`shuffle` in `random.rs`.

use indexmap::IndexMap;
use minijinja::value::{Rest, Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Environment, Error, State};

use crate::args::{Bound, add_filter, sig};
use crate::convert::jinja_map;
use crate::python::{
    attr_path, eq, fail, getitem, is_dict, is_list, items, test, truthy, type_name,
    undefined_attribute,
};

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &DEFAULT, default);
    add_filter(env, &D, default);
    add_filter(env, &TERNARY, ternary);
    add_filter(env, &FLATTEN, flatten);
    add_filter(env, &COMBINE, combine);
    add_filter(env, &DICT2ITEMS, dict2items);
    add_filter(env, &ITEMS2DICT, items2dict);
    add_filter(env, &SUBELEMENTS, subelements);
    env.add_filter("extract", extract);
    add_filter(env, &ZIP_LONGEST, zip_longest);
    add_filter(env, &PRODUCT, product);
    add_filter(env, &BATCH, batch);
    env.add_filter("selectattr", selectattr);
    env.add_filter("rejectattr", rejectattr);
}

sig!(DEFAULT, "default", ["default_value=''", "boolean=False"]);
sig!(D, "d", ["default_value=''", "boolean=False"]);
sig!(
    TERNARY,
    "ternary",
    ["true_val", "false_val", "none_val=None"]
);
sig!(FLATTEN, "flatten", ["levels=None", "skip_nulls=True"]);
sig!(
    COMBINE,
    "combine",
    ["*dicts", "recursive=False", "list_merge='replace'"]
);
sig!(
    DICT2ITEMS,
    "dict2items",
    ["key_name='key'", "value_name='value'"]
);
sig!(
    ITEMS2DICT,
    "items2dict",
    ["key_name='key'", "value_name='value'"]
);
sig!(
    SUBELEMENTS,
    "subelements",
    ["subelements", "skip_missing=False"]
);
sig!(ZIP_LONGEST, "zip_longest", ["*iterables", "fillvalue=None"]);
sig!(PRODUCT, "product", ["*iterables", "repeat=1"]);
sig!(BATCH, "batch", ["linecount", "fill_with=None"]);

/// A dict2items/items2dict name argument `i`, `default` when not given or `None`.
fn name_arg(args: &Bound, i: usize, default: &str) -> Jinja {
    args.opt(i).cloned().unwrap_or_else(|| Jinja::from(default))
}

/// `value | default(default_value='', boolean=false)` (alias `d`): `default_value` when
/// `value` is undefined, or with `boolean=true` also when it is falsy.
fn default(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    // Ansible's `default(None)` gives the empty string.
    let fallback = args.opt(0).cloned().unwrap_or_else(|| Jinja::from(""));
    let boolean = match args.get(1) {
        None => false,
        Some(b) if b.kind() == JinjaKind::Bool => b.is_true(),
        Some(b) => {
            return Err(args.error(format!(
                "the 'boolean' argument must be a bool, not {}",
                type_name(b)
            )));
        }
    };
    if value.is_undefined() || (boolean && !value.is_true()) {
        return Ok(fallback);
    }
    Ok(value.clone())
}

/// `value | ternary(true_val, false_val, none_val=None)`: `none_val` for `None` (when
/// given), else `true_val` or `false_val` by the value's truth.
fn ternary(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    if value.is_none()
        && let Some(none) = args.opt(2)
    {
        return Ok(none.clone());
    }
    let chosen = if truthy(value)? {
        args.get(0)
    } else {
        args.get(1)
    };
    Ok(chosen.cloned().unwrap_or_default())
}

/// `list | flatten(levels=None, skip_nulls=true)`: nested lists spliced into one, `levels`
/// deep (all when `None`); `None`, `'None'` and `'null'` items dropped unless `skip_nulls`
/// is false.
fn flatten(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let levels = match args.opt(0) {
        None => None,
        Some(l) => Some(
            i64::try_from(l.clone())
                .map_err(|_| args.error(format!("levels must be an int, got {}", type_name(l))))?,
        ),
    };
    let skip_nulls = args.flag(1, true);
    Ok(Jinja::from(flatten_items(
        &items(value)?,
        levels,
        skip_nulls,
    )?))
}

/// Ansible's `flatten` on a list of items.
fn flatten_items(
    list: &[Jinja],
    levels: Option<i64>,
    skip_nulls: bool,
) -> Result<Vec<Jinja>, Error> {
    let mut out = Vec::new();
    for item in list {
        if skip_nulls && (item.is_none() || matches!(item.as_str(), Some("None" | "null"))) {
            continue;
        }
        match levels {
            _ if !is_list(item) => out.push(item.clone()),
            None => out.extend(flatten_items(&items(item)?, None, skip_nulls)?),
            Some(l) if l >= 1 => out.extend(flatten_items(&items(item)?, Some(l - 1), skip_nulls)?),
            Some(_) => out.push(item.clone()),
        }
    }
    Ok(out)
}

/// How `combine` merges two lists under the same key.
#[derive(Clone, Copy, PartialEq)]
enum ListMerge {
    Replace,
    Keep,
    Append,
    Prepend,
    AppendRp,
    PrependRp,
}

/// `dict | combine(dict, …, recursive=false, list_merge='replace')`: later dicts win; with
/// `recursive`, nested dicts merge too; `list_merge` says what happens to two lists.
fn combine(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let recursive = args.flag(1, false);
    let list_merge = match args.get(2).map(Jinja::as_str) {
        None | Some(Some("replace")) => ListMerge::Replace,
        Some(Some("keep")) => ListMerge::Keep,
        Some(Some("append")) => ListMerge::Append,
        Some(Some("prepend")) => ListMerge::Prepend,
        Some(Some("append_rp")) => ListMerge::AppendRp,
        Some(Some("prepend_rp")) => ListMerge::PrependRp,
        Some(_) => {
            return Err(args.error(
                "list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp",
            ));
        }
    };
    let mut terms = vec![value.clone()];
    terms.extend(args.rest.iter().cloned());
    let mut dicts = flatten_items(&terms, Some(1), true)?.into_iter().rev();
    let Some(mut result) = dicts.next() else {
        return Ok(jinja_map([]));
    };
    for dict in dicts {
        result = merge(&dict, &result, recursive, list_merge)?;
    }
    Ok(result)
}

/// Ansible's `merge_hash(x, y)`: `y`'s keys over a copy of `x`'s.
fn merge(x: &Jinja, y: &Jinja, recursive: bool, list_merge: ListMerge) -> Result<Jinja, Error> {
    if !is_dict(x) || !is_dict(y) {
        return Err(COMBINE.error(format!(
            "expected dicts, got {} and {}",
            type_name(x),
            type_name(y)
        )));
    }
    let entries = |d: &Jinja| -> Result<IndexMap<Jinja, Jinja>, Error> {
        items(d)?
            .into_iter()
            .map(|k| d.get_item(&k).map(|v| (k, v)))
            .collect()
    };
    let mut out = entries(x)?;
    for (key, y_value) in entries(y)? {
        let merged = match out.get(&key) {
            Some(x_value) if is_dict(x_value) && is_dict(&y_value) && recursive => {
                merge(x_value, &y_value, recursive, list_merge)?
            }
            Some(x_value) if is_list(x_value) && is_list(&y_value) => {
                let (old, new) = (items(x_value)?, items(&y_value)?);
                let kept = || {
                    old.iter()
                        .filter(|v| !new.iter().any(|n| eq(n, v)))
                        .cloned()
                };
                match list_merge {
                    ListMerge::Replace => y_value,
                    ListMerge::Keep => x_value.clone(),
                    ListMerge::Append => Jinja::from([old.clone(), new].concat()),
                    ListMerge::Prepend => Jinja::from([new, old.clone()].concat()),
                    ListMerge::AppendRp => {
                        Jinja::from(kept().chain(new.clone()).collect::<Vec<_>>())
                    }
                    ListMerge::PrependRp => {
                        Jinja::from(new.iter().cloned().chain(kept()).collect::<Vec<_>>())
                    }
                }
            }
            _ => y_value,
        };
        out.insert(key, merged);
    }
    Ok(jinja_map(out))
}

/// `dict | dict2items(key_name='key', value_name='value')`: one `{key, value}` dict per entry.
fn dict2items(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    if !is_dict(value) {
        return Err(args.error(format!("expected a dict, got {}", type_name(value))));
    }
    let (k, v) = (name_arg(args, 0, "key"), name_arg(args, 1, "value"));
    items(value)?
        .into_iter()
        .map(|key| {
            let item = value.get_item(&key)?;
            Ok(jinja_map([(k.clone(), key), (v.clone(), item)]))
        })
        .collect()
}

/// `list | items2dict(key_name='key', value_name='value')`: the reverse of `dict2items`.
fn items2dict(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    if !is_list(value) {
        return Err(args.error(format!("expected a list, got {}", type_name(value))));
    }
    let (k, v) = (name_arg(args, 0, "key"), name_arg(args, 1, "value"));
    let mut out = IndexMap::new();
    for item in items(value)? {
        let (key, val) = if is_dict(&item) {
            (item.get_item(&k)?, item.get_item(&v)?)
        } else {
            (Jinja::UNDEFINED, Jinja::UNDEFINED)
        };
        if key.is_undefined() || val.is_undefined() {
            return Err(args.error(format!(
                "every item must be a dict with the keys {k} and {v}, got {item}"
            )));
        }
        out.insert(key, val);
    }
    Ok(jinja_map(out))
}

/// `list | subelements('key.path', skip_missing=false)`: `[item, sub]` for every `sub` of
/// the list found at the path in each item (a dict's values count as its items).
fn subelements(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let elements = if is_dict(value) {
        items(value)?
            .iter()
            .map(|k| value.get_item(k))
            .collect::<Result<Vec<_>, _>>()?
    } else if is_list(value) {
        items(value)?
    } else {
        return Err(args.error(format!(
            "expected a list of dicts or a dict, got {}",
            type_name(value)
        )));
    };
    let keys: Vec<Jinja> = match args.get(0) {
        Some(p) if is_list(p) => items(p)?,
        Some(p) if p.as_str().is_some() => p
            .as_str()
            .unwrap_or_default()
            .split('.')
            .map(Jinja::from)
            .collect(),
        other => {
            return Err(args.error(format!(
                "the path must be a string or a list, got {}",
                other.map_or("nothing", type_name)
            )));
        }
    };
    let skip_missing = args.flag(1, false);
    let mut out = Vec::new();
    for element in elements {
        let mut values = element.clone();
        for key in &keys {
            if !is_dict(&values) {
                return Err(fail(format!(
                    "subelements: the key {key} should point to a dictionary, got {values}"
                )));
            }
            let found = values.get_item(key)?;
            if found.is_undefined() {
                if !skip_missing {
                    return Err(fail(format!(
                        "subelements: could not find {key} key in iterated item {values}"
                    )));
                }
                values = Jinja::from(Vec::<Jinja>::new());
                break;
            }
            values = found;
        }
        if !is_list(&values) {
            return Err(fail(format!(
                "subelements: the key {} should point to a list, got {values}",
                keys.last().cloned().unwrap_or_default()
            )));
        }
        for sub in items(&values)? {
            out.push(Jinja::from(vec![element.clone(), sub]));
        }
    }
    Ok(Jinja::from(out))
}

/// `key | extract(container, morekeys=None)`: `container[key]`, then each of `morekeys`
/// (a list, or one key) in turn; used as `keys | map('extract', container)`.
fn extract(item: Jinja, container: Jinja, morekeys: Option<Jinja>) -> Jinja {
    let mut keys = vec![item];
    match morekeys {
        Some(more) if is_list(&more) => keys.extend(more.try_iter().into_iter().flatten()),
        Some(more) if !more.is_none() => keys.push(more),
        _ => {}
    }
    keys.iter()
        .fold(container, |value, key| getitem(&value, key))
}

/// The iterables of a variadic filter (`zip_longest`, `product`): the value and the arguments.
fn iterables(value: &Jinja, others: &[Jinja]) -> Result<Vec<Vec<Jinja>>, Error> {
    std::iter::once(value).chain(others).map(items).collect()
}

/// `list | zip_longest(other, …, fillvalue=None)`: items side by side, shorter lists padded.
fn zip_longest(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let lists = iterables(value, &args.rest)?;
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    let fill = args.get(1).cloned().unwrap_or_else(|| Jinja::from(()));
    Ok((0..len)
        .map(|i| {
            lists
                .iter()
                .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                .collect::<Jinja>()
        })
        .collect())
}

/// `list | product(other, …, repeat=1)`: the cartesian product, as `itertools.product`.
fn product(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let repeat = match args.opt(1) {
        None => 1,
        Some(r) => i64::try_from(r.clone())
            .ok()
            .and_then(|r| usize::try_from(r).ok())
            .ok_or_else(|| args.error("repeat must be a non-negative int"))?,
    };
    let base = iterables(value, &args.rest)?;
    let mut out: Vec<Vec<Jinja>> = vec![Vec::new()];
    for pool in (0..repeat).flat_map(|_| base.iter()) {
        out = out
            .iter()
            .flat_map(|prefix| {
                pool.iter().map(move |item| {
                    let mut next = prefix.clone();
                    next.push(item.clone());
                    next
                })
            })
            .collect();
    }
    Ok(out.into_iter().map(Jinja::from).collect())
}

/// `list | batch(linecount, fill_with=None)`: lists of `linecount` items, the last one
/// padded with `fill_with` when given (Jinja2's loop, `batch(0)` included).
fn batch(value: &Jinja, args: &Bound) -> Result<Jinja, Error> {
    let count = args
        .get(0)
        .and_then(|c| i64::try_from(c.clone()).ok())
        .ok_or_else(|| args.error("linecount must be an int"))?;
    let fill_with = args.opt(1);
    let mut out = Vec::new();
    let mut current: Vec<Jinja> = Vec::new();
    for item in items(value)? {
        if current.len() as i64 == count {
            out.push(Jinja::from(std::mem::take(&mut current)));
        }
        current.push(item);
    }
    if !current.is_empty() {
        if let Some(fill) = fill_with {
            while (current.len() as i64) < count {
                current.push(fill.clone());
            }
        }
        out.push(Jinja::from(current));
    }
    Ok(Jinja::from(out))
}

/// `selectattr`/`rejectattr`: items whose (dotted) attribute passes the test (truth when no
/// test is named; an undefined attribute is then an error, as in Ansible).
fn filter_by_attr(
    state: &mut State,
    value: &Jinja,
    attribute: &Jinja,
    args: &[Jinja],
    keep: bool,
) -> Result<Jinja, Error> {
    let mut out = Vec::new();
    for item in items(value)? {
        let attr = attr_path(&item, attribute);
        let passed = match args.split_first() {
            None if attr.is_undefined() => return Err(undefined_attribute(&item, attribute)),
            None => attr.is_true(),
            Some((name, rest)) => {
                let name = name.as_str().ok_or_else(|| {
                    fail(format!(
                        "selectattr: the test name must be a string, got {}",
                        type_name(name)
                    ))
                })?;
                test(state, name, &attr, rest)?
            }
        };
        if passed == keep {
            out.push(item);
        }
    }
    Ok(Jinja::from(out))
}

/// `list | selectattr(attribute, test=None, *args)`: items whose attribute passes the test.
fn selectattr(
    state: &mut State,
    value: Jinja,
    attribute: Jinja,
    args: Rest<Jinja>,
) -> Result<Jinja, Error> {
    filter_by_attr(state, &value, &attribute, &args, true)
}

/// `list | rejectattr(attribute, test=None, *args)`: items whose attribute fails the test.
fn rejectattr(
    state: &mut State,
    value: Jinja,
    attribute: Jinja,
    args: Rest<Jinja>,
) -> Result<Jinja, Error> {
    filter_by_attr(state, &value, &attribute, &args, false)
}
