//! Free-form `k=v` argument strings, split as Ansible's `parsing/splitter.py` splits them.
//!
//! `split_args` breaks on spaces but keeps quoted strings and Jinja `{{ }}`, `{% %}`, `{# #}`
//! blocks together, and keeps newlines; `parse_kv` turns the pieces into a dict, sending
//! pieces without `=` (and, for command-like modules, everything but a few known options) to
//! `_raw_params`.

use indexmap::IndexMap;

/// Why an argument string could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed at splitting arguments, either an unbalanced jinja2 block or quotes: {0}")]
pub struct SplitError(pub String);

/// Options command-like modules accept as `k=v` inside their free-form string
/// (Ansible's `parse_kv(check_raw=True)` list).
const RAW_OPTIONS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// The quote still open after `token`, starting from `quote` (Ansible's `_get_quote_state`).
fn quote_state(token: &str, mut quote: Option<char>) -> Option<char> {
    let mut prev = None;
    for c in token.chars() {
        if (c == '"' || c == '\'') && prev != Some('\\') {
            match quote {
                Some(q) if q == c => quote = None,
                Some(_) => {}
                None => quote = Some(c),
            }
        }
        prev = Some(c);
    }
    quote
}

/// The Jinja nesting depth after `token` (Ansible's `_count_jinja2_blocks`).
fn jinja_depth(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let opened = token.matches(open).count();
    let closed = token.matches(close).count();
    (depth + opened).saturating_sub(closed)
}

/// Splits `args` on whitespace, keeping quoted strings and Jinja blocks whole
/// (Ansible's `split_args`).
pub fn split_args(args: &str) -> Result<Vec<String>, SplitError> {
    let mut params: Vec<String> = Vec::new();
    let mut quote = None;
    let mut inside_quotes = false;
    let mut depths = [0usize; 3];
    const PAIRS: [(&str, &str); 3] = [("{{", "}}"), ("{%", "%}"), ("{#", "#}")];
    let lines: Vec<&str> = args.split('\n').collect();
    for (line_idx, line) in lines.iter().enumerate() {
        let mut continuation = false;
        for (idx, token) in line.split(' ').enumerate() {
            if token.is_empty() && idx != 0 {
                match params.last_mut() {
                    Some(last) => last.push(' '),
                    None => params.push(" ".into()),
                }
                continue;
            }
            if token == "\\" && !inside_quotes {
                continuation = true;
                continue;
            }
            let was_inside = inside_quotes;
            quote = quote_state(token, quote);
            inside_quotes = quote.is_some();
            let in_jinja = depths.iter().any(|d| *d > 0);
            let mut appended = false;
            if inside_quotes && !was_inside && !in_jinja {
                params.push(token.to_string());
                appended = true;
            } else if in_jinja || inside_quotes || was_inside {
                let spacer = if idx > 0 { " " } else { "" };
                match params.last_mut() {
                    Some(last) => {
                        last.push_str(spacer);
                        last.push_str(token);
                    }
                    None => params.push(token.to_string()),
                }
                appended = true;
            }
            for (depth, (open, close)) in depths.iter_mut().zip(PAIRS) {
                let before = *depth;
                *depth = jinja_depth(token, *depth, open, close);
                if *depth != before && !appended {
                    params.push(token.to_string());
                    appended = true;
                }
            }
            if depths.iter().all(|d| *d == 0) && !inside_quotes && !appended && !token.is_empty() {
                params.push(token.to_string());
            }
        }
        if lines.len() > 1 && line_idx != lines.len() - 1 && !continuation {
            match params.last_mut() {
                Some(last) => last.push('\n'),
                None => params.push("\n".into()),
            }
        }
    }
    if depths.iter().any(|d| *d > 0) || inside_quotes {
        return Err(SplitError(args.to_string()));
    }
    Ok(params)
}

/// Joins pieces back, keeping newlines (Ansible's `join_args`).
fn join_args(pieces: &[String]) -> String {
    let mut out = String::new();
    for piece in pieces {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(piece);
    }
    out
}

