//! Filters: text (Jinja2's string filters as Ansible has them, and Ansible's own text filters).
//! The other text families (regular expressions, encodings and hashes, paths and URLs,
//! serialization, time, sizes) live in sibling modules.

use std::sync::LazyLock;

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use crate::args::{Bound, Signature, add_filter, sig};
use crate::python::{float, int64, py_str, type_name};

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &BOOL, bool_filter);
    add_filter(env, &INT, int_filter);
    add_filter(env, &FLOAT, float_filter);
    add_filter(env, &STRING, |v, _| Ok(Value::from(py_str(v)?)));
    add_filter(env, &LOWER, |v, _| {
        Ok(Value::from(py_str(v)?.to_lowercase()))
    });
    add_filter(env, &UPPER, |v, _| {
        Ok(Value::from(py_str(v)?.to_uppercase()))
    });
    add_filter(env, &CAPITALIZE, |v, _| {
        Ok(Value::from(capitalize(&py_str(v)?)))
    });
    add_filter(env, &TITLE, |v, _| Ok(Value::from(title(&py_str(v)?))));
    add_filter(env, &TRIM, trim);
    add_filter(env, &REPLACE, replace);
    add_filter(env, &CENTER, center);
    add_filter(env, &INDENT, indent);
    add_filter(env, &WORDCOUNT, |v, _| {
        Ok(Value::from(WORD.find_iter(&py_str(v)?).count()))
    });
    add_filter(env, &SPLIT, split);
    add_filter(env, &QUOTE, quote);
    add_filter(env, &COMMENT, comment);
    add_filter(env, &MANDATORY, mandatory);
    add_filter(env, &TYPE_DEBUG, |v, _| Ok(Value::from(type_name(v))));
}

sig!(BOOL, "bool", []);
sig!(INT, "int", ["default=0", "base=10"]);
sig!(FLOAT, "float", ["default=0.0"]);
sig!(STRING, "string", []);
sig!(LOWER, "lower", []);
sig!(UPPER, "upper", []);
sig!(CAPITALIZE, "capitalize", []);
sig!(TITLE, "title", []);
sig!(TRIM, "trim", ["chars=None"]);
sig!(REPLACE, "replace", ["old", "new", "count=None"]);
sig!(CENTER, "center", ["width=80"]);
sig!(INDENT, "indent", ["width=4", "first=False", "blank=False"]);
sig!(WORDCOUNT, "wordcount", []);
sig!(SPLIT, "split", ["sep=None", "maxsplit=-1"]);
sig!(QUOTE, "quote", []);
sig!(COMMENT, "comment", ["style='plain'"], **);
sig!(MANDATORY, "mandatory", ["msg=None"]);
sig!(TYPE_DEBUG, "type_debug", []);

/// Python's `str.isspace` for one character.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str(value)`, failing unless the value is a string (for filters calling `str`
/// methods on their input).
fn require_str<'a>(sig: &Signature, v: &'a Value) -> Result<&'a str, Error> {
    v.as_str()
        .ok_or_else(|| sig.error(format!("the input must be a string, not {}", type_name(v))))
}

/// `bool`: Ansible's `to_bool`: `yes`/`on`/`true`/`1` (any case, or the ints 1 and 0, or
/// booleans) are true, `no`/`off`/`false`/`0` false; anything else is true only when it
/// equals 1 (deprecated in Ansible, still the result).
fn bool_filter(v: &Value, _: &Bound) -> Result<Value, Error> {
    let check = match v.kind() {
        ValueKind::String => v.as_str().map(str::to_lowercase),
        ValueKind::Bool => Some(if v.is_true() { "true" } else { "false" }.to_string()),
        ValueKind::Number if v.is_integer() => Some(py_str(v)?),
        _ => None,
    };
    Ok(Value::from(match check.as_deref() {
        Some("yes" | "on" | "true" | "1") => true,
        Some("no" | "off" | "false" | "0") => false,
        Some(_) => false,
        None => f64::try_from(v.clone()).is_ok_and(|f| f == 1.0) && v.kind() == ValueKind::Number,
    }))
}

