//! The shared run of the modules that edit a text file in place (`lineinfile`, `blockinfile`,
//! `replace`): one probe reads the file, its stat and the wanted ids; the module computes the
//! new text; the text is written atomically (backup first when asked) with the attributes set
//! in the same step; the result carries Ansible's `msg`, `backup` and diff list.

use oxible_yaml::Value;

use crate::fs::{self, Attrs, Diff, Install, Probe, ProbeOutput, Source, Stat, Want};
use crate::{ModuleError, Outcome, Target};

/// A text file as read from the target.
pub(crate) struct Loaded {
    /// Umask and ids.
    pub ids: ProbeOutput,
    /// The file's probe.
    pub probe: Probe,
    /// Its text (`None` when it does not exist).
    pub text: Option<String>,
}

/// Reads `path`, its stat and the ids `attrs` need, in one command.
pub(crate) async fn load(
    target: &Target,
    path: &str,
    attrs: &Attrs,
) -> Result<Loaded, ModuleError> {
    let quoted = oxible_shell::quote(path);
    let script = format!(
        "{}{}{}",
        fs::ids_snippet(attrs),
        fs::probe_snippet(
            &quoted,
            Want {
                realpath: true,
                ..Want::default()
            },
        ),
        fs::content_snippet(&quoted)
    );
    let mut ids = fs::probe(target, &script).await?;
    let probe = ids.first();
    let text = ids
        .content
        .take()
        .map(|c| String::from_utf8_lossy(&c).into_owned());
    Ok(Loaded { ids, probe, text })
}

/// What an edit decided.
pub(crate) struct Edit {
    /// The new text, when it differs from the old.
    pub new_text: Option<String>,
    /// Ansible's message for the content change (`line added` …).
    pub msg: String,
}

/// How an edited file is written: `backup` first, `validate` (`%s` is the staged file).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriteOptions<'a> {
    /// Copy the old file to a backup first.
    pub backup: bool,
    /// The command that must accept the new content.
    pub validate: Option<&'a str>,
}

/// What [`commit`] did.
pub(crate) struct Committed {
    /// The backup's name (empty when none was made).
    pub backup: String,
    /// Whether owner, group or mode changed.
    pub attrs_changed: bool,
    /// Their before/after values.
    pub attr_diff: Diff,
}

/// Writes `new_text` (when some) to the loaded file and sets the attributes, in one command
/// (nothing in check mode). `Err` is the module's failure result.
pub(crate) async fn commit(
    target: &Target,
    path: &str,
    loaded: &Loaded,
    new_text: Option<&str>,
    attrs: &Attrs,
    options: WriteOptions<'_>,
) -> Result<Result<Committed, Outcome>, ModuleError> {
    let exists = loaded.probe.lstat.is_some();
    let st = loaded.probe.followed().cloned().unwrap_or(Stat {
        st_mode: 0o100_666 & !loaded.ids.umask,
        ..Stat::default()
    });
    let mut attr_diff = Diff::default();
    let commands = match attrs.plan(path, &st, &loaded.ids, &mut attr_diff) {
        Ok(c) => c,
        Err(e) => return Ok(Err(Outcome::failure(e))),
    };
    let mut backup = String::new();
    if !target.check_mode {
        let result = match new_text {
            Some(text) => fs::install(
                target,
                Install {
                    dest: loaded.probe.realpath.clone().unwrap_or(path.to_string()),
                    source: Source::Bytes(text.as_bytes().to_vec()),
                    perm: st.perm(),
                    keep_owner: exists.then_some((st.uid, st.gid)),
                    backup: options.backup && exists,
                    validate: options.validate.map(str::to_string),
                    after: commands.clone(),
                    make_parents: !exists,
                },
            )
            .await
            .map(|installed| match installed.invalid {
                Some((rc, _, err)) => Err(format!("failed to validate: rc:{rc} error:{err}")),
                None => Ok(installed.backup.unwrap_or_default()),
            }),
            None => fs::run_all(target, &commands)
                .await
                .map(|()| Ok(String::new())),
        };
        match result {
            Ok(Ok(name)) => backup = name,
            Ok(Err(e)) | Err(ModuleError::Failed(e)) => return Ok(Err(Outcome::failure(e))),
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(Committed {
        backup,
        attrs_changed: !commands.is_empty(),
        attr_diff,
    }))
}

/// Applies `edit` to the loaded file with [`commit`] and builds the result `lineinfile` and
/// `blockinfile` return (`changed`, `msg`, the backup under `backup_key`, `diff` list).
/// `before`/`after` texts appear in the diff only with `--diff`, as the modules do.
pub(crate) async fn apply(
    target: &Target,
    path: &str,
    loaded: &Loaded,
    edit: Edit,
    attrs: &Attrs,
    options: WriteOptions<'_>,
    backup_key: BackupKey,
) -> Result<Outcome, ModuleError> {
    let old = loaded.text.clone().unwrap_or_default();
    let header = format!("{path} (content)");
    let (before, after) = if target.diff {
        (old.clone(), edit.new_text.clone().unwrap_or(old.clone()))
    } else {
        (String::new(), String::new())
    };
    let content_diff = fs::text_diff(&before, &after, Some(&header), Some(&header));
    let changed = edit.new_text.is_some();
    let mut msg = edit.msg;
    let mut outcome = Outcome::changed(changed);
    if target.check_mode && loaded.probe.lstat.is_none() {
        outcome.msg = Some(msg);
        if backup_key == BackupKey::Always {
            outcome.set("backup", "");
        }
        outcome.diff = Some(Value::map(content_diff));
        return Ok(outcome);
    }
    let committed = match commit(
        target,
        path,
        loaded,
        edit.new_text.as_deref(),
        attrs,
        options,
    )
    .await?
    {
        Ok(c) => c,
        Err(failure) => return Ok(failure),
    };
    if committed.attrs_changed {
        if changed {
            msg.push_str(" and ");
        }
        msg.push_str("ownership, perms or SE linux context changed");
        outcome.changed = true;
    }
    let mut attr_map = oxible_yaml::Map::new();
    if !committed.attr_diff.before.is_empty() {
        attr_map.insert(
            Value::from("before"),
            Value::map(committed.attr_diff.before),
        );
        attr_map.insert(Value::from("after"), Value::map(committed.attr_diff.after));
    }
    let attr_header = format!("{path} (file attributes)");
    attr_map.insert(
        Value::from("before_header"),
        Value::from(attr_header.as_str()),
    );
    attr_map.insert(Value::from("after_header"), Value::from(attr_header));
    outcome.msg = Some(msg);
    match backup_key {
        BackupKey::Always => {
            outcome.set("backup", committed.backup);
        }
        BackupKey::WhenMade if !committed.backup.is_empty() => {
            outcome.set("backup_file", committed.backup);
        }
        BackupKey::WhenMade => {}
    }
    outcome.diff = Some(Value::seq(vec![
        Value::map(content_diff),
        Value::map(attr_map),
    ]));
    Ok(outcome)
}

/// How a module reports its backup: `lineinfile`'s `backup` (always, empty when none) or
/// `blockinfile`'s `backup_file` (only when made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackupKey {
    /// `backup`, always.
    Always,
    /// `backup_file`, when a backup was made.
    WhenMade,
}

/// Python's `readlines()`: lines with their `\n` kept.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// The line without its `\r\n`/`\n` ending.
pub(crate) fn chomp(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}