/// Removes one pair of matching outer quotes (Ansible's `parsing.quoting.unquote`).
pub fn unquote(text: &str) -> &str {
    let bytes = text.as_bytes();
    let quoted = bytes.len() > 1
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[0] == bytes[bytes.len() - 1]
        && bytes[bytes.len() - 2] != b'\\';
    if quoted {
        &text[1..text.len() - 1]
    } else {
        text
    }
}

/// Decodes Python string escapes (`\n`, `\t`, `\\`, `\xHH`, `\uHHHH`, …) as Ansible's
/// `_decode_escapes` does before looking for `=`.
fn decode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let simple = match chars[i + 1] {
                '\\' => Some('\\'),
                '\'' => Some('\''),
                '"' => Some('"'),
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\x0b'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            let width = match chars[i + 1] {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            if width > 0 && i + 2 + width <= chars.len() {
                let hex: String = chars[i + 2..i + 2 + width].iter().collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                    i += 2 + width;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Parses `k=v` pairs into an ordered dict (Ansible's `parse_kv`).
///
/// Pieces without an unescaped `=` go to `_raw_params`; with `check_raw` (command-like
/// modules) so do `k=v` pieces whose key is not one of the module's few options.
pub fn parse_kv(args: &str, check_raw: bool) -> Result<IndexMap<String, String>, SplitError> {
    let mut options = IndexMap::new();
    let mut raw = Vec::new();
    for orig in split_args(args)? {
        let piece = decode_escapes(&orig);
        let eq = piece
            .char_indices()
            .skip(1)
            .find(|&(pos, c)| c == '=' && !piece[..pos].ends_with('\\'))
            .map(|(pos, _)| pos);
        match eq {
            None if piece.contains('=') => raw.push(piece.replace("\\=", "=")),
            None => raw.push(orig),
            Some(pos) => {
                let key = &piece[..pos];
                if check_raw && !RAW_OPTIONS.contains(&key) {
                    raw.push(orig);
                } else {
                    let value = piece[pos + 1..].trim();
                    options.insert(key.trim().to_string(), unquote(value).to_string());
                }
            }
        }
    }
    if !raw.is_empty() {
        options.insert("_raw_params".to_string(), join_args(&raw));
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(args: &str, raw: bool) -> Vec<(String, String)> {
        parse_kv(args, raw).unwrap().into_iter().collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn splits_keeping_quotes_and_jinja() {
        assert_eq!(
            split_args(r#"a=b c="foo bar""#).unwrap(),
            vec!["a=b", r#"c="foo bar""#]
        );
        assert_eq!(
            split_args("msg={{ a | default('x y') }} z=1").unwrap(),
            vec!["msg={{ a | default('x y') }}", "z=1"]
        );
        assert_eq!(split_args("a\nb c").unwrap(), vec!["a\n", "b", "c"]);
        assert!(split_args("a='open").is_err());
        assert!(split_args("{{ a").is_err());
    }

    #[test]
    fn parses_key_values_and_unquotes() {
        assert_eq!(
            kv("src=a dest='b c'", false),
            vec![pair("src", "a"), pair("dest", "b c")]
        );
        assert_eq!(
            kv("msg=hi there", false),
            vec![pair("msg", "hi"), pair("_raw_params", "there")]
        );
    }

    #[test]
    fn command_modules_keep_free_form() {
        assert_eq!(
            kv("echo a=b chdir=/tmp", true),
            vec![pair("chdir", "/tmp"), pair("_raw_params", "echo a=b")]
        );
        assert_eq!(kv("ls -l", true), vec![pair("_raw_params", "ls -l")]);
    }

    #[test]
    fn escaped_equals_is_not_a_separator() {
        assert_eq!(kv(r"a\=b", false), vec![pair("_raw_params", "a=b")]);
        assert_eq!(kv(r"k=a\tb", false), vec![pair("k", "a\tb")]);
    }

    #[test]
    fn unquotes_only_matching_pairs() {
        assert_eq!(unquote("'a'"), "a");
        assert_eq!(unquote("\"a'"), "\"a'");
        assert_eq!(unquote("'"), "'");
    }
}
