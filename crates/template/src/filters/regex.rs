//! Filters: regular expressions with Python `re` semantics (`regex_replace`, `regex_search`,
//! `regex_findall`, `regex_escape`).
//!
//! Patterns are Python's syntax translated to fancy-regex's, which has what Python's `re`
//! has beyond the `regex` crate (lookarounds, backreferences, atomic groups); `$` matches
//! before a final newline as Python's does. Matching follows Python's rules for empty matches
//! (an empty match may directly follow a non-empty one), and replacement templates Python's
//! (`\1`, `\g<name>`, `\g<1>`, `\n`…). The `regex` tests (`match`, `search`, `regex`)
//! compile their patterns here too.

use fancy_regex::{Captures, Regex};
use minijinja::value::Value;
use minijinja::{Environment, Error};

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

/// Translates a Python `re` pattern into fancy-regex's syntax; `multiline` is Python's
/// `re.M` (without it, `$` also matches before a final newline). The error says what is wrong.
fn translate(pattern: &str, multiline: bool) -> Result<String, String> {
    let unsupported = |what: &str| {
        format!(
            "{what} in pattern '{pattern}' is not supported (Python re constructs without an equivalent in oxible's regex engine)"
        )
    };
    let multiline = multiline || inline_flags(pattern).contains('m');
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            let Some(e) = next else {
                return Err("bad escape (end of pattern)".to_string());
            };
            i += 2;
            class_start = false;
            match e {
                '1'..='9' if !in_class => {
                    out.push('\\');
                    out.push(e);
                    if let Some(d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                        out.push(*d);
                        i += 1;
                    }
                }
                '0'..='7' => {
                    let mut value = e.to_digit(8).unwrap_or(0);
                    let mut n = 1;
                    while n < 3 && chars.get(i).is_some_and(|d| d.is_digit(8)) {
                        value = value * 8 + chars[i].to_digit(8).unwrap_or(0);
                        i += 1;
                        n += 1;
                    }
                    out.push_str(&format!("\\x{{{value:x}}}"));
                }
                'x' | 'u' | 'U' => {
                    let len = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = chars.iter().skip(i).take(len).collect();
                    if hex.chars().count() != len || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        return Err(format!("bad escape \\{e}"));
                    }
                    i += len;
                    out.push_str(&format!("\\x{{{hex}}}"));
                }
                'Z' if !in_class => out.push_str("\\z"),
                'A' | 'b' | 'B' if !in_class => {
                    out.push('\\');
                    out.push(e);
                }
                'b' => out.push_str("\\x08"),
                'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' | 'a' => {
                    out.push('\\');
                    out.push(e);
                }
                e if e.is_ascii_alphanumeric() => return Err(format!("bad escape \\{e}")),
                e => out.push_str(&regex::escape(e.encode_utf8(&mut [0; 4]))),
            }
            continue;
        }
        if in_class {
            match c {
                ']' if !class_start => in_class = false,
                ']' => out.push('\\'),
                '[' | '&' | '~' => out.push('\\'),
                '-' if next == Some('-') => out.push('\\'),
                '^' if class_start && out.ends_with('[') => {
                    out.push('^');
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            class_start = false;
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                continue;
            }
            '(' if next == Some('?') => {
                let rest: String = chars.iter().skip(i + 2).take(3).collect();
                if rest.starts_with("P=") {
                    // A named backreference: (?P=name) is fancy-regex's \k<name>.
                    let name: String = chars
                        .iter()
                        .skip(i + 4)
                        .take_while(|&&ch| ch != ')')
                        .collect();
                    out.push_str(&format!("\\k<{name}>"));
                    i += 4 + name.chars().count() + 1;
                    continue;
                }
                if rest.starts_with('#') {
                    // A comment: skipped up to its closing parenthesis.
                    let close = chars
                        .iter()
                        .skip(i)
                        .position(|&ch| ch == ')')
                        .ok_or_else(|| "missing ), unterminated comment".to_string())?;
                    i += close + 1;
                    continue;
                }
                if rest.starts_with(['a', 'L']) {
                    return Err(unsupported("an ASCII or locale flag (?a) (?L)"));
                }
                out.push_str("(?");
                i += 2;
                continue;
            }
            '{' => {
                let tail: String = chars.iter().skip(i + 1).collect();
                let close = tail.find('}');
                let quantifier = close.map(|end| &tail[..end]).filter(|body| {
                    let (lo, hi) = body.split_once(',').unwrap_or((body, ""));
                    !body.is_empty()
                        && *body != ","
                        && lo.chars().all(|d| d.is_ascii_digit())
                        && hi.chars().all(|d| d.is_ascii_digit())
                        && (body.contains(',') || !lo.is_empty())
                });
                match quantifier {
                    Some(body) => {
                        let body = body.to_string();
                        let fixed = if body.starts_with(',') {
                            format!("0{body}")
                        } else {
                            body.clone()
                        };
                        out.push_str(&format!("{{{fixed}}}"));
                        i += body.chars().count() + 2;
                    }
                    None => {
                        out.push_str("\\{");
                        i += 1;
                    }
                }
                continue;
            }
            '}' => out.push('\\'),
            '$' if !multiline => {
                // Python's `$`: the end, or just before a newline that ends the text.
                out.push_str("(?=\\n?\\z)");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

/// The flags a pattern sets inline at its start (`(?im)…`), as letters.
fn inline_flags(pattern: &str) -> &str {
    pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.find(')').map(|end| &rest[..end]))
        .filter(|flags| flags.chars().all(|c| c.is_ascii_alphabetic()))
        .unwrap_or_default()
}

/// Where a pattern must match, as Python's `re.search`, `re.match` and `re.fullmatch`.
#[derive(Clone, Copy)]
pub(crate) enum Anchor {
    /// Anywhere.
    Search,
    /// At the start.
    Match,
    /// The whole text.
    FullMatch,
}

/// Compiles a Python pattern with Python's `re.I` and `re.M` flags, anchored as asked; errors
/// are about the call `args`.
pub(crate) fn compile(
    args: &Bound,
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
    anchor: Anchor,
) -> Result<Regex, Error> {
    let translated = translate(pattern, multiline).map_err(|e| args.error(e))?;
    let flags = match (ignorecase, multiline) {
        (false, false) => "",
        (true, false) => "(?i)",
        (false, true) => "(?m)",
        (true, true) => "(?im)",
    };
    let full = match anchor {
        Anchor::Search => format!("{flags}{translated}"),
        Anchor::Match => format!(r"{flags}\A(?:{translated})"),
        Anchor::FullMatch => format!(r"{flags}\A(?:{translated})\z"),
    };
    Regex::new(&full)
        .map_err(|e| args.error(format!("invalid regular expression '{pattern}': {e}")))
}

/// A match attempt that gave up (fancy-regex's backtracking limit), as the call's error.
pub(crate) fn gave_up(args: &Bound, e: fancy_regex::Error) -> Error {
    args.error(format!("the regular expression could not be matched: {e}"))
}

/// The pattern argument at `i`, which Python requires to be a string.
fn pattern(args: &Bound, i: usize) -> Result<&str, Error> {
    args.str(i, "")
}

/// Python's `re.finditer`: successive non-overlapping matches, where an empty match may
/// directly follow a non-empty one; at most `limit`.
fn matches<'h>(
    re: &Regex,
    text: &'h str,
    limit: usize,
) -> Result<Vec<Captures<'h>>, fancy_regex::Error> {
    let mut found = Vec::new();
    let mut pos = 0;
    let mut after_empty = false;
    while found.len() < limit && pos <= text.len() {
        let Some(mut caps) = re.captures_from_pos(text, pos)? else {
            break;
        };
        let mut whole = caps.get(0).map_or(pos..pos, |m| m.range());
        if after_empty && whole.is_empty() && whole.start == pos {
            // Python refuses a second empty match at the same place: search one further.
            let Some(step) = text[pos..].chars().next().map(char::len_utf8) else {
                break;
            };
            match re.captures_from_pos(text, pos + step)? {
                Some(c) => caps = c,
                None => break,
            }
            whole = caps.get(0).map_or(pos..pos, |m| m.range());
        }
        after_empty = whole.is_empty();
        pos = whole.end;
        found.push(caps);
    }
    Ok(found)
}

