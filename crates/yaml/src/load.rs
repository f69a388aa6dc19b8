//! Turns saphyr-parser's event stream into [`Value`]s with PyYAML's construction rules.
//!
//! What this adds over a plain YAML 1.2 loader, and why (each mirrors PyYAML as Ansible uses it):
//! plain scalars are typed by [`crate::resolve`]; `<<` merge keys are flattened the way
//! `SafeConstructor.flatten_mapping` does; a duplicate key keeps the last value and yields a
//! warning (Ansible's default `duplicate_dict_key = warn`); `!unsafe` and `!vault` are kept;
//! unhashable keys, unknown tags and several documents in one file are errors with a position.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as EventSpan, Tag};

use crate::resolve::{self, Implicit};
use crate::source::{Diagnostic, Source, Span};
use crate::value::{Map, Value, ValueKind};

/// A loaded document and the warnings loading it produced.
#[derive(Debug)]
pub struct Loaded {
    /// The document's root value (`None` for an empty file).
    pub value: Value,
    /// Problems that did not stop loading (duplicate keys).
    pub warnings: Vec<Diagnostic>,
}

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("could not read {path}: {source}")]
    Io {
        /// The file asked for.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not valid YAML, or holds something PyYAML would refuse to build.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

impl LoadError {
    /// The diagnostic for invalid input, if that is the error.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            LoadError::Invalid(d) => Some(d),
            LoadError::Io { .. } => None,
        }
    }
}

/// Reads and loads the single YAML document in `path`.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    load_source(Source::new(path, text))
}

/// Loads the single YAML document held by `source`.
pub fn load_source(source: Arc<Source>) -> Result<Loaded, LoadError> {
    let text = Arc::clone(&source);
    let mut builder = Builder {
        parser: Parser::new_from_str(text.text()),
        source,
        anchors: HashMap::new(),
        warnings: Vec::new(),
        flattened: HashMap::new(),
        next_node: 0,
    };
    let value = builder.document()?;
    Ok(Loaded {
        value,
        warnings: builder.warnings,
    })
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    source: Arc<Source>,
    anchors: HashMap<usize, Value>,
    warnings: Vec<Diagnostic>,
    /// For each loaded mapping (by `Arc` address), its pairs as PyYAML's flattened node holds
    /// them (merged pairs first, duplicates kept) with each key's identity: what a `<<` of
    /// the mapping brings.
    flattened: HashMap<usize, Vec<MergePair>>,
    /// The last key node number handed out.
    next_node: u64,
}

impl<'a> Builder<'a> {
    fn span(&self, span: &EventSpan) -> Span {
        Span::new(
            Arc::clone(&self.source),
            u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        )
    }

    fn error(&self, message: impl Into<String>, span: &EventSpan) -> LoadError {
        LoadError::Invalid(Box::new(Diagnostic::error(message, Some(self.span(span)))))
    }

