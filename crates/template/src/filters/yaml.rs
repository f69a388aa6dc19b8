//! Filters: `to_yaml` and `to_nice_yaml`, byte for byte as PyYAML dumps with Ansible's dumper
//! (SafeRepresenter, libyaml's emitter).

use std::cmp::Ordering;
use std::sync::LazyLock;

use minijinja::value::Value;
use minijinja::{Environment, Error};
use oxible_yaml::{Value as Data, ValueKind as DataKind};

use super::serialize::data;
use crate::args::{Bound, Signature, add_filter, sig};
use crate::python::int64;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &TO_YAML, |v, args| {
        yaml_filter(&TO_YAML, v, args, None, None)
    });
    add_filter(env, &TO_NICE_YAML, |v, args| {
        let indent = args.int(0, 4)?;
        yaml_filter(&TO_NICE_YAML, v, args, Some(indent), Some(false))
    });
}

sig!(TO_YAML, "to_yaml", [], **);
sig!(TO_NICE_YAML, "to_nice_yaml", ["indent=4"], **);

/// Python's ordering of dict keys for `sort_keys`: strings among strings, numbers among
/// numbers; anything else cannot be compared.
fn compare_keys(a: &Data, b: &Data) -> Option<Ordering> {
    let num = |v: &Data| match v.kind {
        DataKind::Int(i) => Some(i as f64),
        DataKind::Float(f) => Some(f),
        DataKind::Bool(b) => Some(f64::from(u8::from(b))),
        _ => None,
    };
    match (&a.kind, &b.kind) {
        (DataKind::Int(x), DataKind::Int(y)) => Some(x.cmp(y)),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            (None, None) => num(a)?.partial_cmp(&num(b)?),
            _ => None,
        },
    }
}

/// `items` sorted by key as Python's `sorted` would, `None` when keys are not comparable.
fn sorted_items(items: &[(&Data, &Data)]) -> Option<Vec<(Data, Data)>> {
    let mut sorted: Vec<(Data, Data)> = items
        .iter()
        .map(|(k, v)| ((*k).clone(), (*v).clone()))
        .collect();
    let mut comparable = true;
    sorted.sort_by(|(a, _), (b, _)| {
        compare_keys(a, b).unwrap_or_else(|| {
            comparable = false;
            Ordering::Equal
        })
    });
    comparable.then_some(sorted)
}

/// A node to emit: a scalar's text and whether it reads back as a string when plain, or a
/// collection and whether it is written in flow style.
enum Node {
    Scalar {
        text: String,
        plain_implicit: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        items: Vec<(Node, Node)>,
        flow: bool,
    },
}

impl Node {
    fn is_scalar(&self) -> bool {
        matches!(self, Node::Scalar { .. })
    }
}

/// Patterns of PyYAML's implicit resolvers (YAML 1.1) for anything but strings.
static RESOLVERS: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new([
        r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$",
        r"^(?:<<)\n?$",
        r"^(?:~|null|Null|NULL|)\n?$",
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$",
        r"^(?:=)\n?$",
        r"^(?:!|&|\*)\n?$",
    ])
    .expect("static patterns")
});

/// PyYAML's `repr` of a float for YAML.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let repr = Data::new(DataKind::Float(f)).py_repr().to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// SafeRepresenter: data to nodes (keys sorted when comparable, collections of scalars in
/// flow style unless `default_flow_style` says otherwise).
fn represent(value: &Data, flow_style: Option<bool>, sort_keys: bool) -> Node {
    let scalar = |text: String| Node::Scalar {
        text,
        plain_implicit: true,
    };
    match &value.kind {
        DataKind::Null => scalar("null".into()),
        DataKind::Bool(b) => scalar(b.to_string()),
        DataKind::Int(i) => scalar(i.to_string()),
        DataKind::Float(f) => scalar(yaml_float(*f)),
        DataKind::Str(s) | DataKind::Unsafe(s) | DataKind::Vault(s) => Node::Scalar {
            text: s.to_string(),
            plain_implicit: !RESOLVERS.is_match(s),
        },
        DataKind::Timestamp(t) => scalar(t.text.clone()),
        DataKind::Seq(items) => {
            let items: Vec<Node> = items
                .iter()
                .map(|i| represent(i, flow_style, sort_keys))
                .collect();
            let best = items.iter().all(Node::is_scalar);
            Node::Seq {
                flow: flow_style.unwrap_or(best),
                items,
            }
        }
        DataKind::Map(map) => {
            let pairs: Vec<(&Data, &Data)> = map.iter().collect();
            let ordered: Vec<(Data, Data)> = match sort_keys.then(|| sorted_items(&pairs)).flatten()
            {
                Some(sorted) => sorted,
                None => pairs
                    .iter()
                    .map(|(k, v)| ((*k).clone(), (*v).clone()))
                    .collect(),
            };
            let items: Vec<(Node, Node)> = ordered
                .iter()
                .map(|(k, v)| {
                    (
                        represent(k, flow_style, sort_keys),
                        represent(v, flow_style, sort_keys),
                    )
                })
                .collect();
            let best = items.iter().all(|(k, v)| k.is_scalar() && v.is_scalar());
            Node::Map {
                flow: flow_style.unwrap_or(best),
                items,
            }
        }
    }
}

