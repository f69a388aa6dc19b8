//! Host addresses and host ranges, as Ansible's `parse_address` and `expand_hostname_range` read
//! them (ansible/parsing/utils/addresses.py, ansible/plugins/inventory/__init__.py).
//!
//! A host entry is a name, an IPv4 or IPv6 address, optionally followed by `:port`
//! (`[addr]:port` for IPv6), and may hold ranges: `web[01:10]`, `db[a:f]`, `x[1:10:2]`.

use std::sync::LazyLock;

use regex::Regex;

/// A numeric range `[1:10]` / `[1:10:2]`, as IPv4 components may hold.
const NUMERIC_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
/// A hexadecimal range, as IPv6 components may hold.
const HEX_RANGE: &str = r"\[(?:[0-9a-fA-F]+:[0-9a-fA-F]+)(?::[0-9]+)?\]";
/// A one-letter or numeric range, as hostname labels may hold (case-insensitive).
const ALNUM_RANGE: &str = r"\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, checked by the unit tests.
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("bad built-in regex {pattern}: {e}"))
}

static BRACKETED_HOSTPORT: LazyLock<Regex> = LazyLock::new(|| compile(r"^\[(.+)\]:([0-9]+)$"));
static HOSTPORT: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
    compile(&format!(r"^(?:{c}\.){{3}}{c}$"))
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[0-9a-fA-F]{{1,4}}|{HEX_RANGE})");
    compile(&format!(
        r"^(?:(?:{c}:){{7}}{c}|(?:{c}:){{1,6}}:|(?:{c}:)(?::{c}){{1,6}}|(?:{c}:){{2}}(?::{c}){{1,5}}|(?:{c}:){{3}}(?::{c}){{1,4}}|(?:{c}:){{4}}(?::{c}){{1,3}}|(?:{c}:){{5}}(?::{c}){{1,2}}|(?:{c}:){{6}}(?::{c})|:(?::{c}){{1,6}}|{c}?::|(?:0:){{6}}(?:{c}\.){{3}}{c}|::(?:[fF]{{4}}:)?(?:{c}\.){{3}}{c}|(?:0:){{5}}[fF]{{4}}:(?:{c}\.){{3}}{c})$"
    ))
});
static ALNUM_RANGE_RE: LazyLock<Regex> = LazyLock::new(|| compile(ALNUM_RANGE));

/// Whether `name` is a valid IPv4 or IPv6 address (ranges allowed), as Ansible's `patterns`
/// `ipv4`/`ipv6` test it; `inventory_hostname_short` keeps such names whole.
pub fn is_ip_address(name: &str) -> bool {
    IPV4.is_match(name) || IPV6.is_match(name)
}

/// Whether `name` is a hostname: dot-separated labels of word characters, ranges and `-`/`_`,
/// each starting with a word character or range and not ending with `-` or `_`.
fn is_hostname(name: &str) -> bool {
    // Ranges count as one word character (Python's pattern allows them anywhere a \w is).
    let flat = ALNUM_RANGE_RE.replace_all(name, "0");
    flat.split('.').all(|label| {
        let mut chars = label.chars();
        let first_ok = chars.next().is_some_and(is_word);
        let last_ok = label.chars().last().is_some_and(|c| c != '-' && c != '_');
        first_ok && last_ok && label.chars().all(|c| is_word(c) || c == '-')
    })
}

/// Python's `\w` for `str` patterns.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `address` into a host and an optional port, or `None` when it is not a valid
/// address (Ansible's `parse_address`, which raises there).
///
/// With `allow_ranges` false, a host holding `[` is refused (the `host_list` plugin's rule).
pub fn parse_address(address: &str, allow_ranges: bool) -> Option<(String, Option<u16>)> {
    let mut address = address.to_string();
    let mut port = None;
    // Python tries both forms in turn, the second on what the first left.
    for re in [&*BRACKETED_HOSTPORT, &*HOSTPORT] {
        if let Some(c) = re.captures(&address) {
            let host = c[1].to_string();
            port = Some(c[2].parse::<u64>().ok()?);
            address = host;
        }
    }
    if !(IPV4.is_match(&address) || IPV6.is_match(&address) || is_hostname(&address)) {
        return None;
    }
    if !allow_ranges && address.contains('[') {
        return None;
    }
    // Ports beyond 16 bits are kept by Ansible as ints; oxible refuses them as addresses.
    let port = match port {
        Some(p) => Some(u16::try_from(p).ok()?),
        None => None,
    };
    Some((address, port))
}

/// Why a host range could not be expanded (the messages are Ansible's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// `[` without a matching `]`, or several `|` in the name.
    #[error(
        "host range in '{0}' is not closed: write it as name[begin:end] or name[begin:end:step]"
    )]
    Unbalanced(String),
    /// Not `begin:end` or `begin:end:step`.
    #[error("host range must be begin:end or begin:end:step")]
    Bounds,
    /// `[1:]`.
    #[error("host range must specify end value")]
    NoEnd,
    /// `[01:5]`.
    #[error("host range must specify equal-length begin and end formats")]
    Width,
    /// `[c:a]`.
    #[error("host range must have begin <= end")]
    Order,
    /// A bound or step that is not a number (nor a letter for alphabetic ranges).
    #[error("invalid literal for a host range bound: '{0}' (use numbers, or single letters)")]
    NotANumber(String),
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Python's `int(text)` for range bounds: surrounding space, a sign and `_` between digits.
fn python_int(text: &str) -> Result<i64, RangeError> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let valid = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(RangeError::NotANumber(text.to_string()));
    }
    t.replace('_', "")
        .parse()
        .map_err(|_| RangeError::NotANumber(text.to_string()))
}

