//! YAML 1.1 implicit typing of plain scalars, exactly as PyYAML's `SafeLoader` does it.
//!
//! PyYAML (and so Ansible) picks a type for an unquoted scalar by matching it against one regular
//! expression per type, then builds the value with its own rules: `0644` is octal (420),
//! `0b1_0` binary, `12:30` sexagesimal (750), `yes`/`On`/`FALSE` booleans, `1e3` a string (an
//! exponent needs a dot and a sign), `y` a string. The expressions below are PyYAML's, checked in
//! the same order; a differential test against PyYAML keeps them honest.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::value::{Timestamp, ValueKind};

static BOOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
        .expect("static regex")
});

static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?",
        r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
        r"|[-+]?\.(?:inf|Inf|INF)",
        r"|\.(?:nan|NaN|NAN))$"
    ))
    .expect("static regex")
});

static INT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[-+]?0b[0-1_]+",
        r"|[-+]?0[0-7_]+",
        r"|[-+]?(?:0|[1-9][0-9_]*)",
        r"|[-+]?0x[0-9a-fA-F_]+",
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
    ))
    .expect("static regex")
});

static NULL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:~|null|Null|NULL|)$").expect("static regex"));

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:(?P<date>[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])",
        r"|(?P<y>[0-9][0-9][0-9][0-9])-(?P<m>[0-9][0-9]?)-(?P<d>[0-9][0-9]?)",
        r"(?:[Tt]|[ \t]+)(?P<H>[0-9][0-9]?)",
        r":(?P<M>[0-9][0-9]):(?P<S>[0-9][0-9])(?:\.(?P<frac>[0-9]*))?",
        r"(?:[ \t]*(?P<tz>Z|(?P<tzsign>[-+])(?P<tzh>[0-9][0-9]?)(?::(?P<tzm>[0-9][0-9]))?))?)$"
    ))
    .expect("static regex")
});

/// The type PyYAML's implicit resolvers give a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Implicit {
    /// `tag:yaml.org,2002:bool`
    Bool,
    /// `tag:yaml.org,2002:int`
    Int,
    /// `tag:yaml.org,2002:float`
    Float,
    /// `tag:yaml.org,2002:null`
    Null,
    /// `tag:yaml.org,2002:timestamp`
    Timestamp,
    /// `tag:yaml.org,2002:merge` (`<<`), only meaningful as a mapping key.
    Merge,
    /// `tag:yaml.org,2002:value` (`=`), which the safe constructor cannot build.
    ValueTag,
    /// `tag:yaml.org,2002:str`
    Str,
}

/// Resolves a plain scalar's type the way PyYAML does: resolvers are looked up by the first
/// character, in registration order (bool, float, int, merge, null, timestamp, value).
pub fn implicit_type(text: &str) -> Implicit {
    let first = text.chars().next();
    let candidates: &[Implicit] = match first {
        None | Some('~') => &[Implicit::Null],
        Some('y' | 'Y' | 'n' | 'N') => &[Implicit::Bool, Implicit::Null],
        Some('t' | 'T' | 'f' | 'F' | 'o' | 'O') => &[Implicit::Bool],
        Some('-' | '+' | '.') => &[Implicit::Float, Implicit::Int],
        Some('0'..='9') => &[Implicit::Float, Implicit::Int, Implicit::Timestamp],
        Some('<') => &[Implicit::Merge],
        Some('=') => &[Implicit::ValueTag],
        Some(_) => &[],
    };
    candidates
        .iter()
        .copied()
        .find(|kind| matches(*kind, text))
        .unwrap_or(Implicit::Str)
}

fn matches(kind: Implicit, text: &str) -> bool {
    match kind {
        Implicit::Bool => BOOL.is_match(text),
        Implicit::Float => FLOAT.is_match(text),
        Implicit::Int => INT.is_match(text),
        Implicit::Null => NULL.is_match(text),
        Implicit::Timestamp => TIMESTAMP.is_match(text),
        Implicit::Merge => text == "<<",
        Implicit::ValueTag => text == "=",
        Implicit::Str => true,
    }
}

