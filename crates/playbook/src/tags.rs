//! Tags: how they are written, inherited and selected (Ansible's `Taggable`).
//!
//! A task's effective tags are its own plus those of every enclosing block, `import_tasks` /
//! `import_role` task, role (and the roles that pulled it in as a dependency) and the play.
//! `-t`/`--skip-tags` select on them with the special tags `always`, `never`, `all`, `tagged`
//! and `untagged`, exactly as `Taggable.evaluate_tags` does.

use std::collections::BTreeSet;

use oxible_yaml::{Value, ValueKind};

use crate::error::{Error, Result};

/// A `tags:` value as a list: a list of strings/numbers, or a comma-separated string.
pub(crate) fn parse_tags(value: &Value) -> Result<Vec<String>> {
    let text = |v: &Value| match &v.kind {
        ValueKind::Str(s) | ValueKind::Unsafe(s) => Some(s.to_string()),
        ValueKind::Int(i) => Some(i.to_string()),
        _ => None,
    };
    let bad = |v: &Value| {
        Error::parse(
            format!("tags must be strings or numbers, got a {}", v.type_name()),
            v.span.as_ref().or(value.span.as_ref()),
            "write 'tags: [a, b]' or 'tags: a,b'",
        )
    };
    match (&value.kind, value.as_seq()) {
        (ValueKind::Null, _) => Ok(Vec::new()),
        (_, Some(items)) => items
            .iter()
            .map(|v| text(v).ok_or_else(|| bad(v)))
            .collect(),
        (ValueKind::Str(s) | ValueKind::Unsafe(s), _) => {
            Ok(s.split(',').map(|t| t.trim().to_string()).collect())
        }
        // Ansible raises a plain AnsibleError here (exit code 1), not a parser error.
        _ => Err(Error::resolve(
            "tags must be specified as a list",
            value.span.as_ref(),
            "write 'tags: [a, b]' or 'tags: a,b'",
        )),
    }
}

/// The `-t`/`--skip-tags` selection.
#[derive(Clone, Debug, Default)]
pub struct TagFilter {
    only: BTreeSet<String>,
    skip: BTreeSet<String>,
}

impl TagFilter {
    /// A filter from the command line's values; each may hold comma-separated tags.
    /// No `-t` means `all`, as in Ansible.
    pub fn new<S: AsRef<str>>(only: &[S], skip: &[S]) -> Self {
        let split = |values: &[S]| -> BTreeSet<String> {
            values
                .iter()
                .flat_map(|v| {
                    v.as_ref()
                        .split(',')
                        .map(|t| t.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let mut only = split(only);
        if only.is_empty() {
            only.insert("all".into());
        }
        Self {
            only,
            skip: split(skip),
        }
    }

    /// Whether a task with effective `tags` runs (Ansible's `evaluate_tags`).
    pub fn selects(&self, tags: &BTreeSet<String>) -> bool {
        let untagged: BTreeSet<String> = ["untagged".to_string()].into();
        let tags = if tags.is_empty() { &untagged } else { tags };
        let has = |t: &str| tags.contains(t);
        let meets = |set: &BTreeSet<String>| !tags.is_disjoint(set);
        let mut run = true;
        if !self.only.is_empty() {
            run = has("always")
                || (self.only.contains("all") && !has("never"))
                || meets(&self.only)
                || (self.only.contains("tagged") && *tags != untagged && !has("never"));
        }
        if run && !self.skip.is_empty() {
            if self.skip.contains("all") {
                if !has("always") || self.skip.contains("always") {
                    run = false;
                }
            } else if meets(&self.skip) || (self.skip.contains("tagged") && *tags != untagged) {
                run = false;
            }
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tags: &[&str]) -> BTreeSet<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn default_runs_all_but_never() {
        let f = TagFilter::new::<&str>(&[], &[]);
        assert!(f.selects(&set(&[])));
        assert!(f.selects(&set(&["a"])));
        assert!(!f.selects(&set(&["never", "a"])));
        assert!(f.selects(&set(&["always"])));
    }

    #[test]
    fn only_tags_with_specials() {
        let f = TagFilter::new(&["a,never"], &[]);
        assert!(f.selects(&set(&["a"])));
        assert!(f.selects(&set(&["never"])));
        assert!(f.selects(&set(&["always"])));
        assert!(!f.selects(&set(&["b"])));
        let tagged = TagFilter::new(&["tagged"], &[]);
        assert!(tagged.selects(&set(&["b"])) && !tagged.selects(&set(&[])));
        let untagged = TagFilter::new(&["untagged"], &[]);
        assert!(untagged.selects(&set(&[])) && !untagged.selects(&set(&["b"])));
    }

    #[test]
    fn skip_tags() {
        let f = TagFilter::new(&[] as &[&str], &["a"]);
        assert!(!f.selects(&set(&["a", "always"])));
        assert!(f.selects(&set(&["b"])));
        let all = TagFilter::new(&[] as &[&str], &["all"]);
        assert!(all.selects(&set(&["always"])) && !all.selects(&set(&["x"])));
    }

    #[test]
    fn parses_tag_forms() {
        let v = oxible_yaml::load_source(oxible_yaml::Source::new("t", "a: x, y\nb: [1, z]\n"))
            .unwrap()
            .value;
        assert_eq!(parse_tags(v.get("a").unwrap()).unwrap(), vec!["x", "y"]);
        assert_eq!(parse_tags(v.get("b").unwrap()).unwrap(), vec!["1", "z"]);
        assert!(parse_tags(&v).is_err_and(|e| !e.is_parser_error()));
        let seven = oxible_yaml::load_source(oxible_yaml::Source::new("t", "7"))
            .unwrap()
            .value;
        assert!(parse_tags(&seven).is_err());
    }
}
