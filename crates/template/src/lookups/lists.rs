//! Lookups that reshape data: items, list, dict, indexed_items, together, nested,
//! subelements, sequence.

use oxible_yaml::{Map, Value, ValueKind};

use super::{Call, LookupError, bool_value, fail, int_value, parse_kv, text_term};

/// `_flatten`: list items spliced in, one level deep.
fn flatten(terms: &[Value]) -> Vec<Value> {
    terms
        .iter()
        .flat_map(|term| match term.as_seq() {
            Some(items) => items.to_vec(),
            None => vec![term.clone()],
        })
        .collect()
}

/// The items Python's `iter()` gives: a list's items, a string's characters, a dict's keys.
fn py_iter(lookup: &str, value: &Value) -> Result<Vec<Value>, LookupError> {
    match &value.kind {
        ValueKind::Seq(items) => Ok(items.to_vec()),
        ValueKind::Str(s) | ValueKind::Unsafe(s) => {
            Ok(s.chars().map(|c| Value::from(c.to_string())).collect())
        }
        ValueKind::Map(map) => Ok(map.keys().cloned().collect()),
        _ => fail!(
            "the '{lookup}' lookup expects lists, got '{}' ({})",
            value.py_str(),
            value.type_name()
        ),
    }
}

/// `items`: the terms, lists flattened one level.
pub(super) fn items(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    Ok(flatten(call.terms))
}

/// `list`: the terms as they are.
pub(super) fn list(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    Ok(call.terms.to_vec())
}

/// `dict`: each dict's items as `{key, value}` dicts.
pub(super) fn dict(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let mut out = Vec::new();
    for term in call.terms {
        let Some(map) = term.as_map() else {
            return fail!(
                "the 'dict' lookup expects a dictionary, got '{}' ({})",
                term.py_str(),
                term.type_name()
            );
        };
        for (key, value) in map.iter() {
            let mut item = Map::new();
            item.insert(Value::from("key"), key.clone());
            item.insert(Value::from("value"), value.clone());
            out.push(Value::map(item));
        }
    }
    Ok(out)
}

/// `indexed_items`: `[index, item]` pairs of the flattened terms.
pub(super) fn indexed_items(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    Ok(flatten(call.terms)
        .into_iter()
        .enumerate()
        .map(|(i, item)| Value::seq(vec![Value::from(i as i64), item]))
        .collect())
}

/// `together`: the lists zipped, the shorter padded with `None`.
pub(super) fn together(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    if call.terms.is_empty() {
        return fail!("with_together requires at least one element in each list");
    }
    let lists = call
        .terms
        .iter()
        .map(|t| py_iter("together", t))
        .collect::<Result<Vec<_>, _>>()?;
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok((0..longest)
        .map(|i| {
            let row: Vec<Value> = lists
                .iter()
                .map(|l| l.get(i).cloned().unwrap_or_else(Value::null))
                .collect();
            Value::seq(flatten(&row))
        })
        .collect())
}

/// `nested`: the product of the lists, each combination flattened.
pub(super) fn nested(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let Some((first, rest)) = call.terms.split_first() else {
        return fail!("with_nested requires at least one element in the nested list");
    };
    let mut result = py_iter("nested", first)?;
    for next in rest {
        let next = py_iter("nested", next)?;
        result = result
            .iter()
            .flat_map(|x| {
                next.iter()
                    .map(move |y| Value::seq(flatten(&[x.clone(), y.clone()])))
            })
            .collect();
    }
    result
        .iter()
        .map(|x| py_iter("nested", x).map(|items| Value::seq(flatten(&items))))
        .collect()
}

