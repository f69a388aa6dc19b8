//! Jinja tests (`x is defined`, `x is version('2', '>=')`, `r is changed`): Jinja2's and
//! ansible.builtin's, registered on the templar's environment.
//!
//! minijinja's built-in tests stay where they mean what Jinja2's do; the ones whose Python
//! semantics differ (`sequence`, `lower`, `upper`, `odd`, `even`) are replaced here.

use std::cmp::Ordering;
use std::path::Path;

use minijinja::value::{Value as Jinja, ValueKind as JinjaKind};
use minijinja::{Environment, Error};

use crate::args::{Bound, add_test, sig};
use crate::convert::py_str;
use crate::filters::regex::compile;
use crate::python::{fail, getitem};
use oxible_pyre::Anchor;

/// Registers every test oxible provides beside minijinja's built-ins.
pub(crate) fn register(env: &mut Environment<'static>) {
    // Jinja2's own tests, where minijinja differs from Python.
    env.add_test("sequence", |v: &Jinja| {
        matches!(
            v.kind(),
            JinjaKind::Seq | JinjaKind::Map | JinjaKind::String
        )
    });
    env.add_test("iterable", |v: &Jinja| {
        matches!(
            v.kind(),
            JinjaKind::Seq | JinjaKind::Map | JinjaKind::String | JinjaKind::Iterable
        )
    });
    env.add_test("lower", |v: &Jinja| case_test(v, char::is_lowercase));
    env.add_test("upper", |v: &Jinja| case_test(v, char::is_uppercase));
    env.add_test("odd", |v: &Jinja| parity("odd", v));
    env.add_test("even", |v: &Jinja| parity("even", v).map(|odd| !odd));
    // ansible.builtin core tests.
    add_test(env, &TRUTHY, |v, args| Ok(truthy(v, args)));
    add_test(env, &FALSY, |v, args| Ok(!truthy(v, args)));
    add_test(env, &MATCH, |v, args| regex(Some(Anchor::Match), v, args));
    add_test(env, &SEARCH, |v, args| regex(Some(Anchor::Search), v, args));
    add_test(env, &REGEX, |v, args| regex(None, v, args));
    add_test(env, &VERSION, version_compare);
    add_test(env, &VERSION_COMPARE, version_compare);
    for (name, flip) in [
        ("subset", false),
        ("issubset", false),
        ("superset", true),
        ("issuperset", true),
    ] {
        env.add_test(name, move |a: &Jinja, b: &Jinja| {
            let (small, big) = if flip { (b, a) } else { (a, b) };
            subset(name, small, big)
        });
    }
    env.add_test("contains", |seq: &Jinja, v: &Jinja| contains(seq, v));
    env.add_test("any", |v: &Jinja| {
        iterate("any", v).map(|mut i| i.any(|x| x.is_true()))
    });
    env.add_test("all", |v: &Jinja| {
        iterate("all", v).map(|mut i| i.all(|x| x.is_true()))
    });
    for name in ["nan", "isnan"] {
        env.add_test(name, |v: &Jinja| {
            v.kind() == JinjaKind::Number && f64::try_from(v.clone()).is_ok_and(f64::is_nan)
        });
    }
    register_result_tests(env);
    register_path_tests(env);
}

sig!(TRUTHY, "truthy", ["convert_bool=False"]);
sig!(FALSY, "falsy", ["convert_bool=False"]);
sig!(
    MATCH,
    "match",
    ["pattern", "ignorecase=False", "multiline=False"]
);
sig!(
    SEARCH,
    "search",
    ["pattern", "ignorecase=False", "multiline=False"]
);
sig!(
    REGEX,
    "regex",
    [
        "pattern",
        "ignorecase=False",
        "multiline=False",
        "match_type='search'"
    ]
);
sig!(
    VERSION,
    "version",
    [
        "version",
        "operator='eq'",
        "strict=None",
        "version_type=None"
    ]
);
sig!(
    VERSION_COMPARE,
    "version_compare",
    [
        "version",
        "operator='eq'",
        "strict=None",
        "version_type=None"
    ]
);