/// Python's `int(text, base)` for a string: whitespace around, a sign, an optional base
/// prefix (`0x`, `0o`, `0b`; base 0 infers it), and single underscores between digits.
fn parse_py_int(text: &str, base: i64) -> Option<i64> {
    let t = text.trim_matches(is_py_space);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.get(..2).map(str::to_ascii_lowercase);
    let prefixed = |p: &str| lower.as_deref() == Some(p);
    let (base, digits, had_prefix) = match base {
        0 if prefixed("0x") => (16, &t[2..], true),
        0 if prefixed("0o") => (8, &t[2..], true),
        0 if prefixed("0b") => (2, &t[2..], true),
        0 => {
            // Base 0 refuses leading zeros in non-zero decimals ("010").
            let stripped = t.trim_start_matches(['0', '_']);
            if !stripped.is_empty() && t.starts_with('0') {
                return None;
            }
            (10, t, false)
        }
        16 if prefixed("0x") => (16, &t[2..], true),
        8 if prefixed("0o") => (8, &t[2..], true),
        2 if prefixed("0b") => (2, &t[2..], true),
        2..=36 => (base, t, false),
        _ => return None,
    };
    let digits = if had_prefix {
        digits.strip_prefix('_').unwrap_or(digits)
    } else {
        digits
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    let radix = u32::try_from(base).ok()?;
    let n = i64::from_str_radix(&clean, radix).ok()?;
    Some(if negative { -n } else { n })
}

/// Python's `float(text)`: whitespace around, `inf`/`infinity`/`nan` in any case, and
/// single underscores between digits.
pub(crate) fn parse_py_float(text: &str) -> Option<f64> {
    let t = text.trim_matches(is_py_space);
    let bytes = t.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let digit =
                |j: Option<usize>| j.and_then(|j| bytes.get(j)).is_some_and(u8::is_ascii_digit);
            if !digit(i.checked_sub(1)) || !digit(Some(i + 1)) {
                return None;
            }
        }
    }
    let clean: String = t.chars().filter(|&c| c != '_').collect();
    let body = clean.trim_start_matches(['+', '-']);
    let word = body.to_ascii_lowercase();
    if !(matches!(word.as_str(), "inf" | "infinity" | "nan")
        || body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
        || clean.len() - body.len() > 1
    {
        return None;
    }
    clean.parse::<f64>().ok()
}

/// `int(default=0, base=10)`: Jinja2's `int`: a string is parsed in `base` (falling back to
/// its float value, so `"42.5"` gives 42), a number truncated; anything unconvertible gives
/// `default`.
fn int_filter(v: &Value, args: &Bound) -> Result<Value, Error> {
    let default = args.get(0).cloned().unwrap_or(Value::from(0));
    // A base that is no integer makes Python's int() fail, which falls back to float().
    let base = args.int(1, 10).unwrap_or(-1);
    if let Some(i) = int64(v) {
        return Ok(Value::from(i));
    }
    if v.kind() == ValueKind::Number {
        let f = float(v).unwrap_or(f64::NAN);
        if f.is_infinite() {
            return Err(INT.error("cannot convert float infinity to integer"));
        }
        return Ok(if f.is_nan() {
            default
        } else {
            Value::from(f.trunc() as i64)
        });
    }
    let Some(text) = v.as_str() else {
        return Ok(default);
    };
    if let Some(i) = parse_py_int(text, base) {
        return Ok(Value::from(i));
    }
    Ok(match parse_py_float(text) {
        Some(f) if f.is_finite() => Value::from(f.trunc() as i64),
        _ => default,
    })
}

/// `float(default=0.0)`: Jinja2's `float`: Python's `float()` of the value, `default` when
/// it cannot convert.
fn float_filter(v: &Value, args: &Bound) -> Result<Value, Error> {
    let default = args.get(0).cloned().unwrap_or(Value::from(0.0));
    let f = match v.as_str() {
        Some(text) => parse_py_float(text),
        None => float(v),
    };
    Ok(f.map_or(default, Value::from))
}

/// Python's `str.capitalize()`: the first character upper case, the rest lower case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

