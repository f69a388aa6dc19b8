//! `replace`: every match of a Python regex in a file replaced (optionally only between the
//! `after` and `before` patterns), as Ansible's module does it.

use oxible_yaml::Value;

use crate::edit::{self, WriteOptions};
use crate::fs::{self, Attrs};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target, pyre};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("regexp", ArgType::Str).required(),
        ArgSpec::new("replace", ArgType::Str),
        ArgSpec::new("after", ArgType::Str),
        ArgSpec::new("before", ArgType::Str),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("validate", ArgType::Str),
        ArgSpec::new("encoding", ArgType::Str),
    ];
    fs::with_common::<8, 17>(own)
};

module!(
    /// The `replace` module.
    pub Replace = "replace", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let path = args.str("path").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let loaded = edit::load(target, &path, &attrs).await?;
    let failure = |msg: String, rc: i64| {
        let mut outcome = Outcome::failure(msg);
        outcome.set("rc", rc);
        Ok(outcome)
    };
    if loaded.probe.followed().is_some_and(fs::Stat::is_dir) {
        return failure(format!("Path {path} is a directory !"), 256);
    }
    let Some(contents) = loaded.text.as_deref() else {
        return failure(format!("Path {path} does not exist !"), 257);
    };
    let mut outcome = Outcome::changed(false);
    outcome.set("rc", 0);
    let Some((start, end)) = section(contents, args.str("after"), args.str("before"))? else {
        let pattern = section_pattern(args.str("after"), args.str("before"));
        outcome.msg = Some(format!(
            "Pattern for before/after params did not match the given file: {pattern}"
        ));
        return Ok(outcome);
    };
    let regexp = args.str("regexp").unwrap_or_default();
    let re = pyre::compile("regexp", regexp, true).map_err(ModuleError::Args)?;
    let replacement = args.str("replace").unwrap_or_default();
    let section = &contents[start..end];
    // Python's re.subn: every match (its empty-match rules), each replaced by the template.
    let template = oxible_pyre::Replacement::parse(replacement, &re).map_err(pyre::failed)?;
    let found = oxible_pyre::matches(&re, section, usize::MAX).map_err(pyre::failed)?;
    let count = found.len();
    let replaced = template.substitute(section, &found);
    let new_text = (count > 0 && replaced != section)
        .then(|| format!("{}{replaced}{}", &contents[..start], &contents[end..]));
    let mut msg = String::new();
    if let Some(text) = &new_text {
        msg = format!("{count} replacements made");
        if target.diff {
            outcome.diff = Some(Value::map(fs::text_diff(
                contents,
                text,
                Some(&path),
                Some(&path),
            )));
        }
    }
    let options = WriteOptions {
        backup: args.bool("backup", false),
        validate: args.str("validate"),
    };
    let committed =
        match edit::commit(target, &path, &loaded, new_text.as_deref(), &attrs, options).await? {
            Ok(c) => c,
            Err(failure) => return Ok(failure),
        };
    outcome.changed = new_text.is_some();
    if committed.attrs_changed {
        if outcome.changed {
            msg.push_str(" and ");
        }
        msg.push_str("ownership, perms or SE linux context changed");
        outcome.changed = true;
    }
    if !committed.backup.is_empty() {
        outcome.set("backup_file", committed.backup);
    }
    outcome.msg = Some(msg);
    Ok(outcome)
}

/// The pattern Ansible builds from `after` and `before` (empty when neither is given).
fn section_pattern(after: Option<&str>, before: Option<&str>) -> String {
    match (
        after.filter(|a| !a.is_empty()),
        before.filter(|b| !b.is_empty()),
    ) {
        (Some(a), Some(b)) => format!("{a}(?P<subsection>.*?){b}"),
        (Some(a), None) => format!("{a}(?P<subsection>.*)"),
        (None, Some(b)) => format!("(?P<subsection>.*){b}"),
        (None, None) => String::new(),
    }
}

/// The byte range the replacement applies to: the whole text, or the `subsection` between
/// `after` and `before`; `None` when their pattern does not match.
fn section(
    contents: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Option<(usize, usize)>, ModuleError> {
    let pattern = section_pattern(after, before);
    if pattern.is_empty() {
        return Ok(Some((0, contents.len())));
    }
    let re = pyre::compile("after/before", &format!("(?s){pattern}"), false)
        .map_err(ModuleError::Args)?;
    Ok(pyre::search(&re, contents)?
        .and_then(|c| c.name("subsection"))
        .map(|m| (m.start(), m.end())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_section_like_ansible() {
        let text = "a\n<x>\nkeep\n</x>\nb\n";
        let (start, end) = section(text, Some("<x>"), Some("</x>"))
            .expect("compiles")
            .expect("matches");
        assert_eq!(&text[start..end], "\nkeep\n");
        assert_eq!(
            section(text, None, None).expect("ok"),
            Some((0, text.len()))
        );
        assert_eq!(section(text, Some("nope"), None).expect("ok"), None);
        assert_eq!(section_pattern(None, Some("b")), "(?P<subsection>.*)b");
    }
}
