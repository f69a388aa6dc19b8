//! Filters: byte sizes for humans (`human_readable`, `human_to_bytes`), as Ansible's
//! `formatters` module writes and reads them.

use std::sync::LazyLock;

use minijinja::value::Value;
use minijinja::{Environment, Error};

use crate::args::{Bound, add_filter, sig};
use crate::python::{float, py_str};

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &HUMAN_READABLE, human_readable);
    add_filter(env, &HUMAN_TO_BYTES, human_to_bytes);
}

sig!(
    HUMAN_READABLE,
    "human_readable",
    ["isbits=False", "unit=None"]
);
sig!(
    HUMAN_TO_BYTES,
    "human_to_bytes",
    ["default_unit=None", "isbits=False"]
);

/// The size units of `human_readable` and `human_to_bytes`, largest first.
const SIZE_RANGES: [(char, u32); 9] = [
    ('Y', 80),
    ('Z', 70),
    ('E', 60),
    ('P', 50),
    ('T', 40),
    ('G', 30),
    ('M', 20),
    ('K', 10),
    ('B', 0),
];

/// `human_readable(isbits=False, unit=None)`: a byte (or bit) count as `'1.50 KB'`: the
/// largest unit not above the size, or `unit`; two decimals.
fn human_readable(v: &Value, args: &Bound) -> Result<Value, Error> {
    let size = float(v).ok_or_else(|| args.error("human_readable() failed on bad input"))?;
    let unit = match args.opt(1) {
        None => None,
        Some(u) => Some(
            u.as_str()
                .ok_or_else(|| args.error("human_readable() can't interpret the input"))?
                .to_uppercase(),
        ),
    };
    let (suffix, shift) = SIZE_RANGES
        .iter()
        .find(|(s, shift)| match &unit {
            None => size >= (2f64).powi(*shift as i32),
            Some(u) => u.starts_with(*s),
        })
        .copied()
        .unwrap_or(('B', 0));
    let base = if args.flag(0, false) { "bits" } else { "Bytes" };
    let suffix = if shift == 0 {
        base.to_string()
    } else {
        format!("{suffix}{}", &base[..1])
    };
    Ok(Value::from(format!(
        "{:.2} {suffix}",
        size / (2f64).powi(shift as i32)
    )))
}

/// A number followed by an optional unit, as `human_to_bytes` reads it.
static HUMAN_SIZE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^([0-9]*\.?[0-9]+)(?:\s*([A-Za-z]+))?\s*$").expect("static pattern")
});

/// `human_to_bytes(default_unit=None, isbits=False)`: `'10M'` → 10485760: a number with a
/// unit (`K`, `KB`, `kilobyte`…; bits with `isbits`), or `default_unit`, or none (rounded).
fn human_to_bytes(v: &Value, args: &Bound) -> Result<Value, Error> {
    let text = py_str(v)?;
    let fail = |why: &str| args.error(format!("human_to_bytes() can't interpret the input: {why}"));
    let caps = HUMAN_SIZE
        .captures(&text)
        .ok_or_else(|| fail("not a size"))?;
    let num: f64 = caps[1].parse().map_err(|_| fail("not a number"))?;
    let unit = match caps.get(2) {
        Some(u) => Some(u.as_str().to_string()),
        None => args.opt_str(0)?.map(str::to_string),
    };
    let Some(unit) = unit else {
        return Ok(Value::from(num.round_ties_even() as i64));
    };
    let key = unit.chars().next().map(|c| c.to_ascii_uppercase());
    let (key, shift) = SIZE_RANGES
        .iter()
        .find(|(s, _)| Some(*s) == key)
        .copied()
        .ok_or_else(|| fail("unknown unit"))?;
    if unit.chars().count() > 1 {
        let isbits = args.flag(1, false);
        let names = [
            ("B", "byte", "bit"),
            ("K", "kilo", "kilo"),
            ("M", "mega", "mega"),
            ("G", "giga", "giga"),
            ("T", "tera", "tera"),
            ("P", "peta", "peta"),
            ("E", "exa", "exa"),
            ("Z", "zeta", "zeta"),
            ("Y", "yotta", "yotta"),
        ];
        let (_, byte_word, bit_word) = names
            .iter()
            .find(|(k, _, _)| k.starts_with(key))
            .copied()
            .unwrap_or(("B", "byte", "bit"));
        let (long, short) = match (key, isbits) {
            ('B', false) => ("byte".to_string(), "B".to_string()),
            ('B', true) => ("bit".to_string(), "b".to_string()),
            (_, false) => (format!("{byte_word}byte"), format!("{key}B")),
            (_, true) => (format!("{bit_word}bit"), format!("{key}b")),
        };
        if unit.to_lowercase() != long && unit != short {
            return Err(fail("invalid unit"));
        }
    }
    let bytes = (num * (2f64).powi(shift as i32)).round_ties_even();
    if !(i64::MIN as f64..i64::MAX as f64).contains(&bytes) {
        return Err(fail("too large"));
    }
    Ok(Value::from(bytes as i64))
}
