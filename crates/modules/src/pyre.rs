//! Python `re` patterns and replacement templates for the modules that take them (`lineinfile`,
//! `replace`, `find`), on the `regex` crate: `\Z` is translated; constructs the crate lacks
//! (lookarounds, backreferences in patterns) are errors naming the pattern.

use regex::{Captures, Regex};

/// Compiles a Python pattern; `param` names the argument in the error.
pub(crate) fn compile(param: &str, pattern: &str, multiline: bool) -> Result<Regex, String> {
    let translated = pattern.replace("\\Z", "\\z");
    let translated = if multiline {
        format!("(?m){translated}")
    } else {
        translated
    };
    Regex::new(&translated).map_err(|e| {
        let detail = e.to_string();
        let reason = detail.lines().last().unwrap_or_default().trim().to_string();
        format!(
            "{param} '{pattern}' uses a construct oxible's regex engine does not support (lookarounds and backreferences are not available): {reason}"
        )
    })
}

/// Python's `match.expand(template)`: `\1`, `\g<1>`, `\g<name>`, and escapes `\n`, `\t`, `\\`.
pub(crate) fn expand(template: &str, caps: &Captures<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let group = |name: &str| -> String {
        let m = match name.parse::<usize>() {
            Ok(i) => caps.get(i),
            Err(_) => caps.name(name),
        };
        m.map(|m| m.as_str().to_string()).unwrap_or_default()
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(d) if d.is_ascii_digit() => {
                let mut digits = d.to_string();
                if let Some(&e) = chars.peek()
                    && e.is_ascii_digit()
                {
                    digits.push(e);
                    chars.next();
                }
                out.push_str(&group(&digits));
            }
            Some('g') if chars.peek() == Some(&'<') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                out.push_str(&group(&name));
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_python_templates() {
        let re = compile("regexp", r"^(?P<key>\w+)=(\d+)\Z", false).expect("compiles");
        let caps = re.captures("port=80").expect("matches");
        assert_eq!(expand(r"\g<key> is \2\n\\", &caps), "port is 80\n\\");
        assert!(
            compile("regexp", r"(?<=a)b", false)
                .expect_err("lookbehind")
                .contains("regexp '(?<=a)b'")
        );
    }
}
