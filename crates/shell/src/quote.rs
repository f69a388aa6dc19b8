//! POSIX shell quoting: making a word safe to paste into a command line.

/// `word` as a single POSIX shell word: unchanged when it only holds safe characters, else
/// wrapped in single quotes with embedded single quotes written as `'"'"'` (Python's
/// `shlex.quote`, which Ansible uses).
pub fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\"'\"'"))
}

/// `bytes` as a single POSIX shell word, for names that need not be UTF-8 (file names):
/// [`quote`] when they are text; otherwise the text runs single-quoted and each run of
/// invalid bytes written as `"$(printf '\ooo')"` (octal escapes), all glued into one word.
/// The result is plain ASCII/UTF-8, so it fits in a command line held as a `String`.
pub fn quote_bytes(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return quote(text);
    }
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        if !chunk.valid().is_empty() {
            out.push_str(&format!("'{}'", chunk.valid().replace('\'', "'\"'\"'")));
        }
        if !chunk.invalid().is_empty() {
            let escaped: String = chunk
                .invalid()
                .iter()
                .map(|b| format!("\\{b:03o}"))
                .collect();
            out.push_str(&format!("\"$(printf '{escaped}')\""));
        }
    }
    out
}

/// Joins `words` into one command line, each quoted.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh_printf(word: &str) -> Vec<u8> {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {word}"))
            .output()
            .expect("sh runs")
            .stdout
    }

    #[test]
    fn bytes_that_are_not_utf8_stay_one_word() {
        for bytes in [
            &b"\xff"[..],
            b"a\xfe b'\n\xc3",
            b"\xff\xfe$(id)\n",
            b"%s\\\x80\n\n",
        ] {
            let word = quote_bytes(bytes);
            assert_eq!(sh_printf(&word), bytes, "{bytes:?} quoted as {word}");
        }
    }

    #[test]
    fn hostile_words_stay_single_words() {
        for word in [
            "",
            "a b",
            "$(rm -rf /)",
            "`id`",
            "it's",
            "a'b'c",
            "\n",
            "*",
            "; ls",
            "\\",
            "--x=\"y\"",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(word)))
                .output()
                .expect("sh runs");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                word,
                "{word:?} quoted as {}",
                quote(word)
            );
        }
        assert_eq!(quote("/etc/nginx.conf"), "/etc/nginx.conf");
        assert_eq!(quote_bytes(b"a b"), "'a b'");
        assert_eq!(join(&["echo", "a b"]), "echo 'a b'");
    }
}
