//! The keywords each kind of playbook object accepts, taken from ansible-core 2.19's
//! `FieldAttribute`s, and the check that reports an unknown one.

use std::sync::LazyLock;

use indexmap::IndexMap;
use oxible_yaml::{Map, Span, Value, did_you_mean};

use crate::error::{Error, Result};

/// Keywords shared by plays, blocks, roles and tasks (Ansible's `Base`, `Become`,
/// `CollectionSearch`, `Conditional`-free part of the class hierarchy).
const COMMON: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "name",
    "no_log",
    "port",
    "remote_user",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
];

/// Keywords a play accepts beyond [`COMMON`] (Ansible's `Play` attributes).
const PLAY: &[&str] = &[
    "fact_path",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "handlers",
    "hosts",
    "max_fail_percentage",
    "order",
    "post_tasks",
    "pre_tasks",
    "roles",
    "serial",
    "strategy",
    "tasks",
    "vars_files",
    "vars_prompt",
];

/// Keywords a block accepts beyond [`COMMON`] (Ansible's `Block` attributes).
const BLOCK: &[&str] = &[
    "always",
    "block",
    "delegate_facts",
    "delegate_to",
    "notify",
    "rescue",
    "when",
];

/// Keywords a task accepts beyond [`COMMON`] (Ansible's `Task` attributes, plus
/// `local_action`, which `ModuleArgsParser` reads).
const TASK: &[&str] = &[
    "action",
    "args",
    "async",
    "async_val",
    "changed_when",
    "delay",
    "delegate_facts",
    "delegate_to",
    "failed_when",
    "local_action",
    "loop",
    "loop_control",
    "loop_with",
    "notify",
    "poll",
    "register",
    "retries",
    "until",
    "when",
];

/// Keywords a role entry (`roles:` item or meta dependency) accepts beyond [`COMMON`]
/// (Ansible's `RoleDefinition`); any other key is a role parameter.
const ROLE: &[&str] = &["role", "when"];

/// Keywords an `import_playbook` entry accepts beyond [`COMMON`] (Ansible's `PlaybookInclude`,
/// which has no `collections`).
const IMPORT_PLAYBOOK: &[&str] = &["import_playbook", "when"];

/// Keys of a role's `meta/main.yml` beyond [`COMMON`] (Ansible's `RoleMetadata`).
const ROLE_META: &[&str] = &[
    "allow_duplicates",
    "argument_specs",
    "dependencies",
    "galaxy_info",
];

/// Keys of `loop_control` (Ansible's `LoopControl`).
pub(crate) const LOOP_CONTROL: &[&str] = &[
    "break_when",
    "extended",
    "extended_allitems",
    "index_var",
    "label",
    "loop_var",
    "pause",
];

/// What kind of object a mapping describes; decides which keywords are valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A play.
    Play,
    /// A `block`/`rescue`/`always` block.
    Block,
    /// A task.
    Task,
    /// A handler: a task that may also `listen`.
    Handler,
    /// A role entry in `roles:` or in meta `dependencies`.
    Role,
    /// An `import_playbook` entry.
    ImportPlaybook,
    /// A role's `meta/main.yml`.
    RoleMeta,
}

impl Kind {
    /// The name Ansible's messages use for this kind.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Play => "Play",
            Kind::Block => "Block",
            Kind::Task => "Task",
            Kind::Handler => "Handler",
            Kind::Role => "role entry",
            Kind::ImportPlaybook => "import_playbook entry",
            Kind::RoleMeta => "role meta/main.yml",
        }
    }

    /// Every kind, in declaration order (`kind as usize` indexes it).
    const ALL: [Kind; 7] = [
        Kind::Play,
        Kind::Block,
        Kind::Task,
        Kind::Handler,
        Kind::Role,
        Kind::ImportPlaybook,
        Kind::RoleMeta,
    ];

    /// Every keyword valid for this kind, sorted.
    pub fn keywords(self) -> &'static [&'static str] {
        static SORTED: LazyLock<[Vec<&'static str>; 7]> =
            LazyLock::new(|| Kind::ALL.map(Kind::collect_keywords));
        &SORTED[self as usize]
    }

    /// Whether `key` is a keyword of this kind.
    pub fn accepts(self, key: &str) -> bool {
        self.keywords().binary_search(&key).is_ok()
    }

    /// Builds the sorted keyword list of this kind (once, for [`Kind::keywords`]).
    fn collect_keywords(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Kind::Play => PLAY,
            Kind::Block => BLOCK,
            Kind::Task | Kind::Handler => TASK,
            Kind::Role => ROLE,
            Kind::ImportPlaybook => IMPORT_PLAYBOOK,
            Kind::RoleMeta => ROLE_META,
        };
        let mut all: Vec<&str> = COMMON.iter().chain(own).copied().collect();
        if self == Kind::Handler {
            all.push("listen");
        }
        if self == Kind::ImportPlaybook {
            all.retain(|k| *k != "collections");
        }
        all.sort_unstable();
        all
    }
}

