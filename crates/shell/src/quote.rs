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
        assert_eq!(join(&["echo", "a b"]), "echo 'a b'");
    }
}
