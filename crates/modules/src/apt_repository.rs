//! `apt_repository`: a one-line apt source (`deb [opts] uri suite [components]`) present or
//! absent, as Ansible's `apt_repository` edits `/etc/apt/sources.list` and
//! `/etc/apt/sources.list.d/*.list`: every file is parsed into lines (valid `deb`/`deb-src`
//! sources, enabled or commented out, with trailing comments), the source is compared by its
//! whitespace-normalised text, a new one goes to the file named after its URI (or `filename`),
//! and when anything changes each touched file is written back normalised (a file left without
//! lines is deleted) and `apt-get update` runs (`update_cache`, default on). Result keys:
//! `repo`, `state`, `sources_added`, `sources_removed`, `diff` (files added or removed).

use oxible_shell::quote;
use oxible_yaml::{Value, ValueKind};

use crate::fs::text_diff;
use crate::system::{probe, write_stdin};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("repo", ArgType::Str).required(),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("mode", ArgType::Raw),
    ArgSpec::new("update_cache", ArgType::Bool).aliases(&["update-cache"]),
    ArgSpec::new("update_cache_retries", ArgType::Int),
    ArgSpec::new("update_cache_retry_max_delay", ArgType::Int),
    ArgSpec::new("filename", ArgType::Str),
    ArgSpec::new("install_python_apt", ArgType::Bool),
    ArgSpec::new("validate_certs", ArgType::Bool),
    ArgSpec::new("codename", ArgType::Str),
];

module!(
    /// The `apt_repository` module.
    pub AptRepository = "apt_repository", SPEC, run
);

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";

/// One line of a sources file as Ansible's `SourcesList._parse` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    valid: bool,
    enabled: bool,
    source: String,
    comment: String,
}

impl Line {
    /// Parses `line`: a leading `#` disables it, a later `#` starts a comment, and a source is
    /// valid when its first word is `deb` or `deb-src` (words then joined by one space).
    fn parse(line: &str) -> Self {
        let mut line = line.trim();
        let enabled = match line.strip_prefix('#') {
            Some(rest) => {
                line = rest;
                false
            }
            None => true,
        };
        let mut comment = String::new();
        if let Some(i) = line.find('#').filter(|i| *i > 0) {
            comment = line[i + 1..].trim().to_string();
            line = &line[..i];
        }
        let mut source = line.trim().to_string();
        let words: Vec<&str> = source.split_whitespace().collect();
        let valid = matches!(words.first(), Some(&"deb") | Some(&"deb-src"));
        if valid {
            source = words.join(" ");
        }
        Self {
            valid,
            enabled,
            source,
            comment,
        }
    }

    /// The line as Ansible writes it back.
    fn render(&self) -> String {
        let mut out = String::new();
        if !self.enabled {
            out.push_str("# ");
        }
        out.push_str(&self.source);
        if !self.comment.is_empty() {
            out.push_str(" # ");
            out.push_str(&self.comment);
        }
        out.push('\n');
        out
    }
}

/// The sources files: name, original text, parsed lines (in the order apt lists them).
#[derive(Debug, Clone, Default)]
struct Sources {
    files: Vec<(String, Option<String>, Vec<Line>)>,
}

impl Sources {
    fn load(texts: Vec<(String, String)>) -> Self {
        let files = texts
            .into_iter()
            .map(|(name, text)| {
                let lines = text.lines().map(Line::parse).collect();
                (name, Some(text), lines)
            })
            .collect();
        Self { files }
    }

    /// Ansible's `dump`: the text of every file that has lines.
    fn dump(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .filter(|(_, _, lines)| !lines.is_empty())
            .map(|(name, _, lines)| (name.clone(), lines.iter().map(Line::render).collect()))
            .collect()
    }

    /// Adds `source` (enabling every copy already listed, even commented out), else appends
    /// it to `file`.
    fn add(&mut self, source: &str, file: &str) {
        let mut found = false;
        for (_, _, lines) in &mut self.files {
            for line in lines.iter_mut().filter(|l| l.valid && l.source == source) {
                line.enabled = true;
                found = true;
            }
        }
        if found {
            return;
        }
        let line = Line {
            valid: true,
            enabled: true,
            source: source.to_string(),
            comment: String::new(),
        };
        match self.files.iter_mut().find(|(name, _, _)| name == file) {
            Some((_, _, lines)) => lines.push(line),
            None => self.files.push((file.to_string(), None, vec![line])),
        }
    }

    /// Removes every enabled copy of `source`.
    fn remove(&mut self, source: &str) {
        for (_, _, lines) in &mut self.files {
            lines.retain(|l| !(l.valid && l.enabled && l.source == source));
        }
    }
}

