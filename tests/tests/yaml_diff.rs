//! Differential test: oxible's YAML loader against ansible-core's own loader (PyYAML based).
//!
//! A generated corpus of a few hundred scalars (every boolean spelling, every integer and float
//! form of YAML 1.1, nulls, timestamps, look-alike strings; plain, quoted and tagged) is loaded
//! by both; the Python type and value of every item must be identical.

use oxible_tests::{describe, oracle_python, run, workspace_root};
use oxible_yaml::{Source, load_source};
use serde_json::Value as Json;

/// Words whose case variants exercise the boolean and null resolvers.
const WORDS: &[&str] = &[
    "yes", "no", "true", "false", "on", "off", "y", "n", "null", "nan", "inf",
];

/// Number-like shapes, each also tried with a `+` and `-` sign.
const NUMBERS: &[&str] = &[
    "0",
    "7",
    "42",
    "0644",
    "0_10",
    "0o17",
    "0x1F",
    "0X1F",
    "0xdead_beef",
    "0b101",
    "0b1_0",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "09",
    "0_8",
    "12:30",
    "1:2:3",
    "190:20:30",
    "1:60",
    "0:30",
    "1.5",
    "1.",
    ".5",
    "1.0",
    "1_000.5",
    "1.2.3",
    "1e3",
    "1E3",
    "1.0e3",
    "1.0e+3",
    "1.0E-3",
    "6.8523015e+5",
    "685.230_15e+03",
    "190:20:30.15",
    "1:30.5",
    ".inf",
    ".Inf",
    ".INF",
    ".iNf",
    ".nan",
    ".NaN",
    ".NAN",
    "0.",
    "00",
    "007",
    "08.5",
    "1,000",
    "3.14159",
    "2.10",
    "12e03",
    "0x",
    "0b",
    "0b2",
    "1:3a",
];

/// Timestamps and near misses.
const TIMESTAMPS: &[&str] = &[
    "2001-12-14",
    "2002-02-28",
    "2000-02-29",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z",
    "2001-12-15 2:59:43.10",
    "2001-1-1 1:02:03",
    "2001-12-14 21:59:43",
    "2001-12-14T21:59:43.123456789+01:30",
    "2001-12-1",
    "01-12-14",
    "2001-12-14T",
    "2001-12-14 21:59",
];

/// Plain strings that look like other things.
const STRINGS: &[&str] = &[
    "hello",
    "Yes please",
    "0644 mode",
    "~x",
    "null_value",
    "True!",
    "+",
    ".",
    "..",
    "-x",
    "a:b",
    "http://x",
    "u=rwX,g=rX",
    "it's",
    "1 2",
    "0x1F h",
];

fn corpus() -> Vec<String> {
    let mut items = Vec::new();
    for word in WORDS {
        let title: String = word
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        let mixed: String = word
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        for form in [word.to_string(), word.to_ascii_uppercase(), title, mixed] {
            items.push(form.clone());
            items.push(format!(".{form}"));
            items.push(format!("'{form}'"));
        }
    }
    for number in NUMBERS {
        for sign in ["", "+", "-"] {
            items.push(format!("{sign}{number}"));
        }
        items.push(format!("\"{number}\""));
    }
    for ts in TIMESTAMPS.iter().chain(STRINGS) {
        items.push(ts.to_string());
    }
    for (tag, text) in [
        ("!!int", "\"0644\""),
        ("!!int", "'0x10'"),
        ("!!str", "0644"),
        ("!!str", "yes"),
        ("!!float", "'1'"),
        ("!!float", "1.5"),
        ("!!bool", "'on'"),
        ("!!null", "''"),
        ("!!str", "~"),
        ("!", "12"),
        ("!", "\"0644\""),
        ("!unsafe", "'{{ x }}'"),
        ("!!timestamp", "'2001-12-14'"),
    ] {
        items.push(format!("{tag} {text}"));
    }
    items.push(String::new());
    items.push("~".into());
    items
}