    fn next(&mut self) -> Result<(Event<'a>, EventSpan), LoadError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(err)) => {
                let mark = err.marker();
                let span = Span::new(
                    Arc::clone(&self.source),
                    u32::try_from(mark.line()).unwrap_or(u32::MAX),
                    u32::try_from(mark.col() + 1).unwrap_or(u32::MAX),
                );
                Err(LoadError::Invalid(Box::new(
                    Diagnostic::error(format!("invalid YAML: {}", err.info()), Some(span))
                        .with_help(
                            "check the indentation and quoting of this line and the one above it",
                        ),
                )))
            }
            None => Err(LoadError::Invalid(Box::new(Diagnostic::error(
                "invalid YAML: unexpected end of input",
                None,
            )))),
        }
    }

    fn document(&mut self) -> Result<Value, LoadError> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(root.unwrap_or_else(Value::null)),
                Event::DocumentStart(_) if root.is_some() => {
                    return Err(self.error(
                        "expected a single document in the stream, but found another document",
                        &span,
                    ));
                }
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span)?);
                }
                other => root = Some(self.node(other, span)?),
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: EventSpan) -> Result<Value, LoadError> {
        let at = Some(self.span(&span));
        let (anchor, value) = match event {
            Event::Alias(id) => {
                return self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| self.error("found undefined alias", &span));
            }
            Event::Scalar(text, style, anchor, tag) => {
                let kind = self.scalar(&text, style, tag.as_deref(), &span)?;
                (anchor, Value { kind, span: at })
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                let value = Value {
                    kind: ValueKind::Seq(Arc::new(items)),
                    span: at,
                };
                (
                    anchor,
                    self.container_tag(value, tag.as_deref(), "seq", &span)?,
                )
            }
            Event::MappingStart(anchor, tag) => {
                // saphyr-parser refuses nesting deeper than its recursion limit, which
                // bounds this recursion too.
                let (map, ids) = self.mapping()?;
                let value = Value {
                    kind: ValueKind::Map(Arc::new(map)),
                    span: at,
                };
                let value = self.container_tag(value, tag.as_deref(), "map", &span)?;
                if let ValueKind::Map(map) = &value.kind {
                    self.flattened.insert(Arc::as_ptr(map) as usize, ids);
                }
                (anchor, value)
            }
            _ => return Err(self.error("invalid YAML: unexpected event", &span)),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: &EventSpan,
    ) -> Result<ValueKind, LoadError> {
        let kind = match tag.map(tag_name) {
            // PyYAML resolves the non-specific tag `!` like an untagged plain scalar, whatever
            // the quoting (its parser marks both as implicit).
            None if style == ScalarStyle::Plain => resolve::implicit_type(text),
            Some(TagName::NonSpecific) => resolve::implicit_type(text),
            None | Some(TagName::Core("str")) => Implicit::Str,
            Some(TagName::Unsafe) => return Ok(ValueKind::Unsafe(text.into())),
            Some(TagName::Vault) => return Ok(ValueKind::Vault(text.into())),
            Some(TagName::Core("int")) => Implicit::Int,
            Some(TagName::Core("float")) => Implicit::Float,
            Some(TagName::Core("bool")) => Implicit::Bool,
            Some(TagName::Core("null")) => Implicit::Null,
            Some(TagName::Core("timestamp")) => Implicit::Timestamp,
            Some(other) => return Err(self.unknown_tag(&other, span)),
        };
        resolve::construct(kind, text).map_err(|e| self.error(e.to_string(), span))
    }

    fn container_tag(
        &self,
        value: Value,
        tag: Option<&Tag>,
        core: &str,
        span: &EventSpan,
    ) -> Result<Value, LoadError> {
        match tag.map(tag_name) {
            None | Some(TagName::NonSpecific) => Ok(value),
            Some(TagName::Core(name)) if name == core => Ok(value),
            Some(TagName::Unsafe) => Ok(mark_unsafe(value)),
            Some(other) => Err(self.unknown_tag(&other, span)),
        }
    }

    fn unknown_tag(&self, tag: &TagName<'_>, span: &EventSpan) -> LoadError {
        let name = match tag {
            TagName::Core(name) => format!("tag:yaml.org,2002:{name}"),
            TagName::Other(name) => name.clone(),
            TagName::Unsafe => "!unsafe".into(),
            TagName::Vault => "!vault".into(),
            TagName::NonSpecific => "!".into(),
        };
        LoadError::Invalid(Box::new(
            Diagnostic::error(
                format!("could not determine a constructor for the tag '{name}'"),
                Some(self.span(span)),
            )
            .with_help("the tags Ansible understands are !unsafe, !vault and the YAML core tags (!!str, !!int, …)"),
        ))
    }

    /// Reads key/value pairs up to the mapping's end, applying merge keys and duplicate rules.
    ///
    /// As ansible-core 2.19 with PyYAML 6: merged pairs come first, in the order the `<<`
    /// entries list them, then the mapping's own pairs; a later pair with the same key replaces
    /// the value but keeps the first position, and each such replacement is a duplicate-key
    /// warning.
    ///
    /// Also returns the flattened pairs, for later merges of this mapping.
    fn mapping(&mut self) -> Result<(Map, Vec<MergePair>), LoadError> {
        let mut merged: Vec<MergePair> = Vec::new();
        let mut merged_ids: HashSet<MergeKeyId> = HashSet::new();
        let mut own: Vec<MergePair> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            if matches!(&event, Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<") {
                let (event, value_span) = self.next()?;
                let value = self.node(event, value_span)?;
                self.merge_pairs(&value, &value_span, &mut merged, &mut merged_ids)?;
                continue;
            }
            let id = self.key_id(&event);
            let key = self.node(event, span)?;
            if matches!(key.kind, ValueKind::Seq(_) | ValueKind::Map(_)) {
                return Err(self.error(
                    "found unhashable key: a list or mapping cannot be a mapping key",
                    &span,
                ));
            }
            let (event, value_span) = self.next()?;
            let value = self.node(event, value_span)?;
            own.push((key, value, id));
        }
        let mut map = Map::with_capacity(merged.len() + own.len());
        let pairs: Vec<MergePair> = merged.into_iter().chain(own).collect();
        for (key, value, _) in pairs.iter().cloned() {
            let span = key.span.clone();
            if let Some(previous) = map.get_mut(&key) {
                *previous = value;
                self.warnings.push(
                    Diagnostic::warning(
                        format!(
                            "found duplicate mapping key {}; using the last defined value only",
                            key.py_repr()
                        ),
                        span,
                    )
                    .with_help("remove or rename one of the two keys"),
                );
            } else {
                map.insert(key, value);
            }
        }
        Ok((map, pairs))
    }

    /// The identity PyYAML's merge compares for the key node `event`: a key's raw scalar text
    /// when CPython shares that string object (empty, or one Latin-1 character, whatever the
    /// key resolves to: `1`, `~`, `''`), else the node itself.
    fn key_id(&mut self, event: &Event<'_>) -> MergeKeyId {
        match event {
            Event::Scalar(text, ..) if is_shared_text(text) => {
                MergeKeyId::SharedText(text.to_string())
            }
            _ => {
                self.next_node += 1;
                MergeKeyId::Node(self.next_node)
            }
        }
    }

    /// Appends the pairs a `<<` value brings: a mapping's pairs, or those of each mapping in a
    /// list, in order. PyYAML skips a pair whose key is the very same string object as an
    /// earlier merged key: the same node reached again, or a one-character key (CPython shares
    /// those strings).
    fn merge_pairs(
        &self,
        value: &Value,
        span: &EventSpan,
        merged: &mut Vec<MergePair>,
        seen: &mut HashSet<MergeKeyId>,
    ) -> Result<(), LoadError> {
        let not_mapping = |found: &Value| {
            self.error(
                format!(
                    "expected a mapping or list of mappings for merging, but found {}",
                    found.type_name()
                ),
                span,
            )
        };
        let sources: Vec<&Arc<Map>> = match &value.kind {
            ValueKind::Map(map) => vec![map],
            ValueKind::Seq(items) => items
                .iter()
                .map(|item| match &item.kind {
                    ValueKind::Map(map) => Ok(map),
                    _ => Err(not_mapping(item)),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(not_mapping(value)),
        };
        for map in sources {
            let ptr = Arc::as_ptr(map) as usize;
            // Every mapping the loader builds has its pairs recorded; the map itself is the
            // fallback.
            let fallback: Vec<MergePair>;
            let pairs = match self.flattened.get(&ptr) {
                Some(pairs) => pairs,
                None => {
                    fallback = map
                        .iter()
                        .enumerate()
                        .map(|(i, (k, v))| (k.clone(), v.clone(), MergeKeyId::Slot(ptr, i)))
                        .collect();
                    &fallback
                }
            };
            for (k, v, id) in pairs {
                if seen.insert(id.clone()) {
                    merged.push((k.clone(), v.clone(), id.clone()));
                }
            }
        }
        Ok(())
    }
}

/// A key, its value and the key's identity.
type MergePair = (Value, Value, MergeKeyId);

/// Which key node a merged key is, for PyYAML's identity-based merge dedup.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum MergeKeyId {
    /// A key whose raw text CPython shares (see [`is_shared_text`]).
    SharedText(String),
    /// A key node, numbered in load order.
    Node(u64),
    /// The key at this index of a mapping with no recorded ids.
    Slot(usize, usize),
}