/// The `.list` file Ansible names after a source: options and scheme dropped, the first word
/// after the type (the URI, without credentials) with every run of other characters turned
/// into `_`; `filename` instead when given.
fn suggest_filename(source: &str, filename: Option<&str>) -> String {
    if let Some(name) = filename {
        return format!("{name}.list");
    }
    let mut text = String::new();
    let mut depth = false;
    for c in source.chars() {
        match c {
            '[' if !depth => depth = true,
            ']' if depth => depth = false,
            _ if !depth => text.push(c),
            _ => {}
        }
    }
    let first = text
        .split_whitespace()
        .find(|w| *w != "deb" && *w != "deb-src")
        .unwrap_or_default();
    let first = match first.find("://") {
        Some(i) if first[..i].chars().all(|c| c.is_alphanumeric() || c == '_') && i > 0 => {
            &first[i + 3..]
        }
        _ => first,
    };
    let first = first.split_once('@').map_or(first, |(_, rest)| rest);
    let words: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!("{}.list", words.join("_"))
}

/// `file` as a path: a bare name is below `sources.list.d`.
fn expand_path(file: &str) -> String {
    if file.contains('/') {
        file.to_string()
    } else {
        format!("{SOURCES_DIR}/{file}")
    }
}

/// The `chmod` word for the `mode` argument (octal bits or chmod's symbolic text).
fn chmod_mode(mode: &Value) -> String {
    match &mode.kind {
        ValueKind::Int(i) => format!("{i:o}"),
        _ => mode.py_str(),
    }
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let repo = args.str("repo").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    if repo.is_empty() {
        return Err(ModuleError::Failed(
            "Please set argument 'repo' to a non-empty value".into(),
        ));
    }
    if repo.starts_with("ppa:") {
        return Err(ModuleError::Failed(format!(
            "PPA repositories ({repo}) are Launchpad's, for Ubuntu: oxible does not fetch them; \
             give the repository as a 'deb' line with its signing key"
        )));
    }
    let parsed = Line::parse(&repo);
    if !parsed.valid || !parsed.enabled {
        let shown = repo.trim().trim_start_matches('#');
        let shown = shown
            .find('#')
            .filter(|i| *i > 0)
            .map_or(shown, |i| &shown[..i]);
        return Ok(Outcome::failure(format!(
            "Invalid repository string: {shown}"
        )));
    }
    let script = format!(
        "for f in {SOURCES_LIST} {SOURCES_DIR}/*.list; do [ -f \"$f\" ] || continue; \
         printf '\\n\\001%s\\n' \"$f\"; cat \"$f\"; \
         [ -L \"$f\" ] && printf '\\n\\001@%s\\n' \"$f\" && readlink -f \"$f\"; done\n"
    );
    let mut found = probe(target, &script).await?;
    // A symlinked file is written through its link, as Ansible does.
    let links: Vec<(String, String)> = found
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix('@')?.to_string(), v.trim_end().to_string())))
        .collect();
    found.retain(|k, _| !k.starts_with('@'));
    let mut names: Vec<(String, String)> = found.into_iter().collect();
    names.sort_by(|a, b| (a.0 != SOURCES_LIST, &a.0).cmp(&(b.0 != SOURCES_LIST, &b.0)));
    let mut sources = Sources::load(names);
    let before = sources.dump();
    if state == "present" {
        let file = expand_path(&suggest_filename(&parsed.source, args.str("filename")));
        sources.add(&parsed.source, &file);
    } else {
        sources.remove(&parsed.source);
    }
    let after = sources.dump();
    let changed = before != after;
    let names_of =
        |d: &[(String, String)]| -> Vec<String> { d.iter().map(|f| f.0.clone()).collect() };
    let (before_names, after_names) = (names_of(&before), names_of(&after));
    let added: Vec<String> = after_names
        .iter()
        .filter(|n| !before_names.contains(n))
        .cloned()
        .collect();
    let removed: Vec<String> = before_names
        .iter()
        .filter(|n| !after_names.contains(n))
        .cloned()
        .collect();
    let mut diff = Vec::new();
    if changed && target.diff {
        let text = |d: &[(String, String)], n: &str| {
            d.iter()
                .find(|f| f.0 == n)
                .map(|f| f.1.clone())
                .unwrap_or_default()
        };
        for name in added.iter().chain(&removed) {
            let header = |present: bool| if present { name.as_str() } else { "/dev/null" };
            diff.push(Value::map(text_diff(
                &text(&before, name),
                &text(&after, name),
                Some(header(before_names.contains(name))),
                Some(header(after_names.contains(name))),
            )));
        }
    }
    if changed && !target.check_mode {
        apply(target, &args, &sources, &after, &links).await?;
    }
    let mut outcome = Outcome::changed(changed);
    let list =
        |names: &[String]| Value::seq(names.iter().map(|n| Value::from(n.as_str())).collect());
    outcome
        .set("repo", repo.as_str())
        .set("sources_added", list(&added))
        .set("sources_removed", list(&removed))
        .set("state", state);
    outcome.diff = Some(Value::seq(diff));
    Ok(outcome)
}