/// Expands every `[begin:end(:step)]` range in `name`, leftmost first, in Ansible's order.
///
/// `web[01:03]` gives `web01 web02 web03` (zero padding follows `begin`), `db[a:c]` gives
/// `dba dbb dbc`, `x[1:10:3]` gives `x1 x4 x7 x10`. A name without `[` is returned as is.
pub fn expand_hostname_range(name: &str) -> Result<Vec<String>, RangeError> {
    if !name.contains('[') {
        return Ok(vec![name.to_string()]);
    }
    let replaced = name.replacen('[', "|", 1).replacen(']', "|", 1);
    let parts: Vec<&str> = replaced.split('|').collect();
    let [head, range, tail] = parts[..] else {
        return Err(RangeError::Unbalanced(name.to_string()));
    };
    let bounds: Vec<&str> = range.split(':').collect();
    let (beg, end, step) = match bounds[..] {
        [b, e] => (b, e, "1"),
        [b, e, s] => (b, e, s),
        _ => return Err(RangeError::Bounds),
    };
    let beg = if beg.is_empty() { "0" } else { beg };
    if end.is_empty() {
        return Err(RangeError::NoEnd);
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err(RangeError::Width);
        }
        beg.len()
    } else {
        0
    };
    let step = python_int(step)?;
    let items: Vec<String> = match (ASCII_LETTERS.find(beg), ASCII_LETTERS.find(end)) {
        (Some(b), Some(e)) if step != 0 => {
            if b > e {
                return Err(RangeError::Order);
            }
            python_slice(ASCII_LETTERS.as_bytes(), b as i64, e as i64 + 1, step)
                .into_iter()
                .map(|c| char::from(c).to_string())
                .collect()
        }
        _ => {
            let (b, e) = (python_int(beg)?, python_int(end)?);
            if step == 0 {
                return Err(RangeError::NotANumber("0".into()));
            }
            python_range(b, e + 1, step)
                .map(|i| format!("{i:0width$}"))
                .collect()
        }
    };
    let mut hosts = Vec::new();
    for item in items {
        hosts.extend(expand_hostname_range(&format!("{head}{item}{tail}"))?);
    }
    Ok(hosts)
}

/// Python's `range(start, stop, step)` (step is not zero).
fn python_range(start: i64, stop: i64, step: i64) -> impl Iterator<Item = i64> {
    let mut i = start;
    std::iter::from_fn(move || {
        let more = if step > 0 { i < stop } else { i > stop };
        more.then(|| {
            let v = i;
            i = i.saturating_add(step);
            if i == v {
                i = stop
            } // saturated: stop next time
            v
        })
    })
}

/// Python's `seq[start:stop:step]` for in-range `start` and `stop` (step is not zero).
fn python_slice(seq: &[u8], start: i64, stop: i64, step: i64) -> Vec<u8> {
    python_range(start, stop, step)
        .filter_map(|i| usize::try_from(i).ok().and_then(|i| seq.get(i).copied()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ports() {
        assert_eq!(parse_address("web1", true), Some(("web1".into(), None)));
        assert_eq!(
            parse_address("db:2222", true),
            Some(("db".into(), Some(2222)))
        );
        assert_eq!(
            parse_address("db[a:c]:2222", true),
            Some(("db[a:c]".into(), Some(2222)))
        );
        assert_eq!(
            parse_address("10.0.0.1:22", true),
            Some(("10.0.0.1".into(), Some(22)))
        );
        assert_eq!(
            parse_address("[::1]:22", true),
            Some(("::1".into(), Some(22)))
        );
        assert_eq!(parse_address("::1", true), Some(("::1".into(), None)));
        assert_eq!(parse_address("a:b", true), None);
        assert_eq!(parse_address("web-", true), None);
        assert_eq!(parse_address("web[1:2]", false), None);
        assert!(is_ip_address("192.168.1.1") && !is_ip_address("host.example.com"));
    }

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(
            expand_hostname_range("web[01:03]").unwrap(),
            ["web01", "web02", "web03"]
        );
        assert_eq!(
            expand_hostname_range("db[a:c]").unwrap(),
            ["dba", "dbb", "dbc"]
        );
        assert_eq!(
            expand_hostname_range("x[1:10:3]").unwrap(),
            ["x1", "x4", "x7", "x10"]
        );
        assert_eq!(
            expand_hostname_range("h[1:2]-[a:b]").unwrap(),
            ["h1-a", "h1-b", "h2-a", "h2-b"]
        );
        assert_eq!(expand_hostname_range("h[:1]").unwrap(), ["h0", "h1"]);
        assert_eq!(expand_hostname_range("h[01:5]"), Err(RangeError::Width));
        assert_eq!(expand_hostname_range("h[c:a]"), Err(RangeError::Order));
        assert_eq!(expand_hostname_range("h[1:]"), Err(RangeError::NoEnd));
        assert_eq!(expand_hostname_range("h[1]"), Err(RangeError::Bounds));
        assert!(matches!(
            expand_hostname_range("[bad"),
            Err(RangeError::Unbalanced(_))
        ));
        assert!(matches!(
            expand_hostname_range("h[x:1]"),
            Err(RangeError::NotANumber(_))
        ));
    }
}