/// Jinja2's `title`: every word (after `-`, whitespace or an opening bracket) starts upper
/// case, the rest lower case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.chars() {
        let separator = is_py_space(c) || matches!(c, '-' | '(' | '{' | '[' | '<');
        if separator {
            out.push(c);
            word_start = true;
        } else if word_start {
            out.extend(c.to_uppercase());
            word_start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `trim(chars=None)`: Python's `str.strip(chars)` of the value's text.
fn trim(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    Ok(Value::from(match args.opt_str(0)? {
        Some(chars) => text.trim_matches(|c| chars.contains(c)).to_string(),
        None => text.trim_matches(is_py_space).to_string(),
    }))
}

/// `replace(old, new, count=None)`: Python's `str.replace` of the value's text (at most
/// `count` times); `old` and `new` are printed with `str()`.
fn replace(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let old = py_str(args.get(0).unwrap_or(&Value::UNDEFINED))?;
    let new = py_str(args.get(1).unwrap_or(&Value::UNDEFINED))?;
    let count = match args.opt(2) {
        None => -1,
        Some(_) => args.int(2, -1)?,
    };
    let limit = usize::try_from(count).unwrap_or(usize::MAX);
    if old.is_empty() {
        // Python inserts `new` before every character and at the end.
        let mut out = String::new();
        let mut done = 0;
        for c in text.chars() {
            if done < limit {
                out.push_str(&new);
                done += 1;
            }
            out.push(c);
        }
        if done < limit {
            out.push_str(&new);
        }
        return Ok(Value::from(out));
    }
    Ok(Value::from(text.replacen(&old, &new, limit)))
}

/// `center(width=80)`: Python's `str.center`, padding with spaces.
fn center(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let width = args.int(0, 80)?;
    let len = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
    if width <= len {
        return Ok(Value::from(text));
    }
    let margin = width - len;
    let left = margin / 2 + (margin & width & 1);
    let pad = |n: i64| " ".repeat(usize::try_from(n).unwrap_or(0));
    Ok(Value::from(format!(
        "{}{text}{}",
        pad(left),
        pad(margin - left)
    )))
}

/// `indent(width=4, first=False, blank=False)`: Jinja2's `indent`: every line but the first
/// (unless `first`) is prefixed by `width` spaces (or the `width` string); blank lines only
/// with `blank`.
fn indent(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = format!("{}\n", require_str(&INDENT, v)?);
    let indention = match args.get(0) {
        Some(w) if w.as_str().is_some() => w.as_str().unwrap_or_default().to_string(),
        _ => " ".repeat(usize::try_from(args.int(0, 4)?).unwrap_or(0)),
    };
    let lines = oxible_yaml::py_splitlines(&text);
    let mut out = if args.flag(2, false) {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut out = lines.first().copied().unwrap_or_default().to_string();
        for line in lines.iter().skip(1) {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indention);
            }
            out.push_str(line);
        }
        out
    };
    if args.flag(1, false) {
        out.insert_str(0, &indention);
    }
    Ok(Value::from(out))
}

/// Words as Jinja2's `wordcount` counts them (`\w+`).
static WORD: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\w+").expect("static pattern"));

/// `split(sep=None, maxsplit=-1)`: Python's `str.split`: on runs of whitespace (ends
/// dropped) without `sep`, else on each `sep`; at most `maxsplit` splits.
fn split(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = require_str(&SPLIT, v)?;
    let max = usize::try_from(args.int(1, -1)?).unwrap_or(usize::MAX);
    let parts: Vec<Value> = match args.opt_str(0)? {
        Some("") => return Err(args.error("empty separator")),
        Some(sep) => text
            .splitn(max.saturating_add(1), sep)
            .map(Value::from)
            .collect(),
        None => {
            let mut parts = Vec::new();
            let mut rest = text.trim_start_matches(is_py_space);
            while !rest.is_empty() {
                if parts.len() == max {
                    parts.push(Value::from(rest));
                    break;
                }
                let end = rest.find(is_py_space).unwrap_or(rest.len());
                parts.push(Value::from(&rest[..end]));
                rest = rest[end..].trim_start_matches(is_py_space);
            }
            parts
        }
    };
    Ok(Value::from(parts))
}

/// `quote`: Python's `shlex.quote` of the value's text (`None` is the empty string): as is
/// when only `\w@%+=:,./-` characters, else single-quoted.
fn quote(v: &Value, _: &Bound) -> Result<Value, Error> {
    let text = if v.is_none() {
        String::new()
    } else {
        py_str(v)?
    };
    if text.is_empty() {
        return Ok(Value::from("''"));
    }
    let safe = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    Ok(Value::from(if safe {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\"'\"'"))
    }))
}