/// Whether CPython keeps one shared object for the string `text`: the empty string and
/// one-character Latin-1 strings.
fn is_shared_text(text: &str) -> bool {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => true,
        (Some(c), None) => u32::from(c) < 256,
        _ => false,
    }
}

/// A tag as the loader sorts it.
enum TagName<'t> {
    /// The YAML core schema (`!!str`, `tag:yaml.org,2002:int`…), by short name.
    Core(&'t str),
    /// `!unsafe`
    Unsafe,
    /// `!vault`
    Vault,
    /// The non-specific tag `!`.
    NonSpecific,
    /// Anything else, in full.
    Other(String),
}

fn tag_name(tag: &Tag) -> TagName<'_> {
    match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("!!" | "tag:yaml.org,2002:", suffix) => TagName::Core(suffix),
        ("!", "unsafe") => TagName::Unsafe,
        ("!", "vault") => TagName::Vault,
        ("", "!") | ("!", "") => TagName::NonSpecific,
        (handle, suffix) => TagName::Other(format!("{handle}{suffix}")),
    }
}

/// `!unsafe` on a container marks every string inside it unsafe.
fn mark_unsafe(value: Value) -> Value {
    let kind = match value.kind {
        ValueKind::Str(s) => ValueKind::Unsafe(s),
        ValueKind::Seq(items) => {
            ValueKind::Seq(Arc::new(items.iter().cloned().map(mark_unsafe).collect()))
        }
        ValueKind::Map(map) => ValueKind::Map(Arc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), mark_unsafe(v.clone())))
                .collect(),
        )),
        other => other,
    };
    Value {
        kind,
        span: value.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        load_source(Source::new("t.yml", text)).expect("loads")
    }

    fn load_err(text: &str) -> String {
        load_source(Source::new("t.yml", text))
            .expect_err("fails")
            .to_string()
    }

    #[test]
    fn modes_and_booleans_follow_yaml_1_1() {
        let doc = load("mode: 0644\nenabled: yes\nname: '0644'\nflag: y\n").value;
        assert_eq!(doc.get("mode"), Some(&Value::from(420)));
        assert_eq!(doc.get("enabled"), Some(&Value::from(true)));
        assert_eq!(doc.get("name"), Some(&Value::from("0644")));
        assert_eq!(doc.get("flag"), Some(&Value::from("y")));
    }

    #[test]
    fn nodes_carry_positions() {
        let doc = load("a:\n  - x\n  - {b: 1}\n").value;
        let items = doc.get("a").and_then(Value::as_seq).expect("list");
        let span = items[1].span.as_ref().expect("span");
        assert_eq!((span.line(), span.col()), (3, 5));
    }

    #[test]
    fn merge_keys_follow_ansible() {
        let loaded = load(
            "b: &b {x: 1, y: 2, port: 80}\no: &o {y: 3, z: 4, port: 8080}\nm:\n  <<: [*b, *o]\n  x: 9\n",
        );
        let m = loaded.value.get("m").and_then(Value::as_map).expect("map");
        let pairs: Vec<_> = m
            .iter()
            .map(|(k, v)| format!("{}={v:?}", k.as_str().unwrap_or("?")))
            .collect();
        // One-character keys: the first mapping wins; longer keys: the last one does.
        assert_eq!(
            pairs,
            vec!["x=Int(9)", "y=Int(2)", "port=Int(8080)", "z=Int(4)"]
        );
        let warned: Vec<_> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
        assert_eq!(warned.len(), 2, "{warned:?}");
    }

    #[test]
    fn duplicate_keys_keep_last_and_warn() {
        let loaded = load("a: 1\na: 2\n");
        assert_eq!(loaded.value.get("a"), Some(&Value::from(2)));
        assert_eq!(loaded.warnings.len(), 1);
        assert_eq!(loaded.warnings[0].span.as_ref().map(Span::line), Some(2));
    }

    #[test]
    fn tags_unsafe_and_vault_are_kept() {
        let doc =
            load("a: !unsafe '{{ x }}'\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n").value;
        assert!(
            matches!(doc.get("a").map(|v| &v.kind), Some(ValueKind::Unsafe(s)) if &**s == "{{ x }}")
        );
        assert!(matches!(
            doc.get("b").map(|v| &v.kind),
            Some(ValueKind::Vault(_))
        ));
    }

    #[test]
    fn bad_input_is_an_error_with_position() {
        let msg = load_err("a: [1, 2\nb: 3\n");
        assert!(msg.contains("t.yml:"), "{msg}");
        assert!(load_err("a: !custom x\n").contains("could not determine a constructor"));
        assert!(load_err("--- 1\n--- 2\n").contains("single document"));
        assert!(load_err("? [1]\n: 2\n").contains("unhashable"));
        let deep = load_err(&"[".repeat(5000));
        assert!(
            deep.contains("recursion limit") && deep.contains("t.yml:1:"),
            "{deep}"
        );
    }

    #[test]
    fn empty_document_is_none() {
        assert!(load("# nothing\n").value.is_null());
    }
}