fn python_view(text: &str) -> Json {
    let dir = std::env::temp_dir().join(format!("oxible-yaml-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!(
        "doc-{:x}.yml",
        text.len() * 31 + text.bytes().map(usize::from).sum::<usize>()
    ));
    std::fs::write(&path, text).expect("write corpus");
    let mut cmd = std::process::Command::new(oracle_python());
    cmd.arg(workspace_root().join("tests/yaml_oracle.py"))
        .arg(&path);
    let out = run(cmd);
    assert_eq!(out.code, 0, "PyYAML failed: {}", out.stderr);
    serde_json::from_str(&out.stdout).expect("python printed JSON")
}

#[test]
fn scalars_type_like_pyyaml() {
    let items = corpus();
    assert!(items.len() >= 300, "corpus has only {} items", items.len());
    let text: String = items.iter().map(|item| format!("- {item}\n")).collect();
    let expected = python_view(&text);
    let loaded = load_source(Source::new("corpus.yml", text.as_str())).expect("oxible loads");
    let ours: Vec<Json> = loaded
        .value
        .as_seq()
        .expect("a list")
        .iter()
        .map(describe)
        .collect();
    let expected = expected[1].as_array().expect("a list");
    assert_eq!(ours.len(), expected.len());
    let mismatches: Vec<String> = items
        .iter()
        .zip(ours.iter().zip(expected))
        .filter(|(_, (a, b))| a != b)
        .map(|(item, (a, b))| format!("{item:?}: oxible {a} vs PyYAML {b}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Whole documents: keys, merge keys, anchors, block and flow styles, folding, escapes.
const DOCUMENTS: &[&str] = &[
    // Merge dedup by the key's raw text: `1`, `~`, `''` and `'y'` are shared objects in
    // CPython (first merged value wins), `300`, `null` and `10` are not (last wins).
    "b: &b {1: a, ~: b, '': c, xx: d, 300: f, 5: g, 'y': h, null: i, 10: k}\no: &o {1: A, ~: B, '': C, xx: D, 300: F, 5: G, 'y': H, null: I, 10: K}\nm:\n  <<: [*b, *o]\n",
    // `'1'` and `1` share the raw text "1"; `01` is another node with the same int value.
    "b: &b {1: a, '1': b}\no: &o {'1': A, 1: B, 01: C}\nm:\n  <<: [*b, *o]\n",
    "yes: 1\n0644: 2\n12:30: 3\n~: 4\n1.5: 5\n'no': 6\n2001-12-14: 7\nOFF: 8\n",
    "base: &b {x: 1, y: [a, b]}\nover: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\nn:\n  <<: *b\n  w: *o\n",
    "b: &b {xx: 1, port: [a, b]}\no: &o {port: 3, zz: 4}\nm:\n  <<: [*b, *o]\n  xx: 9\nn:\n  <<: *b\n  <<: *o\n",
    "a: |\n  line one\n    indented\n\n  last\nb: |-\n  no newline\nc: >\n  folded\n  text\n\n  para\nd: >-\n  {{ x }}\n  and more\ne: |+\n  keep\n\nf: |2\n    two extra\n",
    "url: \"https://example.org/\\\n  path/\\\n  file\"\nesc: \"tab\\there \\u00e9 \\x41\"\nsq: 'it''s\n  folded'\nplain: this is\n  a folded plain\n",
    "flow: [1, 'two', {three: 3, four: [4]}, ~]\nempty_map: {}\nempty_list: []\nnull_value:\nnested:\n  - - a\n    - b\n  - key: v\n    other: w\n",
    "- hosts: all\n  tasks:\n    -\n    - name: x\n      file: path=/tmp mode=0644\n      when: a is defined\n      with_items: [\"{{ list }}\"]\n",
    // PyYAML does not check the indentation of a quoted scalar's continuation lines: they may
    // sit left of the key, at column 0, or be indented with a tab.
    "a:\n  b:\n    url: \"https://example.org/\\\n   path/\\\nfile\"\n    sq: 'one\n two'\n    tab: \"x\n\ty\"\n  c: 1\n",
];

#[test]
fn documents_load_like_pyyaml() {
    for text in DOCUMENTS {
        let expected = python_view(text);
        let loaded = load_source(Source::new("doc.yml", *text)).expect("oxible loads");
        assert_eq!(describe(&loaded.value), expected, "document:\n{text}");
    }
}