/// `subelements`: `[record, item]` for each item of the list at a (dotted) key of each record.
pub(super) fn subelements(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let usage = "the 'subelements' lookup expects a list of two or three items: a list (or dict) of dicts, the subkey, and optionally {'skip_missing': bool}";
    let (records, subkey, flags) = match call.terms {
        [records, key] => (records, key, None),
        [records, key, flags] => (records, key, Some(flags)),
        _ => return fail!("{usage}"),
    };
    let (Some(subkey), true) = (
        subkey.as_str(),
        records.as_seq().is_some() || records.as_map().is_some(),
    ) else {
        return fail!("{usage}");
    };
    let skipped = |v: &Value| v.get("skipped").is_some_and(|s| s.as_bool() != Some(false));
    let records: Vec<Value> = match records.as_map() {
        Some(_) if skipped(records) => return Ok(Vec::new()),
        Some(map) => map.values().cloned().collect(),
        None => records.as_seq().unwrap_or_default().to_vec(),
    };
    let skip_missing = match flags {
        None => false,
        Some(flags) => match flags.as_map() {
            Some(map) if map.keys().all(|k| k.as_str() == Some("skip_missing")) => {
                flags.get("skip_missing").is_some_and(bool_value)
            }
            _ => return fail!("{usage}"),
        },
    };
    let keys: Vec<&str> = subkey.split('.').collect();
    let mut out = Vec::new();
    for record in &records {
        if record.as_map().is_none() {
            return fail!(
                "the 'subelements' lookup expects a dictionary, got '{}'",
                record.py_str()
            );
        }
        if skipped(record) {
            continue;
        }
        let Some((sublist, record)) = take_sublist(record, &keys, skip_missing)? else {
            continue;
        };
        out.extend(
            sublist
                .into_iter()
                .map(|item| Value::seq(vec![record.clone(), item])),
        );
    }
    Ok(out)
}

/// The list at `keys` inside `record`, and `record` without it (Ansible pops it); `None`
/// when a key is missing and `skip_missing` is set.
fn take_sublist(
    record: &Value,
    keys: &[&str],
    skip_missing: bool,
) -> Result<Option<(Vec<Value>, Value)>, LookupError> {
    let Some((key, rest)) = keys.split_first() else {
        return Ok(None);
    };
    let map = record.as_map().cloned().unwrap_or_default();
    let Some(value) = map.get(&Value::from(*key)) else {
        if skip_missing {
            return Ok(None);
        }
        return fail!(
            "could not find '{key}' key in iterated item '{}'",
            record.py_str()
        );
    };
    let mut map = map.clone();
    if rest.is_empty() {
        let Some(items) = value.as_seq() else {
            return fail!(
                "the key {key} should point to a list, got '{}'",
                value.py_str()
            );
        };
        let items = items.to_vec();
        map.shift_remove(&Value::from(*key));
        return Ok(Some((items, Value::map(map))));
    }
    if value.as_map().is_none() {
        if skip_missing {
            return Ok(None);
        }
        return fail!(
            "the key {key} should point to a dictionary, got '{}'",
            value.py_str()
        );
    }
    let Some((items, inner)) = take_sublist(value, rest, skip_missing)? else {
        return Ok(None);
    };
    map.insert(Value::from(*key), inner);
    Ok(Some((items, Value::map(map))))
}

/// The options of one `sequence` term.
#[derive(Default)]
struct Sequence {
    start: Option<i64>,
    end: Option<i64>,
    stride: Option<i64>,
    count: Option<i64>,
    format: Option<String>,
}

impl Sequence {
    /// Sets the option `name` from its text or value.
    fn set(&mut self, name: &str, value: &Value) -> Result<(), LookupError> {
        let int = || int_value("sequence", name, value).map(Some);
        match name {
            "start" => self.start = int()?,
            "end" => self.end = int()?,
            "stride" => self.stride = int()?,
            "count" => self.count = int()?,
            "format" => self.format = Some(value.py_str()),
            _ => {
                return fail!(
                    "unrecognized arguments to with_sequence: ['{name}']; it accepts start, end, count, stride, format"
                );
            }
        }
        Ok(())
    }

    /// The shortcut form `[start-]end[/stride][:format]`, if `term` has it.
    fn shortcut(&mut self, term: &str) -> Result<bool, LookupError> {
        const NUM: &str = "(0?x?[0-9a-f]+)";
        let re = regex::RegexBuilder::new(&format!("^({NUM}-)?{NUM}(/{NUM})?(:(.+))?$"))
            .case_insensitive(true)
            .build()
            .map_err(|e| LookupError::Failed(e.to_string()))?;
        let Some(caps) = re.captures(term) else {
            return Ok(false);
        };
        for (name, group) in [("start", 2), ("end", 3), ("stride", 5), ("format", 7)] {
            if let Some(m) = caps.get(group) {
                self.set(name, &Value::from(m.as_str()))?;
            }
        }
        Ok(true)
    }

