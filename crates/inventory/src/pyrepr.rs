//! Python's `str()` and `repr()` of values, as `ansible-inventory --graph --vars` prints them
//! (`'{%s = %s}' % (name, value)`): `True`, `None`, `[1, 'a']`, `{'k': 'v'}`.

use oxible_yaml::{Value, ValueKind};

/// Python's `str(value)`: strings as they are, everything else as `repr`.
pub fn python_str(value: &Value) -> String {
    match &value.kind {
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => s.to_string(),
        ValueKind::Timestamp(t) => t.text.clone(),
        _ => python_repr(value),
    }
}

/// Python's `repr(value)`.
pub fn python_repr(value: &Value) -> String {
    match &value.kind {
        ValueKind::Null => "None".into(),
        ValueKind::Bool(true) => "True".into(),
        ValueKind::Bool(false) => "False".into(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(f) => float_repr(*f),
        ValueKind::Str(s) | ValueKind::Unsafe(s) | ValueKind::Vault(s) => string_repr(s),
        ValueKind::Timestamp(t) => string_repr(&t.text),
        ValueKind::Seq(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        ValueKind::Map(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_repr(k), python_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's float repr: shortest round-trip digits, `.0` for whole numbers, exponent form
/// outside 1e-4..1e16.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        return format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
    let s = f.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Python's `repr` of a `str`: single quotes unless the text holds `'` and no `"`.
fn string_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use oxible_yaml::Map;

    use super::*;

    #[test]
    fn prints_like_python() {
        let mut m = Map::new();
        m.insert(
            Value::from("k"),
            Value::seq(vec![Value::from(1), Value::from("it's"), Value::null()]),
        );
        assert_eq!(python_str(&Value::map(m)), r#"{'k': [1, "it's", None]}"#);
        assert_eq!(python_str(&Value::from("a b")), "a b");
        assert_eq!(python_str(&Value::from(true)), "True");
        assert_eq!(python_str(&Value::new(ValueKind::Float(1000.0))), "1000.0");
        assert_eq!(python_str(&Value::new(ValueKind::Float(1e20))), "1e+20");
        assert_eq!(python_str(&Value::new(ValueKind::Float(0.5))), "0.5");
    }
}