/// Writes the files whose text changed, deletes the emptied ones and updates the cache; when
/// the update fails the files are put back as they were and the module fails.
async fn apply(
    target: &Target,
    args: &Args,
    sources: &Sources,
    after: &[(String, String)],
    links: &[(String, String)],
) -> Result<(), ModuleError> {
    let mut script = String::new();
    let mut restore = String::new();
    for (name, original, _) in &sources.files {
        let new = after.iter().find(|f| &f.0 == name).map(|f| f.1.as_str());
        if new == original.as_deref() {
            continue;
        }
        let q = quote(name);
        let written = links
            .iter()
            .find(|(link, _)| link == name)
            .map_or(name.as_str(), |(_, real)| real.as_str());
        match (original, new) {
            (_, Some(text)) => {
                script.push_str(&format!(
                    "mkdir -p \"$(dirname {q})\" && printf %s {} | {{\n{}}} || exit 1\n",
                    quote(text),
                    write_stdin(written, "644")
                ));
                if original.is_none() {
                    if let Some(mode) = args.get("mode") {
                        script.push_str(&format!(
                            "chmod {} {q} || exit 1\n",
                            quote(&chmod_mode(mode))
                        ));
                    }
                    restore.push_str(&format!("rm -f {q}; "));
                }
            }
            (Some(_), None) => script.push_str(&format!("rm -f {q}\n")),
            (None, None) => {}
        }
        if let Some(text) = original {
            restore.push_str(&format!("printf %s {} >{q}; ", quote(text)));
        }
    }
    if args.bool("update_cache", true) {
        let retries = args.int("update_cache_retries").unwrap_or(5).max(1);
        let max_delay = args.int("update_cache_retry_max_delay").unwrap_or(12);
        script.push_str(&format!(
            "i=0; d=1\n\
             until err=$(DEBIAN_FRONTEND=noninteractive apt-get update -q 2>&1 >/dev/null); do\n\
               i=$((i + 1)); if [ $i -ge {retries} ]; then {restore}printf '%s\\n' \"$err\" >&2; exit 3; fi\n\
               sleep $d; d=$((d * 2)); [ $d -gt {max_delay} ] && d={max_delay}\n\
             done\n"
        ));
    }
    let out = target.run(&script, None, None).await?;
    match out.rc {
        0 => Ok(()),
        3 => Err(ModuleError::Failed(format!(
            "Failed to update apt cache after {} retries: {}",
            args.int("update_cache_retries").unwrap_or(5),
            out.stderr_text().trim()
        ))),
        _ => Err(ModuleError::Failed(format!(
            "cannot write the apt sources: {}",
            out.stderr_text().trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_render_like_ansible() {
        let l = Line::parse("#deb  [trusted=yes]  http://x/y  stable main # note ");
        assert!(l.valid && !l.enabled);
        assert_eq!(l.source, "deb [trusted=yes] http://x/y stable main");
        assert_eq!(
            l.render(),
            "# deb [trusted=yes] http://x/y stable main # note\n"
        );
        assert!(!Line::parse("# just words").valid);
        assert_eq!(Line::parse("").render(), "\n");
    }

    #[test]
    fn file_names_follow_the_uri() {
        let name = |s: &str| suggest_filename(s, None);
        assert_eq!(
            name("deb [trusted=yes] file:/srv/repo2 ./"),
            "file_srv_repo2.list"
        );
        assert_eq!(
            name("deb https://user:pw@apt.example.org/debian bookworm main"),
            "apt_example_org_debian.list"
        );
        assert_eq!(
            name("deb http://dl.google.com/linux/chrome/deb/ stable main"),
            "dl_google_com_linux_chrome_deb.list"
        );
        assert_eq!(suggest_filename("deb x y", Some("mine")), "mine.list");
        assert_eq!(
            expand_path("mine.list"),
            "/etc/apt/sources.list.d/mine.list"
        );
    }

    #[test]
    fn adding_enables_a_commented_copy_and_removing_drops_empty_files() {
        let mut s = Sources::load(vec![(
            "/etc/apt/sources.list".into(),
            "#deb http://a b c\n".into(),
        )]);
        s.add("deb http://a b c", "/etc/apt/sources.list.d/a.list");
        assert_eq!(s.dump()[0].1, "deb http://a b c\n");
        s.remove("deb http://a b c");
        assert!(s.dump().is_empty());
    }
}