    /// The formatted numbers, Ansible's `sanity_check` and `generate_sequence`.
    fn generate(&self) -> Result<Vec<Value>, LookupError> {
        let start = self.start.unwrap_or(1);
        let stride = self.stride.unwrap_or(1);
        let format = self.format.as_deref().unwrap_or("%d");
        let end = match (self.count, self.end) {
            (None, None) => return fail!("must specify count or end in with_sequence"),
            (Some(_), Some(_)) => {
                return fail!("can't specify both count and end in with_sequence");
            }
            (Some(0), None) => return Ok(Vec::new()),
            (Some(count), None) => start + count * stride - 1,
            (None, Some(end)) => end,
        };
        if stride > 0 && end < start {
            return fail!("to count backwards make stride negative");
        }
        if stride < 0 && end > start {
            return fail!("to count forward don't make stride negative");
        }
        if stride == 0 {
            return Ok(Vec::new());
        }
        if format.matches('%').count() != 1 {
            return fail!("bad formatting string: {format}");
        }
        let mut out = Vec::new();
        let mut i = start;
        while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
            out.push(Value::from(printf(format, i)?));
            i += stride;
        }
        Ok(out)
    }
}

/// Python's `format % number` for a format with one conversion (`%d`, `%05x`, `%-3o`, `%s`).
fn printf(format: &str, n: i64) -> Result<String, LookupError> {
    let bad = || LookupError::Failed(format!("problem formatting {n} with '{format}'"));
    let (before, spec) = format.split_once('%').ok_or_else(bad)?;
    let flags_end = spec
        .find(|c: char| !matches!(c, '-' | '0' | '+' | ' ' | '#'))
        .unwrap_or(spec.len());
    let (flags, rest) = spec.split_at(flags_end);
    let width_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let width: usize = rest[..width_end].parse().unwrap_or(0);
    let mut chars = rest[width_end..].chars();
    let conversion = chars.next().ok_or_else(bad)?;
    let after = chars.as_str();
    let digits = match conversion {
        'd' | 'i' | 'u' | 's' => n.unsigned_abs().to_string(),
        'x' => format!("{:x}", n.unsigned_abs()),
        'X' => format!("{:X}", n.unsigned_abs()),
        'o' => format!("{:o}", n.unsigned_abs()),
        _ => return Err(bad()),
    };
    let alternate = match (flags.contains('#'), conversion) {
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        (true, 'o') => "0o",
        _ => "",
    };
    let sign = if n < 0 {
        "-"
    } else if flags.contains('+') && conversion != 's' {
        "+"
    } else if flags.contains(' ') && conversion != 's' {
        " "
    } else {
        ""
    };
    let body_len = sign.len() + alternate.len() + digits.len();
    let pad = width.saturating_sub(body_len);
    let number = if flags.contains('-') {
        format!("{sign}{alternate}{digits}{}", " ".repeat(pad))
    } else if flags.contains('0') && conversion != 's' {
        format!("{sign}{alternate}{}{digits}", "0".repeat(pad))
    } else {
        format!("{}{sign}{alternate}{digits}", " ".repeat(pad))
    };
    Ok(format!("{before}{number}{after}"))
}

/// `sequence`: numbers from `start` to `end` (or `count` of them) by `stride`, formatted.
pub(super) fn sequence(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let blank = [Value::from("")];
    let terms = if call.terms.is_empty() && call.option_names().next().is_some() {
        &blank[..]
    } else {
        call.terms
    };
    let mut out = Vec::new();
    for term in terms {
        let term = text_term("sequence", term)?;
        let mut seq = Sequence::default();
        for name in call.option_names() {
            if let Some(value) = call.option(&name) {
                seq.set(&name, value)?;
            }
        }
        if !seq.shortcut(term)? {
            let (pairs, raw) = parse_kv(term);
            if let Some(raw) = raw {
                return fail!("unrecognized arguments to with_sequence: ['_raw_params'] ('{raw}')");
            }
            for (name, value) in pairs {
                seq.set(&name, &Value::from(value))?;
            }
        }
        out.extend(seq.generate()?);
    }
    Ok(out)
}
