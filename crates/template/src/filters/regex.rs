//! Filters: regular expressions with Python `re` semantics (`regex_replace`, `regex_search`,
//! `regex_findall`, `regex_escape`).
//!
//! Patterns, matching and replacement templates are Python's, through `oxible-pyre`; the
//! `regex` tests (`match`, `search`, `regex`) compile their patterns here too.

use minijinja::value::Value;
use minijinja::{Environment, Error};
use oxible_pyre::{Anchor, Captures, Regex, Replacement, matches};

use crate::args::{Bound, add_filter, sig};
use crate::python::py_str;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &REGEX_REPLACE, regex_replace);
    add_filter(env, &REGEX_SEARCH, regex_search);
    add_filter(env, &REGEX_FINDALL, regex_findall);
    add_filter(env, &REGEX_ESCAPE, regex_escape);
}

sig!(
    REGEX_REPLACE,
    "regex_replace",
    [
        "pattern=''",
        "replacement=''",
        "ignorecase=False",
        "multiline=False",
        "count=0",
        "mandatory_count=0"
    ]
);
sig!(REGEX_SEARCH, "regex_search", ["regex", "*args"], **);
sig!(
    REGEX_FINDALL,
    "regex_findall",
    ["regex", "multiline=False", "ignorecase=False"]
);
sig!(REGEX_ESCAPE, "regex_escape", ["re_type='python'"]);

/// Compiles a Python pattern with Python's `re.I` and `re.M` flags, anchored as asked; errors
/// are about the call `args`.
pub(crate) fn compile(
    args: &Bound,
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
    anchor: Anchor,
) -> Result<Regex, Error> {
    oxible_pyre::compile(pattern, ignorecase, multiline, anchor).map_err(|e| args.error(e))
}

/// The pattern argument at `i`, which Python requires to be a string.
fn pattern(args: &Bound, i: usize) -> Result<&str, Error> {
    args.str(i, "")
}

/// `regex_replace(pattern, replacement, ignorecase=False, multiline=False, count=0,
/// mandatory_count=0)`: Python's `re.subn` on the value's text; `count` limits the
/// replacements (0: all), `mandatory_count` requires exactly that many.
fn regex_replace(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let re = compile(
        args,
        pattern(args, 0)?,
        args.flag(2, false),
        args.flag(3, false),
        Anchor::Search,
    )?;
    let template = Replacement::parse(args.str(1, "")?, &re).map_err(|e| args.error(e))?;
    let count = args.int(4, 0)?;
    let limit = if count <= 0 {
        usize::MAX
    } else {
        count as usize
    };
    let found = if count < 0 {
        Vec::new()
    } else {
        matches(&re, &text, limit).map_err(|e| args.error(e))?
    };
    let mandatory = args.int(5, 0)?;
    if mandatory != 0 && usize::try_from(mandatory).ok() != Some(found.len()) {
        return Err(args.error(format!(
            "'{}' should match {mandatory} times, but matches {} times in '{text}'",
            pattern(args, 0)?,
            found.len()
        )));
    }
    Ok(Value::from(template.substitute(&text, &found)))
}

/// `regex_search(regex, *groups, ignorecase=False, multiline=False)`: Python's `re.search`
/// on the value's text: the matched text, or with groups (`'\\1'`, `'\\g<name>'`) the list
/// of those groups; `None` without a match.
fn regex_search(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let kw = |name: &str| args.kwarg(name).is_some_and(Value::is_true);
    let re = compile(
        args,
        pattern(args, 0)?,
        kw("ignorecase"),
        kw("multiline"),
        Anchor::Search,
    )?;
    let mut groups = Vec::new();
    for arg in &args.rest {
        let arg = arg
            .as_str()
            .ok_or_else(|| args.error("group arguments must be strings"))?;
        let group = if let Some(name) = arg.strip_prefix("\\g<") {
            let name = name.split('>').next().unwrap_or_default();
            // A name that is no group fails once there is a match, as Python's match.group().
            re.capture_names()
                .position(|n| n == Some(name))
                .unwrap_or(usize::MAX)
        } else if let Some(digits) = arg.strip_prefix('\\') {
            let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
            digits
                .parse::<usize>()
                .map_err(|_| args.error(format!("invalid group argument {arg}")))?
        } else {
            return Err(args.error("Unknown argument"));
        };
        groups.push(group);
    }
    let found = matches(&re, &text, 1).map_err(|e| args.error(e))?;
    let Some(caps) = found.into_iter().next() else {
        return Ok(Value::from(()));
    };
    let group = |g: usize| {
        if g >= re.captures_len() {
            return Err(args.error("no such group"));
        }
        Ok(caps
            .get(g)
            .map_or(Value::from(()), |m| Value::from(m.as_str())))
    };
    if groups.is_empty() {
        return group(0);
    }
    Ok(Value::from(
        groups
            .into_iter()
            .map(group)
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// `regex_findall(regex, multiline=False, ignorecase=False)`: Python's `re.findall`: the
/// matches, or the one group's text, or a list of every group's text per match.
fn regex_findall(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let re = compile(
        args,
        pattern(args, 0)?,
        args.flag(2, false),
        args.flag(1, false),
        Anchor::Search,
    )?;
    let groups = re.captures_len() - 1;
    let text_of = |caps: &Captures, g: usize| Value::from(caps.get(g).map_or("", |m| m.as_str()));
    let found = matches(&re, &text, usize::MAX)
        .map_err(|e| args.error(e))?
        .iter()
        .map(|caps| match groups {
            0 => text_of(caps, 0),
            1 => text_of(caps, 1),
            _ => Value::from((1..=groups).map(|g| text_of(caps, g)).collect::<Vec<_>>()),
        })
        .collect::<Vec<_>>();
    Ok(Value::from(found))
}

/// `regex_escape(re_type='python')`: the text with regular expression metacharacters
/// escaped: Python's `re.escape`, or for `posix_basic` the BRE specials `].[^$*\`.
fn regex_escape(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let specials = match args.str(0, "python")? {
        "python" => "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c",
        "posix_basic" => "].[^$*\\",
        "posix_extended" => {
            return Err(args.error("Regex type (posix_extended) not yet implemented"));
        }
        other => return Err(args.error(format!("Invalid regex type ({other})"))),
    };
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if specials.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::from(out))
}