/// The keywords of one object after validation, in file order, with their raw values.
///
/// Values are kept untemplated: later stages interpret them (Ansible's post_validate).
#[derive(Clone, Debug, Default)]
pub struct Keywords(IndexMap<String, Value>);

impl Keywords {
    /// The value of keyword `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Sets keyword `key`.
    pub(crate) fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }

    /// The keywords of mapping `map` whose keys are strings (`include_tasks`'s `apply`, which
    /// the executor reads at run time); other keys are dropped.
    pub fn from_map(map: &Map) -> Self {
        Self(
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                .collect(),
        )
    }

    /// All keywords set, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// The error for `key`, which is not a keyword of `kind`: names the spot, suggests the closest
/// keywords and lists the valid ones.
pub(crate) fn unknown(kind: Kind, key: &str, span: Option<&Span>) -> Error {
    Error::parse(
        format!("'{key}' is not a valid keyword for a {}", kind.label()),
        span,
        help_for(kind, key),
    )
}

/// "did you mean" plus the list of valid keywords of `kind`.
pub(crate) fn help_for(kind: Kind, key: &str) -> String {
    let valid = kind.keywords();
    let list = valid.join(", ");
    match did_you_mean(key, valid.iter().copied()) {
        Some(close) => format!("{close} valid keywords: {list}"),
        None => format!("valid keywords: {list}"),
    }
}

/// The string keys of `map` with their key values (for spans), or an error at the first
/// non-string key.
pub(crate) fn string_keys(map: &Map, kind: Kind) -> Result<Vec<(&str, &Value, &Value)>> {
    map.iter()
        .map(|(k, v)| match k.as_str() {
            Some(name) => Ok((name, k, v)),
            None => Err(Error::parse(
                format!(
                    "a {} keyword must be a string, got a {}",
                    kind.label(),
                    k.type_name()
                ),
                k.span.as_ref(),
                help_for(kind, ""),
            )),
        })
        .collect()
}

/// The mapping a playbook object must be, or an error naming what it is instead.
pub(crate) fn expect_map<'a>(
    value: &'a Value,
    kind: Kind,
    fallback: Option<&Span>,
) -> Result<&'a Map> {
    value.as_map().ok_or_else(|| {
        Error::parse(
            format!(
                "a {} must be a mapping, got a {}",
                kind.label(),
                value.type_name()
            ),
            value.span.as_ref().or(fallback),
            format!(
                "write it as 'key: value' lines; valid keywords: {}",
                kind.keywords().join(", ")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn play_keywords_match_ansible() {
        let play = Kind::Play.keywords();
        assert_eq!(play.len(), 41);
        assert!(play.contains(&"vars_prompt") && play.contains(&"gather_subset"));
        assert!(!play.contains(&"when"));
    }

    #[test]
    fn every_kind_has_its_own_sorted_list() {
        for kind in Kind::ALL {
            let list = kind.keywords();
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{kind:?}");
            assert!(list.iter().all(|k| kind.accepts(k)), "{kind:?}");
        }
        assert!(Kind::RoleMeta.accepts("galaxy_info") && !Kind::Role.accepts("galaxy_info"));
    }

    #[test]
    fn handler_accepts_listen_but_task_does_not() {
        assert!(Kind::Handler.accepts("listen"));
        assert!(!Kind::Task.accepts("listen"));
        assert!(!Kind::ImportPlaybook.accepts("collections"));
    }

    #[test]
    fn unknown_keyword_suggests_and_lists() {
        let err = unknown(Kind::Task, "whne", None);
        let text = err.to_string();
        assert!(
            text.contains("'whne' is not a valid keyword for a Task"),
            "{text}"
        );
        assert!(text.contains("did you mean 'when'?"), "{text}");
        assert!(err.is_parser_error());
        assert!(help_for(Kind::Play, "taks").starts_with("did you mean 'tags' or 'tasks'?"));
    }
}
