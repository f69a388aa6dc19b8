//! The text ansible-playbook prints for `--list-hosts`, `--list-tasks` and `--list-tags`
//! (`PlaybookCLI.run` in ansible-core 2.19), line for line.

use std::collections::BTreeSet;
use std::fmt::Write;

use oxible_playbook::{Play, TagFilter};
use oxible_yaml::Value;

/// Which lists to print.
#[derive(Clone, Copy, Debug, Default)]
pub struct Want {
    /// `--list-hosts`.
    pub hosts: bool,
    /// `--list-tasks`.
    pub tasks: bool,
    /// `--list-tags`.
    pub tags: bool,
}

/// The play header line, and with `--list-hosts` the pattern and hosts; `hosts` is the
/// selection for the play.
pub fn play_header(out: &mut String, index: usize, play: &Play, hosts: Option<&[String]>) {
    let mut tags: Vec<&str> = Vec::new();
    for tag in &play.tags {
        if !tags.contains(&tag.as_str()) {
            tags.push(tag);
        }
    }
    let _ = write!(
        out,
        "\n  play #{} ({}): {}\tTAGS: [{}]",
        index + 1,
        play.hosts.join(","),
        play.display_name(),
        tags.join(",")
    );
    if let Some(hosts) = hosts {
        let _ = write!(
            out,
            "\n    pattern: {}\n    hosts ({}):",
            pattern_repr(&play.hosts),
            hosts.len()
        );
        for host in hosts {
            let _ = write!(out, "\n      {host}");
        }
    }
    out.push('\n');
}

/// Python's `repr()` of the play's host patterns as a list of `str`: `['all', "it's"]`.
fn pattern_repr(patterns: &[String]) -> String {
    let list = patterns.iter().map(|p| Value::from(p.as_str())).collect();
    Value::seq(list).py_repr()
}

/// The `tasks:` and `TASK TAGS:` part for one play.
pub fn play_tasks(out: &mut String, play: &Play, filter: &TagFilter, want: Want) {
    if !(want.tasks || want.tags) {
        return;
    }
    let play_tags: BTreeSet<String> = play.tags.iter().cloned().collect();
    let mut all_tags = play_tags.clone();
    if want.tasks {
        out.push_str("    tasks:\n");
    }
    for listed in play.listed_tasks(filter) {
        all_tags.extend(listed.tags.iter().cloned());
        if want.tasks {
            let tags: Vec<&str> = listed.tags.iter().map(String::as_str).collect();
            let _ = writeln!(
                out,
                "      {}\tTAGS: [{}]",
                listed.display_name(),
                tags.join(", ")
            );
        }
    }
    if want.tags {
        let tags: Vec<&str> = all_tags.iter().map(String::as_str).collect();
        let _ = writeln!(out, "      TASK TAGS: [{}]", tags.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_like_python() {
        assert_eq!(pattern_repr(&["all".into()]), "['all']");
        assert_eq!(
            pattern_repr(&["it's".into(), "a'\"b".into()]),
            "[\"it's\", 'a\\'\"b']"
        );
    }
}