/// Why a scalar could not be built as the type it resolved or was tagged to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstructError {
    /// The text does not spell a value of the requested type.
    #[error("cannot read {text:?} as {kind}")]
    Invalid {
        /// The type asked for.
        kind: &'static str,
        /// The scalar's text.
        text: String,
    },
    /// PyYAML's safe loader has no constructor for this tag.
    #[error("could not determine a constructor for the tag '{0}'")]
    NoConstructor(String),
}

/// Builds the value of a scalar of type `kind`, as PyYAML's `SafeConstructor` does.
pub fn construct(kind: Implicit, text: &str) -> Result<ValueKind, ConstructError> {
    let invalid = |name: &'static str| ConstructError::Invalid {
        kind: name,
        text: text.into(),
    };
    Ok(match kind {
        Implicit::Null => ValueKind::Null,
        Implicit::Bool => {
            let lower = text.to_ascii_lowercase();
            match lower.as_str() {
                "yes" | "true" | "on" => ValueKind::Bool(true),
                "no" | "false" | "off" => ValueKind::Bool(false),
                _ => return Err(invalid("bool")),
            }
        }
        Implicit::Int => construct_int(text).ok_or_else(|| invalid("int"))?,
        Implicit::Float => ValueKind::Float(construct_float(text).ok_or_else(|| invalid("float"))?),
        Implicit::Timestamp => ValueKind::Timestamp(Arc::new(
            construct_timestamp(text).ok_or_else(|| invalid("timestamp"))?,
        )),
        Implicit::Str => ValueKind::Str(text.into()),
        Implicit::Merge => {
            return Err(ConstructError::NoConstructor(
                "tag:yaml.org,2002:merge".into(),
            ));
        }
        Implicit::ValueTag => {
            return Err(ConstructError::NoConstructor(
                "tag:yaml.org,2002:value".into(),
            ));
        }
    })
}

/// Splits an optional sign off a number, as PyYAML's constructors do.
fn split_sign(text: &str) -> (i64, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    }
}

/// PyYAML's `construct_yaml_int`; a value beyond 64 bits is kept as its text.
fn construct_int(text: &str) -> Option<ValueKind> {
    let cleaned = text.replace('_', "");
    let (sign, digits) = split_sign(&cleaned);
    let magnitude: Option<i128> = if digits == "0" {
        Some(0)
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()
    } else if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = digits.strip_prefix('0') {
        i128::from_str_radix(oct, 8).ok()
    } else if digits.contains(':') {
        digits.split(':').try_fold(0i128, |acc, part| {
            let n: i128 = part.parse().ok()?;
            acc.checked_mul(60)?.checked_add(n)
        })
    } else {
        digits.parse().ok()
    };
    match magnitude.and_then(|m| i64::try_from(m * i128::from(sign)).ok()) {
        Some(n) => Some(ValueKind::Int(n)),
        None if INT.is_match(text) => Some(ValueKind::Str(text.into())),
        None => None,
    }
}

/// PyYAML's `construct_yaml_float`.
fn construct_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let (sign, digits) = split_sign(&cleaned);
    let sign = sign as f64;
    if digits == ".inf" {
        Some(sign * f64::INFINITY)
    } else if digits == ".nan" {
        Some(f64::NAN)
    } else if digits.contains(':') {
        digits
            .split(':')
            .try_fold(0.0f64, |acc, part| {
                Some(acc * 60.0 + part.parse::<f64>().ok()?)
            })
            .map(|v| sign * v)
    } else {
        parse_python_float(digits).map(|v| sign * v)
    }
}

/// Python's `float()` for the shapes the float expression admits (`1.`, `.5`, `1.e+3`).
fn parse_python_float(digits: &str) -> Option<f64> {
    let (mantissa, exponent) = match digits.find('e') {
        Some(at) => (&digits[..at], &digits[at..]),
        None => (digits, ""),
    };
    let mantissa = if mantissa.ends_with('.') {
        format!("{mantissa}0")
    } else {
        mantissa.to_string()
    };
    let mantissa = if mantissa.starts_with('.') {
        format!("0{mantissa}")
    } else {
        mantissa
    };
    format!("{mantissa}{exponent}").parse().ok()
}

