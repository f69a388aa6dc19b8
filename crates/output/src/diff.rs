//! File differences as Ansible's callbacks print them for `--diff`: each `diff` entry of a
//! result (before/after text with headers) as a unified diff in the exact layout of Python's
//! `difflib.unified_diff` with three lines of context, which means reproducing
//! `SequenceMatcher`'s matching (longest matching block first, popular lines ignored in long
//! files).

use std::collections::HashMap;

use oxible_yaml::{Value, ValueKind};

/// Lines of context around each change (Ansible's `DIFF_CONTEXT`).
const CONTEXT: usize = 3;

/// The text Ansible's `_get_diff` prints for a result's `diff` value (a dict or a list of them).
pub(crate) fn render(diff: &Value) -> String {
    let entries: Vec<&Value> = match &diff.kind {
        ValueKind::Seq(items) => items.iter().collect(),
        ValueKind::Map(_) => vec![diff],
        _ => Vec::new(),
    };
    let mut out = String::new();
    for entry in entries {
        for (key, message) in [
            (
                "dst_binary",
                "diff skipped: destination file appears to be binary\n",
            ),
            (
                "src_binary",
                "diff skipped: source file appears to be binary\n",
            ),
        ] {
            if entry.get(key).is_some() {
                out.push_str(message);
            }
        }
        if let (Some(before), Some(after)) = (entry.get("before"), entry.get("after")) {
            let header = |key: &str, word: &str| match entry.get(key) {
                Some(h) => format!("{word}: {}", h.py_str()),
                None => word.to_string(),
            };
            let lines = unified(
                &text_of(before),
                &text_of(after),
                &header("before_header", "before"),
                &header("after_header", "after"),
            );
            if !lines.is_empty() {
                out.push_str(&lines.concat());
                out.push('\n');
            }
        }
        if let Some(prepared) = entry.get("prepared") {
            out.push_str(&prepared.py_str());
        }
    }
    out
}

/// A `before`/`after` value as diffable text: dicts as sorted, indented JSON, `None` as empty.
fn text_of(value: &Value) -> String {
    match &value.kind {
        ValueKind::Map(_) => value.py_json(Some(4), true) + "\n",
        ValueKind::Null => String::new(),
        _ => value.py_str(),
    }
}

/// Python's `str.splitlines(True)` for `\n`, with the "no newline" marker Ansible appends.
fn lines_of(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if let Some(last) = lines.last_mut()
        && !last.ends_with('\n')
    {
        last.push_str("\n\\ No newline at end of file\n");
    }
    lines
}

/// `difflib.unified_diff(before, after, fromfile, tofile, n=3)` as a list of lines.
fn unified(before: &str, after: &str, from: &str, to: &str) -> Vec<String> {
    let (a, b) = (lines_of(before), lines_of(after));
    let groups = grouped_opcodes(&a, &b, CONTEXT);
    if groups.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!("--- {from}\n"), format!("+++ {to}\n")];
    for group in groups {
        let (first, last) = (group[0], group[group.len() - 1]);
        out.push(format!(
            "@@ -{} +{} @@\n",
            range(first.1, last.2),
            range(first.3, last.4)
        ));
        for (tag, i1, i2, j1, j2) in group {
            match tag {
                Tag::Equal => out.extend(a[i1..i2].iter().map(|l| format!(" {l}"))),
                _ => {
                    out.extend(a[i1..i2].iter().map(|l| format!("-{l}")));
                    out.extend(b[j1..j2].iter().map(|l| format!("+{l}")));
                }
            }
        }
    }
    out
}

/// `difflib._format_range_unified`.
fn range(start: usize, stop: usize) -> String {
    let length = stop - start;
    match length {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{length}", start + 1),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Equal,
    Replace,
    Delete,
    Insert,
}

type Opcode = (Tag, usize, usize, usize, usize);

/// `SequenceMatcher(None, a, b).get_grouped_opcodes(n)`.
fn grouped_opcodes(a: &[String], b: &[String], n: usize) -> Vec<Vec<Opcode>> {
    let mut codes = opcodes(a, b);
    if codes.is_empty() {
        codes.push((Tag::Equal, 0, 1, 0, 1));
    }
    if let Some(first) = codes.first_mut()
        && first.0 == Tag::Equal
    {
        let (_, i1, i2, j1, j2) = *first;
        *first = (
            Tag::Equal,
            i1.max(i2.saturating_sub(n)),
            i2,
            j1.max(j2.saturating_sub(n)),
            j2,
        );
    }
    if let Some(last) = codes.last_mut()
        && last.0 == Tag::Equal
    {
        let (_, i1, i2, j1, j2) = *last;
        *last = (Tag::Equal, i1, i2.min(i1 + n), j1, j2.min(j1 + n));
    }
    let mut groups = Vec::new();
    let mut group = Vec::new();
    for (tag, mut i1, i2, mut j1, j2) in codes {
        if tag == Tag::Equal && i2 - i1 > 2 * n {
            group.push((tag, i1, i2.min(i1 + n), j1, j2.min(j1 + n)));
            groups.push(std::mem::take(&mut group));
            i1 = i1.max(i2.saturating_sub(n));
            j1 = j1.max(j2.saturating_sub(n));
        }
        group.push((tag, i1, i2, j1, j2));
    }
    // A last group of nothing but context is not a change.
    if !matches!(group.as_slice(), [] | [(Tag::Equal, ..)]) {
        groups.push(group);
    }
    groups
}

/// `SequenceMatcher.get_opcodes`.
fn opcodes(a: &[String], b: &[String]) -> Vec<Opcode> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (ai, bj, size) in matching_blocks(a, b) {
        let tag = match (i < ai, j < bj) {
            (true, true) => Some(Tag::Replace),
            (true, false) => Some(Tag::Delete),
            (false, true) => Some(Tag::Insert),
            (false, false) => None,
        };
        if let Some(tag) = tag {
            out.push((tag, i, ai, j, bj));
        }
        i = ai + size;
        j = bj + size;
        if size > 0 {
            out.push((Tag::Equal, ai, i, bj, j));
        }
    }
    out
}

