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
    /// The ranges of one name multiply to more than [`MAX_RANGE_HOSTS`] hosts.
    #[error(
        "host range expands to {0} hosts, more than the {MAX_RANGE_HOSTS} oxible accepts in one entry"
    )]
    TooMany(u64),
}

impl RangeError {
    /// What to write instead, for a diagnostic's help line.
    pub fn help(&self) -> &'static str {
        match self {
            RangeError::TooMany(_) => {
                "split the range into several entries of at most 1000000 hosts each, e.g. web[0:499999] and web[500000:999999]"
            }
            _ => {
                "a host range is name[begin:end] or name[begin:end:step], e.g. web[01:10] or db[a:f]"
            }
        }
    }
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Python's `int(text)` for text: surrounding whitespace, a sign, and `_` between digits
/// (`int(" 1_0 ")` is 10); `None` where Python raises or the value leaves 64 bits.
pub(crate) fn python_int_text(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let valid = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !valid {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// [`python_int_text`] for range bounds.
fn python_int(text: &str) -> Result<i64, RangeError> {
    python_int_text(text).ok_or_else(|| RangeError::NotANumber(text.to_string()))
}

/// The most hosts one entry may expand to; Ansible has no limit, but `h[0:9999999999]` would
/// exhaust memory.
pub const MAX_RANGE_HOSTS: u64 = 1_000_000;

/// The values of the first range in a name: `(head, items, tail)`.
struct FirstRange {
    head: String,
    items: RangeItems,
    tail: String,
}

/// A range's values, numeric ones kept as bounds until the total size is known.
enum RangeItems {
    /// Letters of an alphabetic range (at most 52).
    Letters(Vec<String>),
    /// Python's `range(begin, end, step)`, zero-padded to `width`.
    Numbers {
        begin: i64,
        end: i64,
        step: i64,
        width: usize,
    },
}

impl RangeItems {
    /// How many values the range has, without building them.
    fn len(&self) -> u64 {
        match self {
            RangeItems::Letters(items) => items.len() as u64,
            RangeItems::Numbers {
                begin, end, step, ..
            } => {
                let (b, e, s) = (i128::from(*begin), i128::from(*end), i128::from(*step));
                let n = if s > 0 && b < e {
                    (e - b - 1) / s + 1
                } else if s < 0 && b > e {
                    (b - e - 1) / -s + 1
                } else {
                    0
                };
                u64::try_from(n).unwrap_or(u64::MAX)
            }
        }
    }

    fn values(&self) -> Vec<String> {
        match self {
            RangeItems::Letters(items) => items.clone(),
            RangeItems::Numbers {
                begin,
                end,
                step,
                width,
            } => python_range(*begin, *end, *step)
                .map(|i| format!("{i:0width$}"))
                .collect(),
        }
    }
}

/// Parses the leftmost `[begin:end(:step)]` of `name`, or `None` when it has no `[`.
fn first_range(name: &str) -> Result<Option<FirstRange>, RangeError> {
    if !name.contains('[') {
        return Ok(None);
    }
    // Ansible's split: the first `[` and the first `]` become `|`, and there must then be
    // exactly three `|`-separated parts.
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
    let items = match (ASCII_LETTERS.find(beg), ASCII_LETTERS.find(end)) {
        (Some(b), Some(e)) if step != 0 => {
            if b > e {
                return Err(RangeError::Order);
            }
            RangeItems::Letters(
                python_slice(ASCII_LETTERS.as_bytes(), b as i64, e as i64 + 1, step)
                    .into_iter()
                    .map(|c| char::from(c).to_string())
                    .collect(),
            )
        }
        _ => {
            let (begin, end) = (python_int(beg)?, python_int(end)?);
            if step == 0 {
                return Err(RangeError::NotANumber("0".into()));
            }
            RangeItems::Numbers {
                begin,
                end: end.saturating_add(1),
                step,
                width,
            }
        }
    };
    Ok(Some(FirstRange {
        head: head.to_string(),
        items,
        tail: tail.to_string(),
    }))
}

/// Expands every `[begin:end(:step)]` range in `name`, leftmost first, in Ansible's order.
///
/// `web[01:03]` gives `web01 web02 web03` (zero padding follows `begin`), `db[a:c]` gives
/// `dba dbb dbc`, `x[1:10:3]` gives `x1 x4 x7 x10`. A name without `[` is returned as is.
/// More than [`MAX_RANGE_HOSTS`] hosts is an error, found before any is built.
pub fn expand_hostname_range(name: &str) -> Result<Vec<String>, RangeError> {
    // Each value of a range is letters or digits, so the ranges after it parse the same
    // whatever the value: the total is the product of the range sizes.
    let mut total: u64 = 1;
    let mut rest = name.to_string();
    while let Some(range) = first_range(&rest)? {
        total = total.saturating_mul(range.items.len());
        if total == 0 {
            return Ok(Vec::new());
        }
        rest = format!("{}0{}", range.head, range.tail);
    }
    if total > MAX_RANGE_HOSTS {
        return Err(RangeError::TooMany(total));
    }
    let mut hosts = Vec::new();
    expand_into(name, &mut hosts)?;
    Ok(hosts)
}

fn expand_into(name: &str, hosts: &mut Vec<String>) -> Result<(), RangeError> {
    let Some(range) = first_range(name)? else {
        hosts.push(name.to_string());
        return Ok(());
    };
    for item in range.items.values() {
        expand_into(&format!("{}{item}{}", range.head, range.tail), hosts)?;
    }
    Ok(())
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
        assert_eq!(expand_hostname_range("h[1_0:11]").unwrap(), ["h10", "h11"]);
        assert_eq!(
            expand_hostname_range("h[5:1]-[x").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(expand_hostname_range("h[10:1:-4]").unwrap(), ["h10", "h6"]);
    }

    #[test]
    fn huge_ranges_refused_before_expansion() {
        assert_eq!(
            expand_hostname_range("h[0:9999999999]"),
            Err(RangeError::TooMany(10_000_000_000))
        );
        assert_eq!(
            expand_hostname_range("a[0:9999][0:9999][0:9999]"),
            Err(RangeError::TooMany(1_000_000_000_000))
        );
        assert!(matches!(
            expand_hostname_range("h[1:9223372036854775807]"),
            Err(RangeError::TooMany(_))
        ));
        assert_eq!(
            expand_hostname_range("h[1:1000][1:1000]").unwrap().len(),
            1_000_000
        );
        assert!(RangeError::TooMany(2).help().starts_with("split the range"));
    }

    #[test]
    fn python_int_like_python() {
        assert_eq!(python_int_text(" 1_0 "), Some(10));
        assert_eq!(python_int_text("-7"), Some(-7));
        assert_eq!(python_int_text("1__0"), None);
        assert_eq!(python_int_text("_1"), None);
        assert_eq!(python_int_text("1.5"), None);
    }
}
