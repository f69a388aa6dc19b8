//! Filters: collections — ansible.builtin's data filters (`combine`, `flatten`,
//! `dict2items`, `subelements`, …) and the Jinja2 built-ins whose minijinja versions differ
//! from Jinja2 as Ansible runs it (`default`, `batch`, `selectattr`). Sorting filters live in
//! `ordering.rs`, set theory in `sets.rs`, `random`/`shuffle` in `random.rs`.

use indexmap::IndexMap;
use minijinja::value::{Kwargs, Rest, Value as Jinja};
use minijinja::{Environment, Error, State};

use super::python::{
    attr_path, bind, eq, fail, flag, given, is_dict, is_list, items, test, truthy, type_name,
    undefined_attribute, usage,
};
use crate::convert::jinja_map;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("ternary", ternary);
    env.add_filter("flatten", flatten);
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("subelements", subelements);
    env.add_filter("extract", extract);
    env.add_filter("zip_longest", zip_longest);
    env.add_filter("product", product);
    env.add_filter("batch", batch);
    env.add_filter("selectattr", selectattr);
    env.add_filter("rejectattr", rejectattr);
    super::ordering::register(env);
    super::sets::register(env);
    super::random::register(env);
}

/// A dict2items/items2dict name argument, `default` when missing.
fn name_arg(value: &Option<Jinja>, default: &str) -> Jinja {
    given(value)
        .cloned()
        .unwrap_or_else(|| Jinja::from(default))
}

const DEFAULT_USAGE: &str = "default(default_value='', boolean=false)";

