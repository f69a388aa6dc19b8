//! The shared run of the modules that edit a text file in place (`lineinfile`, `blockinfile`,
//! `replace`): one probe reads the file, its stat and the wanted ids; the module computes the
//! new text; the text is written atomically (backup first when asked) with the attributes set
//! in the same step; the result carries Ansible's `msg`, `backup` and diff list.

use oxible_yaml::Value;

use crate::fs::{self, Attrs, Diff, Probe, ProbeOutput, Stat, Want};
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
    target: &Target<'_>,
    path: &str,
    attrs: &Attrs,
) -> Result<Loaded, ModuleError> {
    let quoted = oxible_shell::quote(path);
    let script = format!(
        "{}{}{}",
        fs::ids_snippet(attrs),
        fs::probe_snippet(&quoted, Want::default()),
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

/// Applies `edit` to the loaded file: writes it (unless in check mode), sets the attributes,
/// and builds Ansible's result (`changed`, `msg`, `backup`, `diff` list). `before`/`after`
/// texts appear in the diff only with `--diff`, as the modules do.
pub(crate) async fn apply(
    target: &Target<'_>,
    path: &str,
    loaded: &Loaded,
    edit: Edit,
    attrs: &Attrs,
    backup: bool,
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
    let exists = loaded.probe.lstat.is_some();
    let mut outcome = Outcome::changed(changed);
    if target.check_mode && !exists {
        outcome.msg = Some(msg);
        outcome.set("backup", "");
        outcome.diff = Some(Value::map(content_diff));
        return Ok(outcome);
    }
    let st = loaded.probe.followed().cloned().unwrap_or(Stat {
        st_mode: 0o100_666 & !loaded.ids.umask,
        ..Stat::default()
    });
    let mut attr_diff = Diff::default();
    let commands = match attrs.plan(path, &st, &loaded.ids, &mut attr_diff) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::failure(e)),
    };
    let mut backup_name = String::new();
    if !target.check_mode {
        let result = match &edit.new_text {
            Some(text) => fs::write(
                target,
                path,
                text.clone().into_bytes(),
                Some(st.perm()),
                &commands,
                backup && exists,
            )
            .await
            .map(|b| b.unwrap_or_default()),
            None => fs::run_all(target, &commands).await.map(|()| String::new()),
        };
        match result {
            Ok(name) => backup_name = name,
            Err(ModuleError::Failed(e)) => return Ok(Outcome::failure(e)),
            Err(e) => return Err(e),
        }
    }
    if !commands.is_empty() {
        if changed {
            msg.push_str(" and ");
        }
        msg.push_str("ownership, perms or SE linux context changed");
        outcome.changed = true;
    }
    let mut attr_map = oxible_yaml::Map::new();
    if !attr_diff.before.is_empty() {
        attr_map.insert(Value::from("before"), Value::map(attr_diff.before));
        attr_map.insert(Value::from("after"), Value::map(attr_diff.after));
    }
    let attr_header = format!("{path} (file attributes)");
    attr_map.insert(
        Value::from("before_header"),
        Value::from(attr_header.as_str()),
    );
    attr_map.insert(Value::from("after_header"), Value::from(attr_header));
    outcome.msg = Some(msg);
    outcome.set("backup", backup_name);
    outcome.diff = Some(Value::seq(vec![
        Value::map(content_diff),
        Value::map(attr_map),
    ]));
    Ok(outcome)
}

/// Python's `readlines()`: lines with their `\n` kept.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// The line without its `\r\n`/`\n` ending.
pub(crate) fn chomp(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}