/// The tests on registered task results, each reading the keys Ansible's do.
fn register_result_tests(env: &mut Environment<'static>) {
    type Check = fn(&Jinja) -> Result<bool, Error>;
    let tests: [(&[&'static str], &'static str, Check); 8] = [
        (&["failed", "failure"], "failed", |r| flag(r, "failed")),
        (&["succeeded", "success", "successful"], "failed", |r| {
            flag(r, "failed").map(|f| !f)
        }),
        (&["unreachable"], "unreachable", |r| flag(r, "unreachable")),
        (&["reachable"], "unreachable", |r| {
            flag(r, "unreachable").map(|f| !f)
        }),
        (&["skipped", "skip"], "skipped", |r| flag(r, "skipped")),
        (&["changed", "change"], "changed", changed),
        (&["started"], "started", |r| flag_or_true(r, "started")),
        (&["finished"], "finished", |r| flag_or_true(r, "finished")),
    ];
    for (names, label, check) in tests {
        for name in names {
            env.add_test(*name, move |r: &Jinja| {
                if r.kind() != JinjaKind::Map {
                    return Err(fail(format!("The '{label}' test expects a dictionary")));
                }
                check(r)
            });
        }
    }
    env.add_test("timedout", |r: &Jinja| {
        if r.kind() != JinjaKind::Map {
            return Err(fail("The 'timedout' test expects a dictionary"));
        }
        let timedout = get(r, "timedout");
        Ok(timedout.is_true() && get(&timedout, "period").is_true())
    });
}

/// `result[key]`, or none when the result has no such key.
fn get(result: &Jinja, key: &str) -> Jinja {
    item(result, &Jinja::from(key)).unwrap_or(Jinja::from(()))
}

/// `container[key]` when it has that key or index.
fn item(container: &Jinja, key: &Jinja) -> Option<Jinja> {
    Some(getitem(container, key)).filter(|v| !v.is_undefined())
}

/// `bool(result.get(key))`.
fn flag(result: &Jinja, key: &str) -> Result<bool, Error> {
    Ok(get(result, key).is_true())
}

/// `bool(result[key])` when present, else true (a task that is not async).
fn flag_or_true(result: &Jinja, key: &str) -> Result<bool, Error> {
    Ok(item(result, &Jinja::from(key)).is_none_or(|v| v.is_true()))
}

/// Ansible's `changed`: the `changed` key, else any changed item of a loop's `results`.
fn changed(result: &Jinja) -> Result<bool, Error> {
    if let Some(value) = item(result, &Jinja::from("changed")) {
        return Ok(value.is_true());
    }
    let results = get(result, "results");
    if results.kind() != JinjaKind::Seq {
        return Ok(false);
    }
    let first = item(&results, &Jinja::from(0))
        .ok_or_else(|| fail("The 'changed' test found an empty 'results' list"))?;
    if first.kind() != JinjaKind::Map {
        return Ok(false);
    }
    Ok(results
        .try_iter()?
        .any(|item| get(&item, "changed").is_true()))
}

/// The controller-side path tests (os.path's).
fn register_path_tests(env: &mut Environment<'static>) {
    type Check = fn(&Path) -> bool;
    let tests: [(&[&'static str], Check); 6] = [
        (&["abs", "is_abs"], Path::is_absolute),
        (&["directory", "is_dir"], Path::is_dir),
        (&["file", "is_file"], Path::is_file),
        (&["link", "is_link"], Path::is_symlink),
        (&["exists"], Path::exists),
        (&["link_exists"], |p| p.symlink_metadata().is_ok()),
    ];
    for (names, check) in tests {
        for name in names {
            env.add_test(*name, move |v: &Jinja| {
                Ok(check(Path::new(path_arg(name, v)?)))
            });
        }
    }
    for name in ["same_file", "is_same_file"] {
        env.add_test(name, move |a: &Jinja, b: &Jinja| {
            let meta = |v: &Jinja| {
                std::fs::metadata(path_arg(name, v)?).map_err(|e| fail(format!("{e}: {v}")))
            };
            use std::os::unix::fs::MetadataExt;
            let (a, b) = (meta(a)?, meta(b)?);
            Ok(a.dev() == b.dev() && a.ino() == b.ino())
        });
    }
    for name in ["mount", "is_mount"] {
        env.add_test(name, move |v: &Jinja| {
            let path = Path::new(path_arg(name, v)?);
            use std::os::unix::fs::MetadataExt;
            let (Ok(own), Some(Ok(parent))) = (
                path.symlink_metadata(),
                path.join("..").canonicalize().ok().map(std::fs::metadata),
            ) else {
                return Ok(false);
            };
            Ok(!own.is_symlink() && (own.dev() != parent.dev() || own.ino() == parent.ino()))
        });
    }
}

/// A path test's argument, which must be a string.
fn path_arg<'a>(test: &str, value: &'a Jinja) -> Result<&'a str, Error> {
    value.as_str().ok_or_else(|| {
        fail(format!(
            "the '{test}' test expects a path string, got {}",
            value.kind()
        ))
    })
}

/// Python's `str(value).islower()` / `isupper()`: some cased character, and every cased
/// character in the asked case.
fn case_test(value: &Jinja, wanted: fn(char) -> bool) -> bool {
    let text = py_str(value).unwrap_or_default();
    let cased = |c: &char| c.is_lowercase() || c.is_uppercase();
    text.chars().any(|c| cased(&c)) && text.chars().filter(cased).all(wanted)
}

/// Jinja2's `odd`/`even`: `value % 2`, which only numbers support.
fn parity(test: &str, value: &Jinja) -> Result<bool, Error> {
    if !matches!(value.kind(), JinjaKind::Number | JinjaKind::Bool) {
        return Err(fail(format!(
            "the '{test}' test expects a number, got {}",
            value.kind()
        )));
    }
    if value.kind() == JinjaKind::Bool {
        return Ok(value.is_true());
    }
    if let Ok(i) = i128::try_from(value.clone()) {
        return Ok(i.rem_euclid(2) == 1);
    }
    let f = f64::try_from(value.clone())?;
    Ok(f.rem_euclid(2.0) == 1.0)
}

/// Ansible's `truthy(value, convert_bool=False)`.
fn truthy(value: &Jinja, args: &Bound) -> bool {
    if args.flag(0, false)
        && let Some(b) = convert_bool(value)
    {
        return b;
    }
    value.is_true()
}

/// Ansible's strict `boolean()`: the boolean a yes/no-like value means, if it is one.
fn convert_bool(value: &Jinja) -> Option<bool> {
    match value.kind() {
        JinjaKind::Bool => Some(value.is_true()),
        JinjaKind::Number => match f64::try_from(value.clone()).ok()? {
            1.0 => Some(true),
            0.0 => Some(false),
            _ => None,
        },
        JinjaKind::String => match value.as_str()?.trim().to_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Ansible's `regex(value, pattern, ignorecase, multiline, match_type)` and its `match` and
/// `search` shorthands (`fixed`), which take no `match_type`.
fn regex(fixed: Option<Anchor>, value: &Jinja, args: &Bound) -> Result<bool, Error> {
    let anchor = match fixed {
        Some(anchor) => anchor,
        None => match args.text(3, "search")?.as_str() {
            "search" => Anchor::Search,
            "match" => Anchor::Match,
            "fullmatch" => Anchor::FullMatch,
            other => {
                return Err(args.error(format!(
                    "match_type must be search, match or fullmatch, not '{other}'"
                )));
            }
        },
    };
    let re = compile(
        args,
        &args.text(0, "")?,
        args.flag(1, false),
        args.flag(2, false),
        anchor,
    )?;
    let text = py_str(value).map_err(|e| args.error(e))?;
    oxible_pyre::is_match(&re, &text).map_err(|e| args.error(e))
}

/// Ansible's `version_compare(value, version, operator='eq', strict=None, version_type=None)`.
fn version_compare(value: &Jinja, args: &Bound) -> Result<bool, Error> {
    let strict = args.opt(2);
    let version_type = args.opt(3);
    if strict.is_some() && version_type.is_some() {
        return Err(fail("Cannot specify both 'strict' and 'version_type'"));
    }
    if !value.is_true() {
        return Err(fail("Input version value cannot be empty"));
    }
    let other = args.get(0).cloned().unwrap_or_default();
    if !other.is_true() {
        return Err(fail("Version parameter to compare against cannot be empty"));
    }
    let scheme = if strict.is_some_and(|s| s.is_true()) {
        "strict".to_string()
    } else if let Some(kind) = version_type.filter(|v| v.is_true()) {
        let kind = py_str(kind).unwrap_or_default();
        match kind.as_str() {
            "loose" | "strict" | "semver" | "semantic" => kind,
            "pep440" => {
                return Err(fail("the 'pep440' version_type is not supported by oxible"));
            }
            _ => {
                return Err(fail(format!(
                    "Invalid version type ({kind}). Must be one of 'loose', 'strict', 'semver', 'semantic', 'pep440'"
                )));
            }
        }
    } else {
        "loose".to_string()
    };
    let operator = args.text(1, "eq")?;
    let accepts: fn(Ordering) -> bool = match operator.as_str() {
        "==" | "=" | "eq" => Ordering::is_eq,
        "<" | "lt" => Ordering::is_lt,
        "<=" | "le" => Ordering::is_le,
        ">" | "gt" => Ordering::is_gt,
        ">=" | "ge" => Ordering::is_ge,
        "!=" | "<>" | "ne" => Ordering::is_ne,
        _ => {
            return Err(fail(format!(
                "Invalid operator type ({operator}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
            )));
        }
    };
    let (a, b) = (
        py_str(value).unwrap_or_default(),
        py_str(&other).unwrap_or_default(),
    );
    let ordering = match scheme.as_str() {
        "strict" => strict_version(&a)?.cmp(&strict_version(&b)?),
        "semver" | "semantic" => semantic_version(&a)?.cmp(&semantic_version(&b)?),
        _ => loose_cmp(&loose_version(&a), &loose_version(&b))?,
    };
    Ok(accepts(ordering))
}

/// One component of a loose version: a number or the text between numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loose {
    Num(u128),
    Text(String),
}

/// LooseVersion's components: runs of digits (numbers), runs of lowercase letters, and
/// whatever lies between them, dots dropped.
fn loose_version(text: &str) -> Vec<Loose> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut between = String::new();
    while let Some(c) = rest.chars().next() {
        let run = |pred: fn(&char) -> bool| rest.chars().take_while(pred).map(char::len_utf8).sum();
        let len: usize = match c {
            '0'..='9' => run(char::is_ascii_digit),
            'a'..='z' => run(char::is_ascii_lowercase),
            '.' => 1,
            _ => {
                between.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            }
        };
        if !between.is_empty() {
            out.push(Loose::Text(std::mem::take(&mut between)));
        }
        let part = &rest[..len];
        match part.parse() {
            Ok(n) => out.push(Loose::Num(n)),
            Err(_) if part != "." => out.push(Loose::Text(part.to_string())),
            Err(_) => {}
        }
        rest = &rest[len..];
    }
    if !between.is_empty() {
        out.push(Loose::Text(between));
    }
    out
}

/// Python's list comparison of loose versions; an int against a str cannot be ordered.
fn loose_cmp(a: &[Loose], b: &[Loose]) -> Result<Ordering, Error> {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            _ if x == y => {}
            (Loose::Num(x), Loose::Num(y)) => return Ok(x.cmp(y)),
            (Loose::Text(x), Loose::Text(y)) => return Ok(x.cmp(y)),
            (Loose::Num(_), Loose::Text(_)) | (Loose::Text(_), Loose::Num(_)) => {
                let name = |v: &Loose| {
                    if matches!(v, Loose::Num(_)) {
                        "int"
                    } else {
                        "str"
                    }
                };
                return Err(fail(format!(
                    "Version comparison failed: '<' not supported between instances of '{}' and '{}'",
                    name(x),
                    name(y)
                )));
            }
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// A version's sort key: the `(major, minor, patch)` core, whether it is a final release
/// (above any prerelease of the same core), then the prerelease part.
type Release<P> = ((u128, u128, u128), bool, P);

/// A StrictVersion: `(major, minor, patch)`, then no prerelease above any `a`/`b` one.
fn strict_version(text: &str) -> Result<Release<Option<(char, u128)>>, Error> {
    let re = regex::Regex::new(r"^([0-9]+)\.([0-9]+)(\.([0-9]+))?(([ab])([0-9]+))?$")
        .map_err(|e| fail(e.to_string()))?;
    let bad = || {
        fail(format!(
            "Version comparison failed: invalid version number '{text}'"
        ))
    };
    let caps = re.captures(text).ok_or_else(bad)?;
    let num = |i: usize| -> Result<u128, Error> {
        caps.get(i)
            .map_or(Ok(0), |m| m.as_str().parse().map_err(|_| bad()))
    };
    let pre = match caps.get(6) {
        Some(letter) => Some((letter.as_str().chars().next().unwrap_or('a'), num(7)?)),
        None => None,
    };
    Ok(((num(1)?, num(2)?, num(4)?), pre.is_none(), pre))
}

/// A prerelease identifier of a semantic version: numbers sort before words.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ident {
    Num(u128),
    Alpha(String),
}

/// A SemanticVersion: the core, then a release above its prereleases; build metadata ignored.
fn semantic_version(text: &str) -> Result<Release<Vec<Ident>>, Error> {
    let re = regex::Regex::new(
        r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
    )
    .map_err(|e| fail(e.to_string()))?;
    let bad = || {
        fail(format!(
            "Version comparison failed: invalid semantic version '{text}'"
        ))
    };
    let caps = re.captures(text).ok_or_else(bad)?;
    let num = |i: usize| -> Result<u128, Error> {
        caps.get(i)
            .map_or(Ok(0), |m| m.as_str().parse().map_err(|_| bad()))
    };
    let pre: Vec<Ident> = caps
        .get(4)
        .map(|m| {
            m.as_str()
                .split('.')
                .map(|part| match part.parse() {
                    Ok(n) if part.bytes().all(|b| b.is_ascii_digit()) => Ident::Num(n),
                    _ => Ident::Alpha(part.to_string()),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(((num(1)?, num(2)?, num(3)?), pre.is_empty(), pre))
}

/// The items of an iterable (a string's characters, a dict's keys), as Python iterates it.
fn iterate(test: &str, value: &Jinja) -> Result<impl Iterator<Item = Jinja>, Error> {
    if value.is_undefined() || value.is_none() || value.kind() == JinjaKind::Number {
        return Err(fail(format!(
            "the '{test}' test expects an iterable, got {}",
            value.kind()
        )));
    }
    value.try_iter()
}

/// `set(small) <= set(big)`: every item hashable, and each of `small` in `big`.
fn subset(test: &str, small: &Jinja, big: &Jinja) -> Result<bool, Error> {
    let hashable = |items: Vec<Jinja>| -> Result<Vec<Jinja>, Error> {
        match items
            .iter()
            .find(|v| matches!(v.kind(), JinjaKind::Seq | JinjaKind::Map))
        {
            Some(v) => Err(fail(format!(
                "the '{test}' test needs hashable items, got a {}",
                v.kind()
            ))),
            None => Ok(items),
        }
    };
    let small = hashable(iterate(test, small)?.collect())?;
    let big = hashable(iterate(test, big)?.collect())?;
    Ok(small.iter().all(|item| big.contains(item)))
}

/// `value in seq`, as Python's `in` (a substring for strings, a key for dicts).
fn contains(seq: &Jinja, value: &Jinja) -> Result<bool, Error> {
    match seq.kind() {
        JinjaKind::String => match value.as_str() {
            Some(needle) => Ok(seq.as_str().unwrap_or_default().contains(needle)),
            None => Err(fail(format!(
                "'in <string>' requires string as left operand, not {}",
                value.kind()
            ))),
        },
        JinjaKind::Map => Ok(item(seq, value).is_some()),
        JinjaKind::Seq | JinjaKind::Iterable => Ok(seq.try_iter()?.any(|item| item == *value)),
        kind => Err(fail(format!(
            "the 'contains' test expects a list, string or dict, got {kind}"
        ))),
    }
}