/// `comment(style='plain', **kw)`: Ansible's `comment`: the text decorated as a comment in
/// `style` (`plain`, `erlang`, `c`, `cblock`, `xml`), each part overridable by keyword
/// (`newline`, `beginning`, `prefix`, `prefix_count`, `decoration`, `postfix`,
/// `postfix_count`, `end`).
fn comment(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = require_str(&COMMENT, v)?;
    let style = py_str(args.get(0).unwrap_or(&Value::from("plain")))?;
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        _ => {
            return Err(args.error(format!(
                "Invalid style '{style}'. Available styles: plain, erlang, c, cblock, xml"
            )));
        }
    };
    let kw = |name: &str| args.kwarg(name);
    let string_kw = |name: &str, default: &str| -> Result<String, Error> {
        match kw(name) {
            None => Ok(default.to_string()),
            Some(v) => v
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| args.error(format!("'{name}' must be a string"))),
        }
    };
    let prepostfix = string_kw("decoration", decoration)?;
    let newline = string_kw("newline", "\n")?;
    let decoration = prepostfix.clone();
    let printed = |name: &str, default: &str| -> Result<String, Error> {
        kw(name).map_or(Ok(default.to_string()), py_str)
    };
    let truthy = |name: &str, default: &str| kw(name).map_or(!default.is_empty(), Value::is_true);
    let beginning_text = printed("beginning", beginning)?;
    let prefix = printed("prefix", prepostfix.trim_end_matches(is_py_space))?;
    let postfix = string_kw("postfix", prepostfix.trim_end_matches(is_py_space))?;
    let end_text = printed("end", end)?;
    let count = |name: &str| -> Result<usize, Error> {
        let n = match kw(name) {
            None => 1,
            Some(v) if name == "prefix_count" && v.as_str().is_some() => {
                parse_py_int(v.as_str().unwrap_or_default(), 10)
                    .ok_or_else(|| args.error(format!("invalid '{name}'")))?
            }
            Some(v) if name == "prefix_count" && v.kind() == ValueKind::Number => {
                float(v).map_or(0, |f| f.trunc() as i64)
            }
            Some(v) => {
                int64(v).ok_or_else(|| args.error(format!("'{name}' must be an integer")))?
            }
        };
        Ok(usize::try_from(n).unwrap_or(0))
    };
    let mut out = String::new();
    if truthy("beginning", beginning) {
        out.push_str(&beginning_text);
        out.push_str(&newline);
    }
    if truthy("prefix", &prefix) {
        let unit = if prefix == newline {
            newline.clone()
        } else {
            format!("{prefix}{newline}")
        };
        out.push_str(&unit.repeat(count("prefix_count")?));
    }
    let body = if newline.is_empty() {
        // Python's str.replace with an empty pattern inserts between every character.
        let mut s = String::new();
        for c in text.chars() {
            s.push_str(&decoration);
            s.push(c);
        }
        s.push_str(&decoration);
        s
    } else {
        format!(
            "{decoration}{}",
            text.replace(&newline, &format!("{newline}{decoration}"))
        )
    };
    let trimmed = format!("{}{newline}", decoration.trim_end_matches(is_py_space));
    out.push_str(&body.replace(&format!("{decoration}{newline}"), &trimmed));
    for _ in 0..count("postfix_count")? {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if truthy("end", end) {
        out.push_str(&newline);
        out.push_str(&end_text);
    }
    Ok(Value::from(out))
}

/// `mandatory(msg=None)`: the value itself; an undefined value is an error (with `msg`).
fn mandatory(v: &Value, args: &Bound) -> Result<Value, Error> {
    if v.is_undefined() {
        let msg = match args.opt(0) {
            Some(msg) => py_str(msg)?,
            None => "Mandatory variable not defined.".to_string(),
        };
        return Err(Error::new(ErrorKind::UndefinedError, msg));
    }
    Ok(v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_numbers() {
        assert_eq!(parse_py_int(" 0x1f ", 16), Some(31));
        assert_eq!(parse_py_int("1_000", 10), Some(1000));
        assert_eq!(parse_py_int("1__0", 10), None);
        assert_eq!(parse_py_int("010", 0), None);
        assert_eq!(parse_py_float("1_0.5"), Some(10.5));
        assert_eq!(parse_py_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_py_float("1e"), None);
    }

    #[test]
    fn lines_like_python() {
        assert_eq!(
            oxible_yaml::py_splitlines("a\r\nb\n\nc\n"),
            vec!["a", "b", "", "c"]
        );
        assert_eq!(title("hello wORLD-foo (bar"), "Hello World-Foo (Bar");
    }
}
