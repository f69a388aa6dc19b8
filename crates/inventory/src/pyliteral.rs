//! Python's `ast.literal_eval` for INI inventory values, as Ansible's INI plugin applies it.
//!
//! `a=1` is the int 1, `a=1.5` a float, `a=True` a bool, `a=None` null, `a=[1,'x']` a list,
//! `a={'k': 1}` a dict, `a='x'` the string `x`; anything Python would refuse (`yes`, `01`,
//! `a b`, `1+2`) stays the text as written. Tuples and sets become lists; `...` and complex
//! numbers become their text, as in Ansible.

use oxible_yaml::{Map, Value, ValueKind};

/// The value Ansible's INI plugin gives `text`: the Python literal it spells, else the text.
pub fn ini_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::string(text))
}

/// Evaluates `text` as a Python literal, or `None` where `ast.literal_eval` raises.
pub fn literal_eval(text: &str) -> Option<Value> {
    let start = text.len() - text.trim_start_matches([' ', '\t']).len();
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: start,
        depth: 0,
    };
    let value = p.expr()?;
    p.skip_space();
    (p.i == p.s.len()).then_some(value)
}

/// Python's parser gives up (SyntaxError, "too many nested parentheses") beyond this many
/// open brackets; Ansible then keeps the text. Also bounds this parser's recursion.
const MAX_NESTING: usize = 200;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// Brackets open at the current position.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips whitespace, comments and (inside brackets) newlines.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' => self.i += 1,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'\\' if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                _ => break,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// One expression; `None` past [`MAX_NESTING`] open brackets.
    fn expr(&mut self) -> Option<Value> {
        self.skip_space();
        if !matches!(self.peek()?, b'[' | b'(' | b'{') {
            return self.atom();
        }
        if self.depth >= MAX_NESTING {
            return None;
        }
        self.depth += 1;
        let value = self.atom();
        self.depth -= 1;
        value
    }

    fn atom(&mut self) -> Option<Value> {
        match self.peek()? {
            sign @ (b'-' | b'+') => {
                self.i += 1;
                self.skip_space();
                let v = self.number()?;
                Some(if sign == b'-' { negate(v)? } else { v })
            }
            b'0'..=b'9' => self.number(),
            b'.' if self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) => self.number(),
            b'.' => {
                let rest = &self.s[self.i..];
                rest.starts_with(b"...").then(|| {
                    self.i += 3;
                    Value::string("...")
                })
            }
            b'[' => {
                self.i += 1;
                Some(Value::seq(self.items(b']')?.0))
            }
            b'(' => {
                self.i += 1;
                let (items, tuple) = self.items(b')')?;
                match (items.len(), tuple) {
                    (1, false) => items.into_iter().next(),
                    _ => Some(Value::seq(items)),
                }
            }
            b'{' => {
                self.i += 1;
                self.dict_or_set()
            }
            _ => self.word_or_string(),
        }
    }

    /// Comma-separated expressions up to `close`; the flag says a comma was seen.
    fn items(&mut self, close: u8) -> Option<(Vec<Value>, bool)> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return Some((items, comma));
            }
            items.push(self.expr()?);
            if self.eat(b',') {
                comma = true;
            } else if self.eat(close) {
                return Some((items, comma));
            } else {
                return None;
            }
        }
    }

    fn dict_or_set(&mut self) -> Option<Value> {
        if self.eat(b'}') {
            return Some(Value::map(Map::new()));
        }
        let first = self.expr()?;
        if !self.eat(b':') {
            // A set: Python's order for sets is not the written one; oxible keeps it.
            let mut items = vec![first];
            while self.eat(b',') {
                if self.eat(b'}') {
                    return Some(Value::seq(dedup(items)));
                }
                items.push(self.expr()?);
            }
            return self.eat(b'}').then(|| Value::seq(dedup(items)));
        }
        let mut map = Map::new();
        let mut key = first;
        loop {
            if matches!(key.kind, ValueKind::Seq(_) | ValueKind::Map(_)) {
                return None; // unhashable key: Python raises TypeError
            }
            let value = self.expr()?;
            map.insert(key, value);
            if self.eat(b'}') {
                return Some(Value::map(map));
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(b'}') {
                return Some(Value::map(map));
            }
            key = self.expr()?;
            if !self.eat(b':') {
                return None;
            }
        }
    }

    fn word_or_string(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            self.i += 1;
        }
        let word = &self.text[start..self.i];
        match self.peek() {
            Some(b'\'' | b'"') if word.len() <= 2 => {
                let prefix = word.to_ascii_lowercase();
                if !matches!(prefix.as_str(), "" | "r" | "u" | "b" | "br" | "rb") {
                    return None;
                }
                let raw = prefix.contains('r');
                let mut text = self.string(raw)?;
                // Adjacent string literals concatenate.
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(b'\'' | b'"') => text.push_str(&self.string(false)?),
                        _ => break,
                    }
                }
                Some(Value::string(text))
            }
            _ => match word {
                "True" => Some(Value::from(true)),
                "False" => Some(Value::from(false)),
                "None" => Some(Value::null()),
                _ => None,
            },
        }
    }

    /// A quoted string starting at the opening quote.
    fn string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s[self.i..].starts_with(&[q, q, q]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let c = rest.chars().next()?;
            if c as u32 == u32::from(q) && (!triple || rest.as_bytes().starts_with(&[q, q, q])) {
                self.i += if triple { 3 } else { 1 };
                return Some(out);
            }
            if c == '\n' && !triple {
                return None;
            }
            self.i += c.len_utf8();
            if c != '\\' {
                out.push(c);
                continue;
            }
            let e = self.text[self.i..].chars().next()?;
            self.i += e.len_utf8();
            if raw {
                out.push('\\');
                out.push(e);
                continue;
            }
            match e {
                '\n' => {}
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '0'..='7' => {
                    let mut n = e.to_digit(8)?;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                n = n * 8 + u32::from(d - b'0');
                                self.i += 1;
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(n)?);
                }
                'x' | 'u' | 'U' => {
                    let len = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex = self.text.get(self.i..self.i + len)?;
                    out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                    self.i += len;
                }
                'N' => return None, // named escapes: not supported, kept as text
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    /// An int or float literal (no sign).
    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            let c = self.s[self.i];
            self.i += 1;
            // exponent sign
            if matches!(c, b'e' | b'E')
                && !self.text[start..].starts_with("0x")
                && !self.text[start..].starts_with("0X")
                && matches!(self.peek(), Some(b'+' | b'-'))
            {
                self.i += 1;
            }
        }
        parse_number(&self.text[start..self.i])
    }
}

fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn negate(v: Value) -> Option<Value> {
    match v.kind {
        ValueKind::Int(i) => Some(Value::from(i.checked_neg()?)),
        ValueKind::Float(f) => Some(Value::new(ValueKind::Float(-f))),
        _ => None,
    }
}

/// Python's int and float literal syntax (underscores between digits, 0x/0o/0b prefixes).
fn parse_number(text: &str) -> Option<Value> {
    let clean = |digits: &str, ok: &dyn Fn(char) -> bool| -> Option<String> {
        let valid = !digits.is_empty()
            && !digits.starts_with('_')
            && !digits.ends_with('_')
            && !digits.contains("__")
            && digits.chars().all(|c| c == '_' || ok(c));
        valid.then(|| digits.replace('_', ""))
    };
    let lower = text.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let rest = rest.strip_prefix('_').unwrap_or(rest);
            let digits = clean(rest, &|c| c.is_digit(radix))?;
            return i64::from_str_radix(&digits, radix).ok().map(Value::from);
        }
    }
    if lower.ends_with('j') {
        return None; // complex: Ansible keeps the text
    }
    if let Some(digits) = clean(&lower, &|c| c.is_ascii_digit()) {
        // Decimal ints may not have leading zeros, except zero itself.
        if digits.len() > 1 && digits.starts_with('0') && digits.chars().any(|c| c != '0') {
            return None;
        }
        return digits.parse::<i64>().ok().map(Value::from);
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !mantissa.contains('.') && exponent.is_none() {
        return None;
    }
    let digits = |s: &str| s.is_empty() || clean(s, &|c| c.is_ascii_digit()).is_some();
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if !(digits(int_part) && digits(frac_part) && exp_ok) {
        return None;
    }
    lower
        .replace('_', "")
        .parse::<f64>()
        .ok()
        .map(|f| Value::new(ValueKind::Float(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> Value {
        Value::new(ValueKind::Float(x))
    }

    #[test]
    fn scalars_like_literal_eval() {
        assert_eq!(ini_value("1"), Value::from(1));
        assert_eq!(ini_value("-3"), Value::from(-3));
        assert_eq!(ini_value("0x10"), Value::from(16));
        assert_eq!(ini_value("1_000"), Value::from(1000));
        assert_eq!(ini_value("1.5"), f(1.5));
        assert_eq!(ini_value("1e3"), f(1000.0));
        assert_eq!(ini_value(".5"), f(0.5));
        assert_eq!(ini_value("True"), Value::from(true));
        assert_eq!(ini_value("None"), Value::null());
        assert_eq!(ini_value("yes"), Value::from("yes"));
        assert_eq!(ini_value("true"), Value::from("true"));
        assert_eq!(ini_value("01"), Value::from("01"));
        assert_eq!(ini_value("00"), Value::from(0));
        assert_eq!(ini_value("1+2"), Value::from("1+2"));
        assert_eq!(ini_value("a b ; c"), Value::from("a b ; c"));
        assert_eq!(ini_value("..."), Value::from("..."));
        assert_eq!(ini_value("1j"), Value::from("1j"));
        assert_eq!(ini_value(""), Value::from(""));
    }

    #[test]
    fn strings_and_containers() {
        assert_eq!(ini_value("'quoted'"), Value::from("quoted"));
        assert_eq!(ini_value(r#""a b" # c"#), Value::from("a b"));
        assert_eq!(ini_value(r"'a\tb'"), Value::from("a\tb"));
        assert_eq!(ini_value(r"r'a\tb'"), Value::from(r"a\tb"));
        assert_eq!(ini_value("'a' 'b'"), Value::from("ab"));
        assert_eq!(ini_value("'''x'''"), Value::from("x"));
        assert_eq!(
            ini_value("[1, 'x',]"),
            Value::seq(vec![Value::from(1), Value::from("x")])
        );
        assert_eq!(ini_value("(1,)"), Value::seq(vec![Value::from(1)]));
        assert_eq!(ini_value("(1)"), Value::from(1));
        let mut m = Map::new();
        m.insert(Value::from("k"), Value::from(1));
        assert_eq!(ini_value("{'k': 1}"), Value::map(m));
        assert_eq!(ini_value("{k:v}"), Value::from("{k:v}"));
        assert_eq!(ini_value("{[1]: 2}"), Value::from("{[1]: 2}"));
        assert_eq!(ini_value("[1, 2"), Value::from("[1, 2"));
    }

    #[test]
    fn nesting_limit_like_python() {
        // python -c "import ast; ast.literal_eval('['*201 + ']'*201)" raises SyntaxError;
        // 200 levels still parse.
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(matches!(ini_value(&nested(200)).kind, ValueKind::Seq(_)));
        assert_eq!(ini_value(&nested(201)), Value::string(nested(201)));
        let mixed = format!("{}1{}", "{1:".repeat(201), "}".repeat(201));
        assert_eq!(ini_value(&mixed), Value::string(mixed.as_str()));
        // Deep enough to overflow the stack without the limit.
        let deep = "[".repeat(100_000);
        assert_eq!(ini_value(&deep), Value::string(deep.as_str()));
    }
}
