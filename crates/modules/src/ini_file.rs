//! `community.general.ini_file`: one option (with one or several values) present or absent in
//! a section of an INI file, or a whole section added or removed, decided line by line as the
//! collection's module does (commented-out options are reused, `exclusive` drops other values,
//! a missing section is appended at the end, the file's top is the section `null` names).

use oxible_yaml::Value;

use crate::edit::{self, WriteOptions};
use crate::fs::{self, Attrs};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("path", ArgType::Path)
            .required()
            .aliases(&["dest"]),
        ArgSpec::new("section", ArgType::Str),
        ArgSpec::new("section_has_values", ArgType::List),
        ArgSpec::new("option", ArgType::Str),
        ArgSpec::new("value", ArgType::Str),
        ArgSpec::new("values", ArgType::List),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
        ArgSpec::new("exclusive", ArgType::Bool),
        ArgSpec::new("no_extra_spaces", ArgType::Bool),
        ArgSpec::new("ignore_spaces", ArgType::Bool),
        ArgSpec::new("allow_no_value", ArgType::Bool),
        ArgSpec::new("modify_inactive_option", ArgType::Bool),
        ArgSpec::new("create", ArgType::Bool),
        ArgSpec::new("follow", ArgType::Bool),
    ];
    crate::fs::with_common::<15, 24>(own)
};

module!(
    /// The `community.general.ini_file` module.
    pub IniFile = "ini_file", SPEC, run
);

/// The name the module gives the part of the file before the first section header.
const TOP: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

/// One `section_has_values` condition: an option that must have one of `values` (any value
/// when empty) for a section of the wanted name to be the one edited.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    option: String,
    values: Vec<String>,
}

/// What the edit is asked to do (the module's parameters after its defaults).
#[derive(Debug, Clone)]
struct Request {
    section: Option<String>,
    conditions: Option<Vec<Condition>>,
    option: Option<String>,
    values: Vec<String>,
    present: bool,
    exclusive: bool,
    no_extra_spaces: bool,
    ignore_spaces: bool,
    allow_no_value: bool,
    modify_inactive_option: bool,
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["value", "values"])?;
    let path = args.str("path").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let present = args.str("state") != Some("absent");
    let allow_no_value = args.bool("allow_no_value", false);
    let values = match args.str("value") {
        Some(v) => vec![v.to_string()],
        None => args.strings("values"),
    };
    if present && !allow_no_value && values.is_empty() {
        return Ok(Outcome::failure(
            "Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
        ));
    }
    let request = Request {
        section: args.str("section").map(str::to_string),
        conditions: conditions(&args)?,
        option: args.str("option").map(str::to_string),
        values,
        present,
        exclusive: args.bool("exclusive", true),
        no_extra_spaces: args.bool("no_extra_spaces", false),
        ignore_spaces: args.bool("ignore_spaces", false),
        allow_no_value,
        modify_inactive_option: args.bool("modify_inactive_option", true),
    };
    let loaded = edit::load(target, &path, &attrs).await?;
    let shown = match (&loaded.probe.realpath, args.bool("follow", false)) {
        (Some(real), true) if loaded.probe.lstat.as_ref().is_some_and(fs::Stat::is_link) => {
            real.clone()
        }
        _ => path.clone(),
    };
    if loaded.text.is_none() && !args.bool("create", true) {
        let mut outcome = Outcome::failure(format!("Destination {shown} does not exist!"));
        outcome.set("rc", 257);
        return Ok(outcome);
    }
    let old = loaded.text.as_deref().map(normalise).unwrap_or_default();
    let (changed, new, msg) = edit_ini(&old, &request);
    let header = format!("{shown} (content)");
    let (before, after) = if target.diff {
        (old.clone(), new.clone())
    } else {
        (String::new(), String::new())
    };
    let diff = fs::text_diff(&before, &after, Some(&header), Some(&header));
    let mut outcome = Outcome::changed(changed);
    let options = WriteOptions {
        backup: args.bool("backup", false),
        validate: None,
    };
    // Ansible sets the attributes only outside check mode, and only on an existing file.
    let committed = if target.check_mode || (!changed && loaded.text.is_none()) {
        None
    } else {
        match edit::commit(
            target,
            &path,
            &loaded,
            changed.then_some(new.as_str()),
            &attrs,
            options,
        )
        .await?
        {
            Ok(c) => Some(c),
            Err(failure) => return Ok(failure),
        }
    };
    if let Some(c) = &committed {
        outcome.changed |= c.attrs_changed;
    }
    outcome.diff = Some(Value::map(diff));
    outcome.msg = Some(msg.to_string());
    outcome.set("path", path.as_str());
    // Ansible's exit_json adds the path's stat to a result with `path`.
    if outcome.changed && !target.check_mode {
        let now = fs::probe_path(target, &path, fs::Want::default(), &Attrs::default()).await?;
        fs::add_path_info(&mut outcome, &now.first());
    } else {
        fs::add_path_info(&mut outcome, &loaded.probe);
    }
    if let Some(c) = committed.filter(|c| !c.backup.is_empty()) {
        outcome.set("backup_file", c.backup);
    }
    Ok(outcome)
}