/// What libyaml's scalar analysis allows for one scalar.
struct Analysis {
    multiline: bool,
    flow_plain: bool,
    block_plain: bool,
    single_quoted: bool,
}

/// libyaml's printable characters (in a UTF-8 stream).
fn printable(c: char) -> bool {
    matches!(c as u32, 0x0a | 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd) && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    c.is_none_or(|c| matches!(c, ' ' | '\t' | '\0') || is_break(c))
}

/// libyaml's `yaml_emitter_analyze_scalar`.
fn analyze(text: &str) -> Analysis {
    if text.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain: false,
            block_plain: true,
            single_quoted: true,
        };
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut flow_ind, mut block_ind) = (false, false);
    if text.starts_with("---") || text.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) =
        (false, false, false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = is_blankz(chars.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                flow_ind = true;
                block_ind = true;
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                block_ind |= followed_by_ws;
            }
            if c == '-' && followed_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                block_ind |= followed_by_ws;
            }
            if c == '#' && preceded_by_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if !printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        let last = i + 1 == chars.len();
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(Some(c));
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain: true,
        block_plain: true,
        single_quoted: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single_quoted = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// libyaml's emitter, for the events a dump of plain data produces.
struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    best_indent: usize,
    best_width: usize,
}

/// Where a node is written.
#[derive(Clone, Copy, Default)]
struct Context {
    mapping: bool,
    simple_key: bool,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { self.best_indent } else { 0 }),
            Some(i) if !indentless => Some(i + self.best_indent),
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, node: &Node, ctx: Context) {
        match node {
            Node::Scalar {
                text,
                plain_implicit,
            } => {
                self.increase_indent(true, false);
                self.scalar(text, *plain_implicit, ctx);
                self.pop_indent();
            }
            Node::Seq { items, flow } => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.write_indicator("[", true, true, false);
                    self.flow_level += 1;
                    self.increase_indent(true, false);
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.write_indicator(",", false, false, false);
                        }
                        if self.column > self.best_width {
                            self.write_indent();
                        }
                        self.node(item, Context::default());
                    }
                    self.pop_indent();
                    self.flow_level -= 1;
                    self.write_indicator("]", false, false, false);
                } else {
                    let indentless = ctx.mapping && !self.indention;
                    self.increase_indent(false, indentless);
                    for item in items {
                        self.write_indent();
                        self.write_indicator("-", true, false, true);
                        self.node(item, Context::default());
                    }
                    self.pop_indent();
                }
            }
            Node::Map { items, flow } => {
                let key_ctx = Context {
                    mapping: true,
                    simple_key: true,
                };
                let value_ctx = Context {
                    mapping: true,
                    simple_key: false,
                };
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.write_indicator("{", true, true, false);
                    self.flow_level += 1;
                    self.increase_indent(true, false);
                    for (i, (k, v)) in items.iter().enumerate() {
                        if i > 0 {
                            self.write_indicator(",", false, false, false);
                        }
                        if self.column > self.best_width {
                            self.write_indent();
                        }
                        self.node(k, key_ctx);
                        self.write_indicator(":", false, false, false);
                        self.node(v, value_ctx);
                    }
                    self.pop_indent();
                    self.flow_level -= 1;
                    self.write_indicator("}", false, false, false);
                } else {
                    self.increase_indent(false, false);
                    for (k, v) in items {
                        self.write_indent();
                        self.node(k, key_ctx);
                        self.write_indicator(":", false, false, false);
                        self.node(v, value_ctx);
                    }
                    self.pop_indent();
                }
            }
        }
    }

    fn scalar(&mut self, text: &str, plain_implicit: bool, ctx: Context) {
        let a = analyze(text);
        let plain_ok = if self.flow_level > 0 {
            a.flow_plain
        } else {
            a.block_plain
        };
        let mut style = if !plain_ok
            || (text.is_empty() && (self.flow_level > 0 || ctx.simple_key))
            || !plain_implicit
        {
            '\''
        } else {
            ' '
        };
        if style == '\'' && (!a.single_quoted || (ctx.simple_key && a.multiline)) {
            style = '"';
        }
        let breaks_ok = !ctx.simple_key;
        match style {
            ' ' => self.write_plain(text, breaks_ok),
            '\'' => self.write_single_quoted(text, breaks_ok),
            _ => self.write_double_quoted(text, breaks_ok),
        }
    }

    fn write_plain(&mut self, text: &str, allow_breaks: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i != 0
                    && i + 1 != chars.len()
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                if c == '\n' {
                    self.put_break();
                } else {
                    self.out.push(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if breaks {
            self.write_indent();
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let escaped = match c {
                    '\0' => "0".to_string(),
                    '\x07' => "a".to_string(),
                    '\x08' => "b".to_string(),
                    '\t' => "t".to_string(),
                    '\n' => "n".to_string(),
                    '\x0b' => "v".to_string(),
                    '\x0c' => "f".to_string(),
                    '\r' => "r".to_string(),
                    '\x1b' => "e".to_string(),
                    '"' => "\"".to_string(),
                    '\\' => "\\".to_string(),
                    '\u{85}' => "N".to_string(),
                    '\u{a0}' => "_".to_string(),
                    '\u{2028}' => "L".to_string(),
                    '\u{2029}' => "P".to_string(),
                    c if (c as u32) <= 0xff => format!("x{:02X}", c as u32),
                    c if (c as u32) <= 0xffff => format!("u{:04X}", c as u32),
                    c => format!("U{:08X}", c as u32),
                };
                for e in escaped.chars() {
                    self.put(e);
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// `to_yaml(**kwargs)` and `to_nice_yaml(indent=4, **kwargs)`: PyYAML's `yaml.dump` with
/// Ansible's dumper (keys sorted, unicode kept; `to_yaml` writes collections of scalars in
/// flow style, `to_nice_yaml` everything in block style); `indent`, `width`,
/// `default_flow_style`, `sort_keys`, `explicit_start` and `explicit_end` are accepted.
fn yaml_filter(
    sig: &Signature,
    v: &Value,
    args: &Bound,
    indent: Option<i64>,
    flow_style: Option<bool>,
) -> Result<Value, Error> {
    args.only_kwargs(&[
        "indent",
        "width",
        "default_flow_style",
        "sort_keys",
        "explicit_start",
        "explicit_end",
        "allow_unicode",
    ])?;
    let int_kw = |name: &str, default: Option<i64>| -> Result<Option<i64>, Error> {
        match args.kwarg(name).filter(|v| !v.is_none()) {
            None => Ok(default),
            Some(v) => int64(v)
                .map(Some)
                .ok_or_else(|| args.error(format!("'{name}' must be an integer"))),
        }
    };
    let indent = int_kw("indent", indent)?
        .filter(|i| (2..10).contains(i))
        .unwrap_or(2) as usize;
    let width = int_kw("width", None)?
        .filter(|&w| w > 2 * indent as i64)
        .map_or(80, |w| w as usize);
    let flow_style = match args.kwarg("default_flow_style") {
        Some(f) if f.is_none() => None,
        Some(f) => Some(f.is_true()),
        None => flow_style,
    };
    let sort_keys = args.kwarg("sort_keys").is_none_or(Value::is_true);
    let node = represent(&data(sig, v)?, flow_style, sort_keys);
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
        best_indent: indent,
        best_width: width,
    };
    if args.kwarg("explicit_start").is_some_and(Value::is_true) {
        e.write_indicator("---", true, false, false);
    }
    e.node(&node, Context::default());
    e.write_indent();
    if args.kwarg("explicit_end").is_some_and(Value::is_true) {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    Ok(Value::from(e.out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_styles() {
        assert!(analyze("abc").block_plain);
        assert!(!analyze("a: b").block_plain);
        assert!(analyze("a:b").block_plain);
        assert!(!analyze("- a").block_plain);
        assert!(!analyze("a\tb").single_quoted);
        assert!(RESOLVERS.is_match("yes"));
        assert!(!RESOLVERS.is_match("1e5"));
        assert_eq!(yaml_float(1e16), "1.0e+16");
    }
}
