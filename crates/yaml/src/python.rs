//! Python's `str()` and `repr()` of values, as Ansible prints them in messages and listings
//! (`ansible-inventory --graph --vars`, duplicate-key warnings, `pattern: ['all']`).

use crate::value::{Timestamp, Value, ValueKind};

impl Value {
    /// Python's `str(value)`: strings as they are, dates as ISO text, everything else as
    /// [`Value::py_repr`].
    ///
    /// ```
    /// use oxible_yaml::Value;
    /// assert_eq!(Value::from("a b").py_str(), "a b");
    /// assert_eq!(Value::seq(vec![Value::from("a")]).py_str(), "['a']");
    /// ```
    pub fn py_str(&self) -> String {
        match &self.kind {
            ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => s.to_string(),
            ValueKind::Timestamp(t) => t.text.clone(),
            _ => self.py_repr(),
        }
    }

    /// Python's `repr(value)`: `None`, `True`, `1.0`, `'it'`, `[1, 'a']`, `{'k': 'v'}`,
    /// `datetime.date(2001, 12, 14)`.
    ///
    /// ```
    /// use oxible_yaml::Value;
    /// assert_eq!(Value::from("it's").py_repr(), "\"it's\"");
    /// assert_eq!(Value::null().py_repr(), "None");
    /// ```
    pub fn py_repr(&self) -> String {
        let mut out = String::new();
        write_repr(self, &mut out);
        out
    }
}

fn write_repr(value: &Value, out: &mut String) {
    match &value.kind {
        ValueKind::Null => out.push_str("None"),
        ValueKind::Bool(true) => out.push_str("True"),
        ValueKind::Bool(false) => out.push_str("False"),
        ValueKind::Int(i) => out.push_str(&i.to_string()),
        ValueKind::Float(f) => out.push_str(&float_repr(*f)),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => {
            out.push_str(&string_repr(s))
        }
        ValueKind::Timestamp(t) => out.push_str(&timestamp_repr(t)),
        ValueKind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        ValueKind::Map(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(k, out);
                out.push_str(": ");
                write_repr(v, out);
            }
            out.push('}');
        }
    }
}

/// Python's float repr: shortest round-trip digits, `.0` for whole numbers, exponent form
/// outside 1e-4..1e16, `inf` and `nan`.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = f.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Python's `repr` of a `str`: single quotes unless the text holds `'` and no `"`;
/// non-printable characters escaped as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
fn string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character: false for control and format characters,
/// separators other than the space, and private-use code points (unassigned code points,
/// which Python also escapes, are not tracked).
fn is_printable(c: char) -> bool {
    !matches!(c as u32,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2
        | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
        | 0x2066..=0x206f | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..)
}