/// The `section_has_values` list (`value` folded into `values`).
fn conditions(args: &Args) -> Result<Option<Vec<Condition>>, ModuleError> {
    let Some(list) = args.get("section_has_values").and_then(Value::as_seq) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for item in list {
        let bad = || ModuleError::Args("section_has_values: each item must be a dict".into());
        let map = item.as_map().ok_or_else(bad)?;
        let get = |k: &str| map.get(&Value::from(k)).filter(|v| !v.is_null());
        let option = get("option")
            .map(Value::py_str)
            .ok_or_else(|| ModuleError::Args("section_has_values: option is required".into()))?;
        if get("value").is_some() && get("values").is_some() {
            return Err(ModuleError::Args(
                "parameters are mutually exclusive: value|values found in section_has_values"
                    .into(),
            ));
        }
        let values = match (get("value"), get("values")) {
            (Some(v), _) => vec![v.py_str()],
            (None, Some(vs)) => vs
                .as_seq()
                .map(|s| s.iter().map(Value::py_str).collect())
                .unwrap_or_else(|| vec![vs.py_str()]),
            (None, None) => Vec::new(),
        };
        out.push(Condition { option, values });
    }
    Ok(Some(out))
}

/// The text as Python reads it with `encoding="utf-8-sig"` and universal newlines.
fn normalise(text: &str) -> String {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// The module's option pattern: `Some((commented, value))` when `line` sets `option`
/// (`[#;]` before it is accepted when `inactive`); the value runs to the end of the line.
fn match_opt(option: &str, line: &str, inactive: bool) -> Option<(bool, String)> {
    let blank = |s: &str| s.trim_start_matches([' ', '\t']).len();
    let mut rest = &line[line.len() - blank(line)..];
    let mut commented = false;
    if inactive && rest.starts_with(['#', ';']) {
        commented = true;
        rest = &rest[1..];
        rest = &rest[rest.len() - blank(rest)..];
    }
    rest = rest.strip_prefix(option)?;
    rest = &rest[rest.len() - blank(rest)..];
    let value = if let Some(after) = rest.strip_prefix('=') {
        let after = &after[after.len() - blank(after)..];
        after.split('\n').next().unwrap_or_default().to_string()
    } else if rest.is_empty() || rest == "\n" {
        String::new()
    } else {
        return None;
    };
    Some((commented, value))
}

/// Whether `line` is blank or a comment (the module's `^[ \t]*([#;].*)?$`).
fn blank_or_comment(line: &str) -> bool {
    let rest = line.trim_start_matches([' ', '\t']);
    let rest = rest.strip_suffix('\n').unwrap_or(rest);
    rest.is_empty() || (rest.starts_with(['#', ';']) && !rest.contains('\n'))
}

/// Whether `line` heads section `name` (`^\[\s*name\s*]`).
fn heads(line: &str, name: &str) -> bool {
    line.strip_prefix('[')
        .map(|r| r.trim_start())
        .and_then(|r| r.strip_prefix(name))
        .map(|r| r.trim_start())
        .is_some_and(|r| r.starts_with(']'))
}

/// Whether every condition holds among `lines`.
fn has_values(conditions: Option<&Vec<Condition>>, lines: &[String]) -> bool {
    conditions.is_none_or(|conds| {
        conds.iter().all(|c| {
            lines.iter().any(|l| {
                match_opt(&c.option, l, true)
                    .is_some_and(|(_, v)| c.values.is_empty() || c.values.contains(&v))
            })
        })
    })
}

/// The module's `do_ini` on `text`: `(changed, new text, msg)`.
fn edit_ini(text: &str, req: &Request) -> (bool, String, &'static str) {
    let mut values: Vec<String> = Vec::new();
    for v in &req.values {
        if !values.contains(v) {
            values.push(v.clone());
        }
    }
    let mut lines = edit::lines(text);
    let mut changed = false;
    if lines.is_empty() {
        lines.push("\n".into());
    }
    if let Some(last) = lines.last_mut()
        && !last.ends_with('\n')
    {
        last.push('\n');
        changed = true;
    }
    lines.insert(0, format!("[{TOP}]"));
    lines.push("[".into());
    let section = match req.section.as_deref() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => TOP.to_string(),
    };
    let name = section.trim();
    let mut within = false;
    let (mut start, mut end) = (0, 0);
    for (index, line) in lines.iter().enumerate() {
        if within && line.starts_with('[') {
            if has_values(req.conditions.as_ref(), &lines[start..index]) {
                end = index;
                break;
            }
            within = false;
            start = 0;
            end = 0;
        }
        if heads(line, name) {
            within = true;
            start = index;
        }
    }
    let after_part = lines.split_off(end);
    let mut section_lines = lines.split_off(start);
    let mut before_part = lines;
    let mut done = vec![false; section_lines.len()];
    let inactive = req.modify_inactive_option;
    let option = req.option.as_deref().filter(|o| !o.is_empty());
    let assign = |o: &str, v: &str| {
        if req.no_extra_spaces {
            format!("{o}={v}\n")
        } else {
            format!("{o} = {v}\n")
        }
    };
    let mut msg = "OK";
    let mut no_value_present = false;
    // The module's update_section_line: true when the option's line changed.
    let update = |section_lines: &mut Vec<String>,
                  done: &mut Vec<bool>,
                  index: usize,
                  o: &str,
                  newline: String| {
        let mut option_changed = None;
        if req.ignore_spaces
            && let Some((false, old)) = match_opt(o, &section_lines[index], true)
        {
            let new = match_opt(o, &newline, true).map(|(_, v)| v);
            option_changed = Some(new.as_deref() != Some(old.as_str()));
        }
        let option_changed = option_changed.unwrap_or(section_lines[index] != newline);
        if option_changed {
            section_lines[index] = newline;
        }
        done[index] = true;
        option_changed
    };
    if req.present
        && let Some(o) = option
    {
        for index in 0..section_lines.len() {
            let Some((_, found)) = match_opt(o, &section_lines[index], inactive) else {
                continue;
            };
            if !values.is_empty() && values.contains(&found) {
                let newline = if found.is_empty() && req.allow_no_value {
                    no_value_present = true;
                    format!("{o}\n")
                } else {
                    assign(o, &found)
                };
                if update(&mut section_lines, &mut done, index, o, newline) {
                    changed = true;
                    msg = "option changed";
                }
                if let Some(at) = values.iter().position(|v| *v == found) {
                    values.remove(at);
                }
            } else if values.is_empty() && req.allow_no_value {
                if update(&mut section_lines, &mut done, index, o, format!("{o}\n")) {
                    changed = true;
                    msg = "option changed";
                }
                no_value_present = true;
                break;
            }
        }
    }
    if req.present && req.exclusive && !req.allow_no_value {
        let o = option.unwrap_or_default();
        let matches = |l: &str| option.is_some() && match_opt(o, l, inactive).is_some();
        if !values.is_empty() {
            for index in 0..section_lines.len() {
                if !done[index] && matches(&section_lines[index]) {
                    let newline = assign(o, &values.remove(0));
                    if update(&mut section_lines, &mut done, index, o, newline) {
                        changed = true;
                        msg = "option changed";
                    }
                    if values.is_empty() {
                        break;
                    }
                }
            }
        }
        for index in (1..section_lines.len()).rev() {
            if !done[index] && matches(&section_lines[index]) {
                section_lines.remove(index);
                done.remove(index);
                changed = true;
                msg = "option changed";
            }
        }
    }
    if req.present {
        for index in (1..=section_lines.len()).rev() {
            if blank_or_comment(&section_lines[index - 1]) {
                continue;
            }
            if let Some(o) = option {
                if !values.is_empty() {
                    for v in values.iter().rev() {
                        section_lines.insert(index, assign(o, v));
                    }
                    msg = "option added";
                    changed = true;
                } else if req.allow_no_value && !no_value_present {
                    section_lines.insert(index, format!("{o}\n"));
                    msg = "option added";
                    changed = true;
                }
            }
            break;
        }
    } else if let Some(o) = option {
        let before_len = section_lines.len();
        if req.exclusive {
            section_lines.retain(|l| match_opt(o, l, false).is_none());
        } else if !values.is_empty() {
            section_lines
                .retain(|l| match_opt(o, l, false).is_none_or(|(_, v)| !values.contains(&v)));
        }
        if section_lines.len() != before_len {
            changed = true;
            msg = "option changed";
        }
    } else if !section_lines.is_empty() {
        section_lines.clear();
        msg = "section removed";
        changed = true;
    }
    before_part.append(&mut section_lines);
    before_part.extend(after_part);
    let mut lines = before_part;
    if !lines.is_empty() {
        lines.remove(0);
    }
    lines.pop();
    if !within && req.present {
        lines.push(format!("[{section}]\n"));
        msg = "section and option added";
        if let Some(conds) = &req.conditions {
            for c in conds {
                if Some(c.option.as_str()) != option {
                    if !c.values.is_empty() {
                        for v in &c.values {
                            lines.push(assign(&c.option, v));
                        }
                    } else if req.allow_no_value {
                        lines.push(format!("{}\n", c.option));
                    }
                } else if !req.exclusive {
                    for v in &c.values {
                        if !values.contains(v) {
                            values.push(v.clone());
                        }
                    }
                }
            }
        }
        match option {
            Some(o) if !values.is_empty() => {
                for v in &values {
                    lines.push(assign(o, v));
                }
            }
            Some(o) if req.allow_no_value => lines.push(format!("{o}\n")),
            _ => msg = "only section added",
        }
        changed = true;
    }
    (changed, lines.concat(), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(section: Option<&str>, option: &str, values: &[&str]) -> Request {
        Request {
            section: section.map(str::to_string),
            conditions: None,
            option: Some(option.to_string()),
            values: values.iter().map(|v| v.to_string()).collect(),
            present: true,
            exclusive: true,
            no_extra_spaces: false,
            ignore_spaces: false,
            allow_no_value: false,
            modify_inactive_option: true,
        }
    }

    #[test]
    fn new_file_gets_a_leading_blank_line_and_the_section() {
        let (changed, text, msg) = edit_ini("", &req(Some("s"), "a", &["1"]));
        assert!(changed);
        assert_eq!(text, "\n[s]\na = 1\n");
        assert_eq!(msg, "section and option added");
    }

    #[test]
    fn commented_option_is_reused_and_second_run_is_ok() {
        let (changed, text, msg) = edit_ini("[s]\n# a = 0\nb=2\n", &req(Some("s"), "a", &["1"]));
        assert!(changed);
        assert_eq!(text, "[s]\na = 1\nb=2\n");
        assert_eq!(msg, "option changed");
        let (changed, again, msg) = edit_ini(&text, &req(Some("s"), "a", &["1"]));
        assert!(!changed);
        assert_eq!(again, text);
        assert_eq!(msg, "OK");
    }

    #[test]
    fn top_of_file_and_added_after_last_setting() {
        let (_, text, msg) = edit_ini("x = 1\n\n[s]\n", &req(None, "y", &["2"]));
        assert_eq!(text, "x = 1\ny = 2\n\n[s]\n");
        assert_eq!(msg, "option added");
    }

    #[test]
    fn option_patterns() {
        assert_eq!(
            match_opt("a", "  a =  b c\n", false),
            Some((false, "b c".into()))
        );
        assert_eq!(match_opt("a", ";a\n", true), Some((true, String::new())));
        assert_eq!(match_opt("a", ";a\n", false), None);
        assert_eq!(match_opt("a", "ab = 1\n", true), None);
        assert!(heads("[ s ]x\n", "s"));
        assert!(!heads("[st]\n", "s"));
    }
}
