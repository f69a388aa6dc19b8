//! Helpers the package modules share (`apt`, `apt_key`, `apt_repository`, `package`, `pip`):
//! the environment apt runs in, Debian version ordering, and command output as Ansible's
//! result keys.

use std::cmp::Ordering;

use oxible_connection::ExecOutput;

use crate::Outcome;

/// The environment Ansible's apt modules run apt in: no prompts, a parsable locale.
pub(crate) const APT_ENV: &str = "export DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical \
LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8 LC_CTYPE=C.UTF-8 LANGUAGE=C.UTF-8\n";

/// A shell snippet downloading `url` to the file `dest` (both shell words) with the target's
/// curl, else its wget (as the package modules fetch remote packages and keys on the target);
/// on failure it exits non-zero with the client's error on stderr.
pub(crate) fn download_snippet(url: &str, dest: &str, validate_certs: bool) -> String {
    let (insecure_curl, insecure_wget) = if validate_certs {
        ("", "")
    } else {
        (" -k", " --no-check-certificate")
    };
    format!(
        "if command -v curl >/dev/null 2>&1; then curl -fsSL{insecure_curl} -o {dest} {url}; \
         elif command -v wget >/dev/null 2>&1; then wget -q{insecure_wget} -O {dest} {url}; \
         else echo 'neither curl nor wget is installed' >&2; false; fi"
    )
}

/// Sets `stdout` and `stderr` from a command's output (their `_lines` are added for every
/// result by [`Outcome::into_result`], as Ansible's action layer adds them).
pub(crate) fn set_output(outcome: &mut Outcome, stdout: &str, stderr: &str) {
    outcome.set("stdout", stdout).set("stderr", stderr);
}

/// The command's standard output and error as text.
pub(crate) fn texts(out: &ExecOutput) -> (String, String) {
    (out.stdout_text(), out.stderr_text())
}

/// Compares two Debian versions (`[epoch:]upstream[-revision]`) as `dpkg --compare-versions`.
pub(crate) fn deb_cmp(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (u64, &str, &str) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) => {
                (e.parse().unwrap_or(0), rest)
            }
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((upstream, revision)) => (epoch, upstream, revision),
            None => (epoch, rest, ""),
        }
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// dpkg's `verrevcmp`: alternating non-digit runs (letters before other characters, `~`
/// before everything, even the end) and numeric runs.
fn verrevcmp(mut a: &[u8], mut b: &[u8]) -> Ordering {
    fn order(c: Option<&u8>) -> i32 {
        match c {
            None => 0,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
            Some(b'~') => -1,
            Some(c) => i32::from(*c) + 256,
        }
    }
    let digit = |s: &[u8]| s.first().is_some_and(u8::is_ascii_digit);
    while !a.is_empty() || !b.is_empty() {
        while (!a.is_empty() && !digit(a)) || (!b.is_empty() && !digit(b)) {
            let (oa, ob) = (order(a.first()), order(b.first()));
            if oa != ob {
                return oa.cmp(&ob);
            }
            a = a.get(1..).unwrap_or_default();
            b = b.get(1..).unwrap_or_default();
        }
        let strip = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
        a = &a[strip(a)..];
        b = &b[strip(b)..];
        let (na, nb) = (
            a.iter().take_while(|c| c.is_ascii_digit()).count(),
            b.iter().take_while(|c| c.is_ascii_digit()).count(),
        );
        let by_value = na.cmp(&nb).then_with(|| a[..na].cmp(&b[..nb]));
        if by_value != Ordering::Equal {
            return by_value;
        }
        a = &a[na..];
        b = &b[nb..];
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_order_like_dpkg() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.1", Less),
            ("1.10", "1.9", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1:0.1", "2.0", Greater),
            ("1.0-1", "1.0-2", Less),
            ("1.0a", "1.0", Greater),
            ("2.36.1-8+deb12u1", "2.36.1-8", Greater),
            ("007", "7", Equal),
        ] {
            assert_eq!(deb_cmp(a, b), want, "{a} vs {b}");
        }
    }
}
