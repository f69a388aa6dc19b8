//! Python `re` patterns translated to fancy-regex's syntax and compiled with Python's flags
//! and match anchoring.

use fancy_regex::Regex;

use crate::PatternError;

/// Where a pattern must match, as Python's `re.search`, `re.match` and `re.fullmatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Anywhere.
    Search,
    /// At the start.
    Match,
    /// The whole text.
    FullMatch,
}

/// Compiles a Python pattern with Python's `re.I` (`ignorecase`) and `re.M` (`multiline`)
/// flags, anchored as asked.
pub fn compile(
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
    anchor: Anchor,
) -> Result<Regex, PatternError> {
    let translated = translate(pattern, multiline)?;
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
    Regex::new(&full).map_err(|e| PatternError::Invalid {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })
}

/// Translates a Python `re` pattern into fancy-regex's syntax; `multiline` is Python's
/// `re.M` (without it, `$` also matches before a final newline). The error says what is wrong.
pub fn translate(pattern: &str, multiline: bool) -> Result<String, PatternError> {
    let unsupported = |what: &str| PatternError::Unsupported {
        what: what.to_string(),
        pattern: pattern.to_string(),
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
                return Err(PatternError::Syntax(
                    "bad escape (end of pattern)".to_string(),
                ));
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
                        return Err(PatternError::Syntax(format!("bad escape \\{e}")));
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
                e if e.is_ascii_alphanumeric() => {
                    return Err(PatternError::Syntax(format!("bad escape \\{e}")));
                }
                e => out.push_str(&fancy_regex::escape(e.encode_utf8(&mut [0; 4]))),
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
                    let close =
                        chars
                            .iter()
                            .skip(i)
                            .position(|&ch| ch == ')')
                            .ok_or_else(|| {
                                PatternError::Syntax("missing ), unterminated comment".into())
                            })?;
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
        assert!(matches!(
            translate("(?a)x", true),
            Err(PatternError::Unsupported { .. })
        ));
    }

    #[test]
    fn anchors_as_python_match_functions() {
        let re = |anchor| compile("b+", false, false, anchor).expect("compiles");
        assert!(re(Anchor::Search).is_match("abb").expect("matches"));
        assert!(!re(Anchor::Match).is_match("abb").expect("matches"));
        assert!(!re(Anchor::FullMatch).is_match("bba").expect("matches"));
        assert!(re(Anchor::FullMatch).is_match("bb").expect("matches"));
    }
}
