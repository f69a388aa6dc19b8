//! `blockinfile`: a block of lines between marker lines, inserted, updated or removed, as
//! Ansible's module places it (`insertafter`/`insertbefore` with `EOF`/`BOF`, blank lines
//! around it with `prepend_newline`/`append_newline`).

use crate::edit::{self, BackupKey, Edit, WriteOptions};
use crate::fs::{self, Attrs};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target, pyre};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
        ArgSpec::new("marker", ArgType::Str),
        ArgSpec::new("block", ArgType::Str).aliases(&["content"]),
        ArgSpec::new("insertafter", ArgType::Str),
        ArgSpec::new("insertbefore", ArgType::Str),
        ArgSpec::new("create", ArgType::Bool),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("validate", ArgType::Str),
        ArgSpec::new("marker_begin", ArgType::Str),
        ArgSpec::new("marker_end", ArgType::Str),
        ArgSpec::new("append_newline", ArgType::Bool),
        ArgSpec::new("prepend_newline", ArgType::Bool),
    ];
    fs::with_common::<13, 22>(own)
};

module!(
    /// The `blockinfile` module.
    pub BlockInFile = "blockinfile", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["insertbefore", "insertafter"])?;
    let path = args.str("path").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let present = args.str("state") != Some("absent");
    let loaded = edit::load(target, &path, &attrs).await?;
    if loaded.probe.followed().is_some_and(fs::Stat::is_dir) {
        let mut outcome = Outcome::failure(format!("Path {path} is a directory !"));
        outcome.set("rc", 256);
        return Ok(outcome);
    }
    if loaded.text.is_none() && !args.bool("create", false) {
        let mut outcome = Outcome::failure(format!("Path {path} does not exist !"));
        outcome.set("rc", 257);
        return Ok(outcome);
    }
    if !present && loaded.text.is_none() {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some(format!("File {path} not present"));
        return Ok(outcome);
    }
    let original = loaded.text.as_deref();
    let block = Block {
        marker: args
            .str("marker")
            .unwrap_or("# {mark} ANSIBLE MANAGED BLOCK"),
        begin: args.str("marker_begin").unwrap_or("BEGIN"),
        end: args.str("marker_end").unwrap_or("END"),
        block: if present {
            args.str("block").unwrap_or_default()
        } else {
            ""
        },
        insertafter: args.str("insertafter"),
        insertbefore: args.str("insertbefore"),
        prepend_newline: present && args.bool("prepend_newline", false),
        append_newline: present && args.bool("append_newline", false),
    };
    let (result, has_block) = block.apply(original.unwrap_or_default())?;
    let msg = match original {
        Some(old) if old == result => "",
        None => "File created",
        _ if !has_block => "Block removed",
        _ => "Block inserted",
    };
    let edit = Edit {
        new_text: (original != Some(result.as_str())).then_some(result),
        msg: msg.to_string(),
    };
    let options = WriteOptions {
        backup: args.bool("backup", false),
        validate: args.str("validate"),
    };
    edit::apply(
        target,
        &path,
        &loaded,
        edit,
        &attrs,
        options,
        BackupKey::WhenMade,
    )
    .await
}

/// The block and where it goes.
struct Block<'a> {
    marker: &'a str,
    begin: &'a str,
    end: &'a str,
    /// The lines between the markers (empty: remove the block).
    block: &'a str,
    insertafter: Option<&'a str>,
    insertbefore: Option<&'a str>,
    prepend_newline: bool,
    append_newline: bool,
}

impl Block<'_> {
    /// The new text, and whether it holds a block.
    fn apply(&self, original: &str) -> Result<(String, bool), ModuleError> {
        let mut lines = edit::lines(original);
        let marker0 = format!("{}\n", self.marker.replace("{mark}", self.begin));
        let marker1 = format!("{}\n", self.marker.replace("{mark}", self.end));
        let blocklines: Vec<String> = if self.block.is_empty() {
            Vec::new()
        } else {
            let mut body = self.block.to_string();
            if !body.ends_with('\n') {
                body.push('\n');
            }
            std::iter::once(marker0.clone())
                .chain(edit::lines(&body))
                .chain(std::iter::once(marker1.clone()))
                .collect()
        };
        let (after, before) = match (self.insertafter, self.insertbefore) {
            (None, None) => (Some("EOF"), None),
            other => other,
        };
        let insertre = match (after, before) {
            (Some(a), _) if a != "EOF" => Some(pyre::compile("insertafter", a, false)),
            (None, Some(b)) if b != "BOF" => Some(pyre::compile("insertbefore", b, false)),
            _ => None,
        }
        .transpose()
        .map_err(ModuleError::Args)?;
        let n0 = lines.iter().rposition(|l| *l == marker0);
        let n1 = lines.iter().rposition(|l| *l == marker1);
        let mut at = match (n0, n1) {
            (Some(n0), Some(n1)) => {
                let (from, to) = (n0.min(n1), n0.max(n1));
                lines.drain(from..=to);
                from
            }
            _ => match &insertre {
                Some(re) => match last_matching(re, &lines)? {
                    Some(i) if after.is_some() => i + 1,
                    Some(i) => i,
                    None => lines.len(),
                },
                None if before.is_some() => 0,
                None => lines.len(),
            },
        };
        if at > 0 && !lines[at - 1].ends_with('\n') {
            lines[at - 1].push('\n');
        }
        if self.prepend_newline && at != 0 && lines[at - 1] != "\n" {
            lines.insert(at, "\n".to_string());
            at += 1;
        }
        let after_block = at + blocklines.len();
        let has_block = !blocklines.is_empty();
        lines.splice(at..at, blocklines);
        if self.append_newline && after_block < lines.len() && lines[after_block] != "\n" {
            lines.insert(after_block, "\n".to_string());
        }
        Ok((lines.concat(), has_block))
    }
}

/// The index of the last line `re` matches (Python's `re.search`), as blockinfile looks for
/// `insertafter`/`insertbefore`.
fn last_matching(re: &oxible_pyre::Regex, lines: &[String]) -> Result<Option<usize>, ModuleError> {
    for (i, line) in lines.iter().enumerate().rev() {
        if pyre::is_match(re, line)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<'a>(text: &'a str, after: Option<&'a str>, before: Option<&'a str>) -> Block<'a> {
        Block {
            marker: "# {mark} X",
            begin: "BEGIN",
            end: "END",
            block: text,
            insertafter: after,
            insertbefore: before,
            prepend_newline: false,
            append_newline: false,
        }
    }

    #[test]
    fn places_blocks_like_ansible() {
        let (text, _) = block("a", None, None).apply("x\ny").expect("applies");
        assert_eq!(text, "x\ny\n# BEGIN X\na\n# END X\n");
        let (text, _) = block("b\nc", None, None).apply(&text).expect("applies");
        assert_eq!(text, "x\ny\n# BEGIN X\nb\nc\n# END X\n");
        let (text, _) = block("z", None, Some("BOF")).apply("x\n").expect("applies");
        assert_eq!(text, "# BEGIN X\nz\n# END X\nx\n");
        let (text, _) = block("z", Some("^x"), None)
            .apply("x\ny\n")
            .expect("applies");
        assert_eq!(text, "x\n# BEGIN X\nz\n# END X\ny\n");
        let (text, has) = block("", None, None)
            .apply("x\n# BEGIN X\nz\n# END X\ny\n")
            .expect("applies");
        assert_eq!((text.as_str(), has), ("x\ny\n", false));
    }
}
