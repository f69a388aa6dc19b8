//! Python replacement templates (`re.sub`'s and `Match.expand`'s): `\1`, `\g<name>`,
//! `\g<1>` and the escapes `\n`, `\t`, `\\`…

use fancy_regex::{Captures, Regex};

use crate::PatternError;

/// One piece of a Python replacement template.
enum Piece {
    Text(String),
    Group(usize),
}

/// A parsed replacement template, checked against the pattern's groups.
pub struct Replacement(Vec<Piece>);

impl Replacement {
    /// Parses a Python replacement template (`\1`, `\g<name>`, `\g<1>`, `\n`, `\\`…).
    pub fn parse(template: &str, re: &Regex) -> Result<Self, PatternError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = template.chars().peekable();
        let group_count = re.captures_len();
        let check = |n: usize| {
            if n < group_count {
                Ok(n)
            } else {
                Err(PatternError::Syntax(format!("invalid group reference {n}")))
            }
        };
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            let group = match chars.next() {
                None => return Err(PatternError::Syntax("bad escape (end of pattern)".into())),
                Some('g') => {
                    if chars.next() != Some('<') {
                        return Err(PatternError::Syntax("missing < in \\g".into()));
                    }
                    let name: String = chars.by_ref().take_while(|&ch| ch != '>').collect();
                    let index = match name.parse::<usize>() {
                        Ok(n) => check(n)?,
                        Err(_) => re
                            .capture_names()
                            .position(|n| n == Some(name.as_str()))
                            .ok_or_else(|| {
                                PatternError::Syntax(format!("unknown group name '{name}'"))
                            })?,
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
                            return Err(PatternError::Syntax(format!("bad escape \\{e}")));
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
        Ok(Self(pieces))
    }

    /// The template with `caps`' groups filled in (an unmatched group is empty, as Python's).
    pub fn expand(&self, caps: &Captures<'_>) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
            }
        }
        out
    }

    /// `text` with each of `found` (matches in it, in order) replaced by the template: the
    /// result of Python's `re.sub`.
    pub fn substitute(&self, text: &str, found: &[Captures<'_>]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in found {
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&text[last..whole.start()]);
            out.push_str(&self.expand(caps));
            last = whole.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_python_templates() {
        let re = Regex::new(r"^(?P<key>\w+)=(\d+)(x)?").expect("compiles");
        let caps = re.captures("port=80").expect("matches").expect("a match");
        let template = Replacement::parse(r"\g<key> is \2\3\n\\", &re).expect("parses");
        assert_eq!(template.expand(&caps), "port is 80\n\\");
        assert!(Replacement::parse(r"\4", &re).is_err());
        assert!(Replacement::parse(r"\q", &re).is_err());
    }
}
