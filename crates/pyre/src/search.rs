//! Successive matches with Python's rules.

use fancy_regex::{Captures, Regex};

use crate::PatternError;

/// Python's `re.search(pattern, text) is not None`.
pub fn is_match(re: &Regex, text: &str) -> Result<bool, PatternError> {
    Ok(re.is_match(text)?)
}

/// Python's `re.search(pattern, text)`: the first match's groups.
pub fn search<'h>(re: &Regex, text: &'h str) -> Result<Option<Captures<'h>>, PatternError> {
    Ok(re.captures(text)?)
}

/// Python's `re.finditer`: successive non-overlapping matches, where an empty match may
/// directly follow a non-empty one; at most `limit`.
pub fn matches<'h>(
    re: &Regex,
    text: &'h str,
    limit: usize,
) -> Result<Vec<Captures<'h>>, PatternError> {
    let mut found = Vec::new();
    let mut pos = 0;
    let mut after_empty = false;
    while found.len() < limit && pos <= text.len() {
        let Some(mut caps) = re.captures_from_pos(text, pos)? else {
            break;
        };
        let mut whole = caps.get(0).map_or(pos..pos, |m| m.range());
        if after_empty && whole.is_empty() && whole.start == pos {
            // Python refuses a second empty match at the same place: search one further.
            let Some(step) = text[pos..].chars().next().map(char::len_utf8) else {
                break;
            };
            match re.captures_from_pos(text, pos + step)? {
                Some(c) => caps = c,
                None => break,
            }
            whole = caps.get(0).map_or(pos..pos, |m| m.range());
        }
        after_empty = whole.is_empty();
        pos = whole.end;
        found.push(caps);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_matches_like_python() {
        let re = Regex::new("x*").expect("compiles");
        let spans: Vec<_> = matches(&re, "abxd", usize::MAX)
            .expect("matches")
            .iter()
            .filter_map(|c| c.get(0).map(|m| m.range()))
            .collect();
        assert_eq!(spans, vec![0..0, 1..1, 2..3, 3..3, 4..4]);
    }
}
