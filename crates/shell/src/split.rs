//! Python's `shlex.split(line, comments=…)` (POSIX mode): how Ansible's INI plugin cuts a host
//! line into `host key=value …` tokens (with comments) and how the `command` module turns its
//! free-form string into argv (without).
//!
//! Rules mirrored: whitespace separates tokens; `'…'` keeps everything literally; inside `"…"`
//! a backslash escapes only `"` and `\`; outside quotes a backslash escapes any character; with
//! comments on, `#` starts a comment wherever it appears outside quotes, even inside a word.

/// One token and the 0-based character offset where it starts in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token after quote removal.
    pub text: String,
    /// Character offset of the token's first character.
    pub start: usize,
}

/// Why a line could not be split (Python's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A quote opened at the given character offset is never closed.
    #[error("No closing quotation")]
    NoClosingQuote(usize),
    /// The line ends with a lone backslash at the given character offset.
    #[error("No escaped character")]
    NoEscapedChar(usize),
}

/// Splits `line` as `shlex.split(line, comments=comments)` does.
pub fn split(line: &str, comments: bool) -> Result<Vec<Token>, SplitError> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut chars = line.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                tokens.extend(current.take());
            }
            '#' if comments => break,
            '\'' | '"' => {
                let token = current.get_or_insert(Token {
                    text: String::new(),
                    start: i,
                });
                loop {
                    match chars.next() {
                        None => return Err(SplitError::NoClosingQuote(i)),
                        Some((_, q)) if q == c => break,
                        Some((j, '\\')) if c == '"' => match chars.peek() {
                            Some((_, e @ ('"' | '\\'))) => {
                                token.text.push(*e);
                                chars.next();
                            }
                            Some(_) => token.text.push('\\'),
                            None => return Err(SplitError::NoClosingQuote(j)),
                        },
                        Some((_, other)) => token.text.push(other),
                    }
                }
            }
            '\\' => {
                let token = current.get_or_insert(Token {
                    text: String::new(),
                    start: i,
                });
                match chars.next() {
                    Some((_, e)) => token.text.push(e),
                    None => return Err(SplitError::NoEscapedChar(i)),
                }
            }
            c => current
                .get_or_insert(Token {
                    text: String::new(),
                    start: i,
                })
                .text
                .push(c),
        }
    }
    tokens.extend(current);
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split(line, true)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn splits_like_python_shlex() {
        assert_eq!(
            texts(r#"h x="a b" y='c d' z=e\ f"#),
            ["h", "x=a b", "y=c d", "z=e f"]
        );
        assert_eq!(texts("h a=1 # comment"), ["h", "a=1"]);
        assert_eq!(texts("h a#b c"), ["h", "a"]);
        assert_eq!(texts(r#"h x="q\"q\n""#), ["h", r#"x=q"q\n"#]);
        assert_eq!(texts(r#"h x="'q'""#), ["h", "x='q'"]);
        assert_eq!(texts(r#"h x="""#), ["h", "x="]);
        assert_eq!(split("h  a=1", true).unwrap()[1].start, 3);
        assert_eq!(split("h x='a", true), Err(SplitError::NoClosingQuote(4)));
        assert_eq!(split("h x\\", true), Err(SplitError::NoEscapedChar(3)));
        let argv: Vec<String> = split("echo a#b 'c d'", false)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(argv, ["echo", "a#b", "c d"]);
    }
}