/// PyYAML's `construct_yaml_timestamp`, returning Python's `str()` of the result.
fn construct_timestamp(text: &str) -> Option<Timestamp> {
    let caps = TIMESTAMP.captures(text)?;
    if let Some(date) = caps.name("date") {
        let text = date.as_str();
        let (year, month, day) = (
            text[..4].parse().ok()?,
            text[5..7].parse().ok()?,
            text[8..].parse().ok()?,
        );
        return valid_date(year, month, day).then(|| Timestamp {
            has_time: false,
            text: text.to_string(),
        });
    }
    let num = |name: &str| -> Option<u32> { caps.name(name)?.as_str().parse().ok() };
    let (year, month, day) = (num("y")?, num("m")?, num("d")?);
    let (hour, minute, second) = (num("H")?, num("M")?, num("S")?);
    if !valid_date(year, month, day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if let Some(frac) = caps.name("frac") {
        let digits: String = frac.as_str().chars().take(6).collect();
        let micros: u32 = format!("{digits:0<6}").parse().ok()?;
        if micros != 0 {
            out.push_str(&format!(".{micros:06}"));
        }
    }
    if caps.name("tz").is_some() {
        let tzh = num("tzh").unwrap_or(0);
        let tzm = num("tzm").unwrap_or(0);
        let sign = caps.name("tzsign").map_or("+", |m| m.as_str());
        let sign = if tzh == 0 && tzm == 0 { "+" } else { sign };
        out.push_str(&format!("{sign}{tzh:02}:{tzm:02}"));
    }
    Some(Timestamp {
        has_time: true,
        text: out,
    })
}

/// Whether Python's `datetime.date(year, month, day)` accepts the triple.
fn valid_date(year: u32, month: u32, day: u32) -> bool {
    year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> ValueKind {
        construct(implicit_type(text), text).expect("constructs")
    }

    #[test]
    fn pyyaml_typing_traps() {
        assert!(matches!(value("0644"), ValueKind::Int(420)));
        assert!(matches!(value("0_10"), ValueKind::Int(8)));
        assert!(matches!(value("12:30"), ValueKind::Int(750)));
        assert!(matches!(value("0x1F"), ValueKind::Int(31)));
        assert!(matches!(value("0b101"), ValueKind::Int(5)));
        assert!(matches!(value("yes"), ValueKind::Bool(true)));
        assert!(matches!(value("Off"), ValueKind::Bool(false)));
        assert!(matches!(value("y"), ValueKind::Str(_)));
        assert!(matches!(value("1e3"), ValueKind::Str(_)));
        assert!(matches!(value("1.0e+3"), ValueKind::Float(f) if f == 1000.0));
        assert!(matches!(value("1."), ValueKind::Float(f) if f == 1.0));
        assert!(matches!(value("~"), ValueKind::Null));
        assert!(matches!(value("-.inf"), ValueKind::Float(f) if f == f64::NEG_INFINITY));
        assert!(
            matches!(value("190:20:30.15"), ValueKind::Float(f) if (f - 685230.15).abs() < 1e-6)
        );
        assert!(matches!(value("2.10"), ValueKind::Float(f) if f == 2.1));
        assert!(matches!(value("09"), ValueKind::Str(_)));
    }

    #[test]
    fn timestamps_print_like_python() {
        let ts = |t: &str| match value(t) {
            ValueKind::Timestamp(ts) => ts.text.clone(),
            other => panic!("not a timestamp: {other:?}"),
        };
        assert_eq!(ts("2001-12-14"), "2001-12-14");
        assert_eq!(
            ts("2001-12-14t21:59:43.10-05:00"),
            "2001-12-14 21:59:43.100000-05:00"
        );
        assert_eq!(ts("2001-12-15 2:59:43.10"), "2001-12-15 02:59:43.100000");
        assert_eq!(ts("2001-12-14 21:59:43Z"), "2001-12-14 21:59:43+00:00");
    }
}