/// One piece of a Python replacement template.
enum Piece {
    Text(String),
    Group(usize),
}

/// Parses a Python replacement template (`\1`, `\g<name>`, `\g<1>`, `\n`, `\\`…).
fn parse_template(args: &Bound, template: &str, re: &Regex) -> Result<Vec<Piece>, Error> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    let group_count = re.captures_len();
    let check = |n: usize| {
        if n < group_count {
            Ok(n)
        } else {
            Err(args.error(format!("invalid group reference {n}")))
        }
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        let group = match chars.next() {
            None => return Err(args.error("bad escape (end of pattern)")),
            Some('g') => {
                if chars.next() != Some('<') {
                    return Err(args.error("missing < in \\g"));
                }
                let name: String = chars.by_ref().take_while(|&ch| ch != '>').collect();
                let index = match name.parse::<usize>() {
                    Ok(n) => check(n)?,
                    Err(_) => re
                        .capture_names()
                        .position(|n| n == Some(name.as_str()))
                        .ok_or_else(|| args.error(format!("unknown group name '{name}'")))?,
                };
                Some(index)
            }
            Some(d @ '0'..='9') => {
                let mut n = d.to_digit(10).unwrap_or(0) as usize;
                if d == '0' {
                    text.push('\0');
                    None
                } else {
                    if let Some(d2) = chars.peek().and_then(|ch| ch.to_digit(10)) {
                        n = n * 10 + d2 as usize;
                        chars.next();
                    }
                    Some(check(n)?)
                }
            }
            Some(e) => {
                match e {
                    'n' => text.push('\n'),
                    't' => text.push('\t'),
                    'r' => text.push('\r'),
                    'f' => text.push('\x0c'),
                    'v' => text.push('\x0b'),
                    'a' => text.push('\x07'),
                    'b' => text.push('\x08'),
                    '\\' => text.push('\\'),
                    e if e.is_ascii_alphabetic() => {
                        return Err(args.error(format!("bad escape \\{e}")));
                    }
                    e => {
                        text.push('\\');
                        text.push(e);
                    }
                }
                None
            }
        };
        if let Some(g) = group {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
            pieces.push(Piece::Group(g));
        }
    }
    pieces.push(Piece::Text(text));
    Ok(pieces)
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
    let template = parse_template(args, args.str(1, "")?, &re)?;
    let count = args.int(4, 0)?;
    let limit = if count <= 0 {
        usize::MAX
    } else {
        count as usize
    };
    let found = if count < 0 {
        Vec::new()
    } else {
        matches(&re, &text, limit).map_err(|e| gave_up(args, e))?
    };
    let mandatory = args.int(5, 0)?;
    if mandatory != 0 && usize::try_from(mandatory).ok() != Some(found.len()) {
        return Err(args.error(format!(
            "'{}' should match {mandatory} times, but matches {} times in '{text}'",
            pattern(args, 0)?,
            found.len()
        )));
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in &found {
        let Some(whole) = caps.get(0) else { continue };
        out.push_str(&text[last..whole.start()]);
        for piece in &template {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
            }
        }
        last = whole.end();
    }
    out.push_str(&text[last..]);
    Ok(Value::from(out))
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
    let found = matches(&re, &text, 1).map_err(|e| gave_up(args, e))?;
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
        .map_err(|e| gave_up(args, e))?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_python_patterns() {
        let t = |p: &str| translate(p, true).expect("translates");
        assert_eq!(t(r"a{,3}\Z"), r"a{0,3}\z");
        assert_eq!(t(r"{x}[[&]"), r"\{x\}[\[\&]");
        assert_eq!(t(r"(?<=a)b(?P<n>c)(?P=n)\1"), r"(?<=a)b(?P<n>c)\k<n>\1");
        assert_eq!(translate("a$", false).as_deref(), Ok(r"a(?=\n?\z)"));
        assert_eq!(translate("(?m)a$", false).as_deref(), Ok("(?m)a$"));
        assert_eq!(t(r"(a)?(?(1)b|c)"), r"(a)?(?(1)b|c)");
    }

    #[test]
    fn empty_matches_like_python() {
        let re = Regex::new("x*").expect("compiles");
        let spans: Vec<_> = matches(&re, "abxd", usize::MAX)
            .expect("matches")
            .iter()
            .filter_map(|c| c.get(0).map(|m| m.range()))
            .collect();
        assert_eq!(spans, vec![0..0, 1..1, 2..3, 3..3, 4..4]);
    }
}