/// `value | default(default_value='', boolean=false)` (alias `d`): `default_value` when
/// `value` is undefined, or with `boolean=true` also when it is falsy.
fn default(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [fallback, boolean] = <[_; 2]>::try_from(bind(
        "default",
        DEFAULT_USAGE,
        &["default_value", "boolean"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let fallback = fallback.unwrap_or_else(|| Jinja::from(""));
    let boolean = match &boolean {
        None => false,
        Some(b) if b.kind() == minijinja::value::ValueKind::Bool => b.is_true(),
        Some(b) => {
            return Err(usage(
                "default",
                format!(
                    "the 'boolean' argument must be a bool, not {}",
                    type_name(b)
                ),
                DEFAULT_USAGE,
            ));
        }
    };
    if value.is_undefined() || (boolean && !value.is_true()) {
        return Ok(fallback);
    }
    Ok(value)
}

const TERNARY_USAGE: &str = "ternary(true_val, false_val, none_val=None)";

/// `value | ternary(true_val, false_val, none_val=None)`: `none_val` for `None` (when
/// given), else `true_val` or `false_val` by the value's truth.
fn ternary(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [yes, no, none] = <[_; 3]>::try_from(bind(
        "ternary",
        TERNARY_USAGE,
        &["true_val", "false_val", "none_val"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let (Some(yes), Some(no)) = (yes, no) else {
        return Err(usage(
            "ternary",
            "true_val and false_val are required",
            TERNARY_USAGE,
        ));
    };
    if value.is_none()
        && let Some(none) = given(&none)
    {
        return Ok(none.clone());
    }
    Ok(if truthy(&value)? { yes } else { no })
}

const FLATTEN_USAGE: &str = "flatten(levels=None, skip_nulls=true)";

/// `list | flatten(levels=None, skip_nulls=true)`: nested lists spliced into one, `levels`
/// deep (all when `None`); `None`, `'None'` and `'null'` items dropped unless `skip_nulls`
/// is false.
fn flatten(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [levels, skip_nulls] = <[_; 2]>::try_from(bind(
        "flatten",
        FLATTEN_USAGE,
        &["levels", "skip_nulls"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let levels = match given(&levels) {
        None => None,
        Some(l) => Some(i64::try_from(l.clone()).map_err(|_| {
            usage(
                "flatten",
                format!("levels must be an int, got {}", type_name(l)),
                FLATTEN_USAGE,
            )
        })?),
    };
    let skip_nulls = skip_nulls.is_none_or(|s| s.is_true());
    Ok(Jinja::from(flatten_items(
        &items(&value)?,
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

const COMBINE_USAGE: &str = "combine(dict, …, recursive=false, list_merge='replace'|'keep'|'append'|'prepend'|'append_rp'|'prepend_rp')";

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
fn combine(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let recursive = kwargs.get::<Option<Jinja>>("recursive")?;
    let list_merge = kwargs.get::<Option<Jinja>>("list_merge")?;
    if kwargs.args().any(|k| k != "recursive" && k != "list_merge") {
        return Err(usage(
            "combine",
            "'recursive' and 'list_merge' are the only valid keyword arguments",
            COMBINE_USAGE,
        ));
    }
    kwargs.assert_all_used()?;
    let recursive = flag(&recursive);
    let list_merge = match list_merge.as_ref().map(|m| m.as_str()) {
        None => ListMerge::Replace,
        Some(Some("replace")) => ListMerge::Replace,
        Some(Some("keep")) => ListMerge::Keep,
        Some(Some("append")) => ListMerge::Append,
        Some(Some("prepend")) => ListMerge::Prepend,
        Some(Some("append_rp")) => ListMerge::AppendRp,
        Some(Some("prepend_rp")) => ListMerge::PrependRp,
        Some(_) => {
            return Err(usage(
                "combine",
                "list_merge must be one of the listed modes",
                COMBINE_USAGE,
            ));
        }
    };
    let mut terms = vec![value];
    terms.extend(args.iter().cloned());
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
        return Err(usage(
            "combine",
            format!("expected dicts, got {} and {}", type_name(x), type_name(y)),
            COMBINE_USAGE,
        ));
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

const DICT2ITEMS_USAGE: &str = "dict2items(key_name='key', value_name='value')";

/// `dict | dict2items(key_name='key', value_name='value')`: one `{key, value}` dict per entry.
fn dict2items(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [key_name, value_name] = <[_; 2]>::try_from(bind(
        "dict2items",
        DICT2ITEMS_USAGE,
        &["key_name", "value_name"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    if !is_dict(&value) {
        return Err(usage(
            "dict2items",
            format!("expected a dict, got {}", type_name(&value)),
            DICT2ITEMS_USAGE,
        ));
    }
    let (k, v) = (name_arg(&key_name, "key"), name_arg(&value_name, "value"));
    items(&value)?
        .into_iter()
        .map(|key| {
            let item = value.get_item(&key)?;
            Ok(jinja_map([(k.clone(), key), (v.clone(), item)]))
        })
        .collect()
}

const ITEMS2DICT_USAGE: &str = "items2dict(key_name='key', value_name='value')";

/// `list | items2dict(key_name='key', value_name='value')`: the reverse of `dict2items`.
fn items2dict(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [key_name, value_name] = <[_; 2]>::try_from(bind(
        "items2dict",
        ITEMS2DICT_USAGE,
        &["key_name", "value_name"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    if !is_list(&value) {
        return Err(usage(
            "items2dict",
            format!("expected a list, got {}", type_name(&value)),
            ITEMS2DICT_USAGE,
        ));
    }
    let (k, v) = (name_arg(&key_name, "key"), name_arg(&value_name, "value"));
    let mut out = IndexMap::new();
    for item in items(&value)? {
        let (key, val) = if is_dict(&item) {
            (item.get_item(&k)?, item.get_item(&v)?)
        } else {
            (Jinja::UNDEFINED, Jinja::UNDEFINED)
        };
        if key.is_undefined() || val.is_undefined() {
            return Err(usage(
                "items2dict",
                format!("every item must be a dict with the keys {k} and {v}, got {item}"),
                ITEMS2DICT_USAGE,
            ));
        }
        out.insert(key, val);
    }
    Ok(jinja_map(out))
}

const SUBELEMENTS_USAGE: &str = "subelements('key.path' or [keys], skip_missing=false)";

/// `list | subelements('key.path', skip_missing=false)`: `[item, sub]` for every `sub` of
/// the list found at the path in each item (a dict's values count as its items).
fn subelements(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [path, skip_missing] = <[_; 2]>::try_from(bind(
        "subelements",
        SUBELEMENTS_USAGE,
        &["subelements", "skip_missing"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let elements = if is_dict(&value) {
        items(&value)?
            .iter()
            .map(|k| value.get_item(k))
            .collect::<Result<Vec<_>, _>>()?
    } else if is_list(&value) {
        items(&value)?
    } else {
        return Err(usage(
            "subelements",
            format!(
                "expected a list of dicts or a dict, got {}",
                type_name(&value)
            ),
            SUBELEMENTS_USAGE,
        ));
    };
    let keys: Vec<Jinja> = match path.as_ref() {
        Some(p) if is_list(p) => items(p)?,
        Some(p) if p.as_str().is_some() => p
            .as_str()
            .unwrap_or_default()
            .split('.')
            .map(Jinja::from)
            .collect(),
        other => {
            return Err(usage(
                "subelements",
                format!(
                    "the path must be a string or a list, got {}",
                    other.map_or("nothing", type_name)
                ),
                SUBELEMENTS_USAGE,
            ));
        }
    };
    let skip_missing = flag(&skip_missing);
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
        .fold(container, |value, key| super::python::getitem(&value, key))
}

/// The iterables of a variadic filter (`zip_longest`, `product`): the value and the arguments.
fn iterables(value: &Jinja, others: &[Jinja]) -> Result<Vec<Vec<Jinja>>, Error> {
    std::iter::once(value).chain(others).map(items).collect()
}

/// `list | zip_longest(other, …, fillvalue=None)`: items side by side, shorter lists padded.
fn zip_longest(value: Jinja, others: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let fill: Option<Jinja> = kwargs.get("fillvalue")?;
    kwargs.assert_all_used()?;
    let lists = iterables(&value, &others)?;
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    let fill = fill.unwrap_or_else(|| Jinja::from(()));
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
fn product(value: Jinja, others: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let repeat: Option<i64> = kwargs.get("repeat")?;
    kwargs.assert_all_used()?;
    let repeat = usize::try_from(repeat.unwrap_or(1)).map_err(|_| {
        usage(
            "product",
            "repeat must be a non-negative int",
            "product(list, …, repeat=1)",
        )
    })?;
    let base = iterables(&value, &others)?;
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

const BATCH_USAGE: &str = "batch(linecount, fill_with=None)";

/// `list | batch(linecount, fill_with=None)`: lists of `linecount` items, the last one
/// padded with `fill_with` when given (Jinja2's loop, `batch(0)` included).
fn batch(value: Jinja, args: Rest<Jinja>, kwargs: Kwargs) -> Result<Jinja, Error> {
    let [count, fill_with] = <[_; 2]>::try_from(bind(
        "batch",
        BATCH_USAGE,
        &["linecount", "fill_with"],
        &args,
        &kwargs,
    )?)
    .unwrap_or_default();
    let count = count
        .as_ref()
        .and_then(|c| i64::try_from(c.clone()).ok())
        .ok_or_else(|| usage("batch", "linecount must be an int", BATCH_USAGE))?;
    let mut out = Vec::new();
    let mut current: Vec<Jinja> = Vec::new();
    for item in items(&value)? {
        if current.len() as i64 == count {
            out.push(Jinja::from(std::mem::take(&mut current)));
        }
        current.push(item);
    }
    if !current.is_empty() {
        if let Some(fill) = fill_with.filter(|f| !f.is_none()) {
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
                    usage(
                        "selectattr",
                        format!("the test name must be a string, got {}", type_name(name)),
                        "selectattr(attribute, test=None, *args)",
                    )
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