/// `SequenceMatcher.get_matching_blocks`, ending with the `(len(a), len(b), 0)` sentinel.
fn matching_blocks(a: &[String], b: &[String]) -> Vec<(usize, usize, usize)> {
    // b2j without the "popular" lines, as autojunk does for sequences of 200 lines or more.
    let mut b2j: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, line) in b.iter().enumerate() {
        b2j.entry(line.as_str()).or_default().push(j);
    }
    if b.len() >= 200 {
        let limit = b.len() / 100 + 1;
        b2j.retain(|_, positions| positions.len() <= limit);
    }
    let mut queue = vec![(0, a.len(), 0, b.len())];
    let mut blocks = Vec::new();
    while let Some((alo, ahi, blo, bhi)) = queue.pop() {
        let (i, j, k) = longest_match(a, b, &b2j, alo, ahi, blo, bhi);
        if k > 0 {
            blocks.push((i, j, k));
            if alo < i && blo < j {
                queue.push((alo, i, blo, j));
            }
            if i + k < ahi && j + k < bhi {
                queue.push((i + k, ahi, j + k, bhi));
            }
        }
    }
    blocks.sort_unstable();
    let mut merged: Vec<(usize, usize, usize)> = Vec::new();
    for (i, j, k) in blocks {
        match merged.last_mut() {
            Some(last) if last.0 + last.2 == i && last.1 + last.2 == j => last.2 += k,
            _ => merged.push((i, j, k)),
        }
    }
    merged.push((a.len(), b.len(), 0));
    merged
}

/// `SequenceMatcher.find_longest_match` without a junk function: the longest block, earliest
/// in `a`, then earliest in `b`.
fn longest_match(
    a: &[String],
    b: &[String],
    b2j: &HashMap<&str, Vec<usize>>,
    alo: usize,
    ahi: usize,
    blo: usize,
    bhi: usize,
) -> (usize, usize, usize) {
    let (mut best_i, mut best_j, mut best_k) = (alo, blo, 0);
    let mut j2len: HashMap<usize, usize> = HashMap::new();
    for (i, line) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        for &j in b2j
            .get(line.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if j < blo {
                continue;
            }
            if j >= bhi {
                break;
            }
            let k = j
                .checked_sub(1)
                .and_then(|p| j2len.get(&p))
                .copied()
                .unwrap_or(0)
                + 1;
            next.insert(j, k);
            if k > best_k {
                (best_i, best_j, best_k) = (i + 1 - k, j + 1 - k, k);
            }
        }
        j2len = next;
    }
    // Popular lines are left out of the index but are not junk: a match grows over them.
    while best_i > alo && best_j > blo && a[best_i - 1] == b[best_j - 1] {
        (best_i, best_j, best_k) = (best_i - 1, best_j - 1, best_k + 1);
    }
    while best_i + best_k < ahi && best_j + best_k < bhi && a[best_i + best_k] == b[best_j + best_k]
    {
        best_k += 1;
    }
    (best_i, best_j, best_k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_like_difflib() {
        let lines = unified("x\ny\n", "x\nz\ny\n", "before: f", "after: f");
        assert_eq!(
            lines.concat(),
            "--- before: f\n+++ after: f\n@@ -1,2 +1,3 @@\n x\n+z\n y\n"
        );
        let long_a: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let long_b = long_a
            .replace("3\n", "three\n")
            .replace("17\n", "seventeen\n");
        let text = unified(&long_a, &long_b, "a", "b").concat();
        assert!(
            text.contains("@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n"),
            "{text}"
        );
        assert!(
            text.contains("@@ -10,11 +10,11 @@\n 10\n 11\n 12\n-13\n+1three\n"),
            "{text}"
        );
        assert_eq!(unified("same\n", "same\n", "a", "b"), Vec::<String>::new());
        assert!(
            unified("a", "b", "x", "y")
                .concat()
                .contains("-a\n\\ No newline at end of file\n")
        );
    }
}