/// Python's `repr` of a `datetime.date` or `datetime.datetime`, rebuilt from its `str()`
/// text (`2001-12-14 21:59:43.100000-05:00`).
fn timestamp_repr(t: &Timestamp) -> String {
    let fallback = || string_repr(&t.text);
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
    let text = t.text.as_str();
    let (date, rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut ymd = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (num(ymd.next()), num(ymd.next()), num(ymd.next())) else {
        return fallback();
    };
    if !t.has_time {
        return format!("datetime.date({y}, {m}, {d})");
    }
    let tz_at = rest.find(['+', '-']).unwrap_or(rest.len());
    let (time, tz) = rest.split_at(tz_at);
    let (hms, micros) = time.split_once('.').unwrap_or((time, "0"));
    let mut parts = hms.splitn(3, ':');
    let (Some(hh), Some(mm), Some(ss), Some(us)) = (
        num(parts.next()),
        num(parts.next()),
        num(parts.next()),
        num(Some(micros)),
    ) else {
        return fallback();
    };
    let mut out = format!("datetime.datetime({y}, {m}, {d}, {hh}, {mm}");
    if us != 0 {
        out.push_str(&format!(", {ss}, {us}"));
    } else if ss != 0 {
        out.push_str(&format!(", {ss}"));
    }
    if !tz.is_empty() {
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let (tzh, tzm) = tz[1..].split_once(':').unwrap_or((&tz[1..], "0"));
        let (Some(tzh), Some(tzm)) = (num(Some(tzh)), num(Some(tzm))) else {
            return fallback();
        };
        let offset = sign * (tzh * 3600 + tzm * 60);
        if offset == 0 {
            out.push_str(", tzinfo=datetime.timezone.utc");
        } else {
            let (days, seconds) = (offset.div_euclid(86400), offset.rem_euclid(86400));
            let delta = match (days, seconds) {
                (0, s) => format!("seconds={s}"),
                (d, 0) => format!("days={d}"),
                (d, s) => format!("days={d}, seconds={s}"),
            };
            out.push_str(&format!(
                ", tzinfo=datetime.timezone(datetime.timedelta({delta}))"
            ));
        }
    }
    out.push(')');
    out
}

impl Value {
    /// Python's `json.dumps(value, sort_keys=sort_keys, indent=indent, ensure_ascii=False)`, as
    /// Ansible's callbacks print results (`{"changed": true, "rc": 0}`; with an indent, one
    /// entry per line and `,` ending lines). Timestamps print as their text, as Ansible's
    /// encoder does; `NaN` and `Infinity` as Python writes them.
    ///
    /// ```
    /// use oxible_yaml::{Map, Value};
    /// let mut map = Map::new();
    /// map.insert(Value::from("rc"), Value::from(0));
    /// map.insert(Value::from("changed"), Value::from(true));
    /// assert_eq!(Value::map(map.clone()).py_json(None, true), r#"{"changed": true, "rc": 0}"#);
    /// assert_eq!(Value::map(map).py_json(Some(4), true), "{\n    \"changed\": true,\n    \"rc\": 0\n}");
    /// ```
    pub fn py_json(&self, indent: Option<usize>, sort_keys: bool) -> String {
        let mut out = String::new();
        write_json(self, indent, sort_keys, 0, &mut out);
        out
    }
}

fn write_json(
    value: &Value,
    indent: Option<usize>,
    sort_keys: bool,
    depth: usize,
    out: &mut String,
) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    let separator = if indent.is_some() { "," } else { ", " };
    match &value.kind {
        ValueKind::Null => out.push_str("null"),
        ValueKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValueKind::Int(i) => out.push_str(&i.to_string()),
        ValueKind::Float(f) if f.is_nan() => out.push_str("NaN"),
        ValueKind::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        ValueKind::Float(f) => out.push_str(&float_repr(*f)),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => {
            py_json_string(s, false, out)
        }
        ValueKind::Timestamp(t) => py_json_string(&t.text, false, out),
        ValueKind::Seq(items) if items.is_empty() => out.push_str("[]"),
        ValueKind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                newline(out, depth + 1);
                write_json(item, indent, sort_keys, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        ValueKind::Map(map) if map.is_empty() => out.push_str("{}"),
        ValueKind::Map(map) => {
            let mut entries: Vec<(String, &Value)> =
                map.iter().map(|(k, v)| (json_key(k), v)).collect();
            if sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                newline(out, depth + 1);
                py_json_string(key, false, out);
                out.push_str(": ");
                write_json(item, indent, sort_keys, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

/// A dict key as Python's `json` writes it (`1` → `"1"`, `True` → `"true"`, `None` → `"null"`).
fn json_key(key: &Value) -> String {
    match &key.kind {
        ValueKind::Null => "null".into(),
        ValueKind::Bool(b) => if *b { "true" } else { "false" }.into(),
        _ => key.py_str(),
    }
}

/// Writes `s` as a JSON string literal with Python's `json` escapes; with `ensure_ascii`, every
/// character outside printable ASCII becomes `\uXXXX` (UTF-16 units), as `json.dumps` does.
pub fn py_json_string(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || (ensure_ascii && !(' '..='~').contains(&c)) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Year, month and day of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), for printing times as Python's `datetime` does.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `at` as Python's `str(datetime.fromtimestamp(at))` prints it on a UTC controller
/// (`2026-11-26 07:10:00.123456`; the microseconds are left out when zero), as Ansible's
/// `start`/`end` result keys and template variables show times.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let at = UNIX_EPOCH + Duration::from_micros(1_764_141_000_123_456);
/// assert_eq!(oxible_yaml::py_datetime(at), "2025-11-26 07:10:00.123456");
/// assert_eq!(oxible_yaml::py_datetime(UNIX_EPOCH), "1970-01-01 00:00:00");
/// ```
pub fn py_datetime(at: std::time::SystemTime) -> String {
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or_default());
    let rem = secs % 86_400;
    let micros = since.subsec_micros();
    let fraction = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}{fraction}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Python's `str.splitlines()`: `\n`, `\r\n` and `\r` end lines, and so do `\v`, `\f`,
/// `\x1c`–`\x1e`, `\x85`, U+2028 and U+2029 (what `stdout_lines` and the `splitlines`
/// method give in Ansible).
///
/// ```
/// assert_eq!(oxible_yaml::py_splitlines("a\r\nb\rc\n"), vec!["a", "b", "c"]);
/// ```
pub fn py_splitlines(text: &str) -> Vec<&str> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_break(c) {
            lines.push(&text[start..i]);
            start = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                chars.next();
                start += 1;
            }
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use crate::{Map, Source, load_source};

    use super::*;

    fn float(f: f64) -> String {
        Value::new(ValueKind::Float(f)).py_repr()
    }

    #[test]
    fn containers_and_scalars() {
        let mut m = Map::new();
        m.insert(
            Value::from("k"),
            Value::seq(vec![Value::from(1), Value::from("it's"), Value::null()]),
        );
        assert_eq!(Value::map(m).py_str(), r#"{'k': [1, "it's", None]}"#);
        assert_eq!(Value::from("a b").py_str(), "a b");
        assert_eq!(Value::from("a b").py_repr(), "'a b'");
        assert_eq!(Value::from(true).py_str(), "True");
        assert_eq!(Value::from("a'\"b").py_repr(), "'a\\'\"b'");
    }

    #[test]
    fn floats_like_python() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(1000.0), "1000.0");
        assert_eq!(float(0.5), "0.5");
        assert_eq!(float(1e16), "1e+16");
        assert_eq!(float(1e15), "1000000000000000.0");
        assert_eq!(float(1e-5), "1e-05");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(float(1.5e300), "1.5e+300");
        assert_eq!(float(f64::INFINITY), "inf");
        assert_eq!(float(f64::NEG_INFINITY), "-inf");
        assert_eq!(float(f64::NAN), "nan");
    }

    #[test]
    fn control_characters_escaped() {
        // python -c "print(repr('\x00\x1f\x7f\x80\x9f\xa0\xad\u2028\U0001f600é'))"
        assert_eq!(
            Value::from("\u{0}\u{1f}\u{7f}\u{80}\u{9f}\u{a0}\u{ad}\u{2028}\u{1f600}é").py_repr(),
            "'\\x00\\x1f\\x7f\\x80\\x9f\\xa0\\xad\\u2028\u{1f600}é'"
        );
        assert_eq!(Value::from("a\tb\\").py_repr(), "'a\\tb\\\\'");
    }

    #[test]
    fn timestamps_like_python() {
        // The oracle's repr(yaml.safe_load(...)) of the same document.
        let doc = "- 2001-12-14t21:59:43.10-05:00\n- 2001-12-14 21:59:43.10\n- 2002-12-14\n\
                   - 2001-12-14 21:59:43.10 +5:30\n- 2001-12-14 21:59:43.123456789Z\n\
                   - 2001-12-14 21:59:00\n- 2001-12-14 00:00:00\n";
        let value = load_source(Source::new("t.yml", doc)).unwrap().value;
        assert_eq!(
            value.py_repr(),
            "[datetime.datetime(2001, 12, 14, 21, 59, 43, 100000, \
             tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400))), \
             datetime.datetime(2001, 12, 14, 21, 59, 43, 100000), \
             datetime.date(2002, 12, 14), \
             datetime.datetime(2001, 12, 14, 21, 59, 43, 100000, \
             tzinfo=datetime.timezone(datetime.timedelta(seconds=19800))), \
             datetime.datetime(2001, 12, 14, 21, 59, 43, 123456, tzinfo=datetime.timezone.utc), \
             datetime.datetime(2001, 12, 14, 21, 59), \
             datetime.datetime(2001, 12, 14, 0, 0)]"
        );
        let date = &value.as_seq().unwrap()[2];
        assert_eq!(date.py_str(), "2002-12-14");
    }
}
