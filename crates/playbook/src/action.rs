//! Which module a task runs and with which arguments: Ansible's `ModuleArgsParser`.
//!
//! The forms it accepts (all normalised to one [`Action`]):
//! `copy: src=a dest=b`, `copy: {src: a}`, `action: copy src=a`, `action: {module: copy, src: a}`,
//! `local_action: shell echo hi` (implies `delegate_to: localhost`), `command: pwd` with
//! `args: {chdir: /tmp}`. Command-like modules keep their free-form text as `_raw_params`.
//!
//! Unlike Ansible, which asks its plugin loader whether a key names an installed module,
//! oxible treats any key that is not a task keyword as the module: modules are resolved when
//! the task runs, so a task naming an unknown module loads and fails at run time.

use oxible_yaml::{Map, Span, Value};

use crate::error::{Error, Result};
use crate::keywords::{Kind, help_for};
use crate::splitter::{parse_kv, split_args};

/// A task's module, arguments and delegation, as `ModuleArgsParser.parse` returns them.
#[derive(Clone, Debug)]
pub struct Action {
    /// The module name as written (`debug`, `ansible.builtin.copy`, `community.general.ini_file`).
    pub module: String,
    /// The module's arguments: `args:` merged with the inline ones (inline wins, as in Ansible).
    pub args: Map,
    /// `delegate_to`, set explicitly or implied by `local_action`.
    pub delegate_to: Option<Value>,
    /// Where the module was named.
    pub span: Option<Span>,
}

/// Prefixes under which ansible-core's own modules are also reachable.
const BUILTIN_PREFIXES: &[&str] = &["ansible.builtin.", "ansible.legacy."];

/// The name without an `ansible.builtin.`/`ansible.legacy.` prefix.
pub fn short_name(module: &str) -> &str {
    BUILTIN_PREFIXES
        .iter()
        .find_map(|p| module.strip_prefix(p))
        .unwrap_or(module)
}

/// Whether `module` is one of ansible-core's modules named `short` (any spelling).
pub fn is_builtin(module: &str, short: &str) -> bool {
    short_name(module) == short
}

/// Modules whose string argument is a command line kept whole (Ansible's `MODULE_REQUIRE_ARGS`).
fn is_free_form(module: &str) -> bool {
    const SIMPLE: &[&str] = &[
        "command",
        "raw",
        "script",
        "shell",
        "win_command",
        "win_shell",
    ];
    SIMPLE.contains(&short_name(module))
        || matches!(
            module,
            "ansible.windows.win_command" | "ansible.windows.win_shell"
        )
}

/// Whether `key` is not an action candidate: a task (or handler) keyword or a `with_` loop.
fn is_task_attribute(key: &str) -> bool {
    Kind::Handler.accepts(key) || key == "static" || key.starts_with("with_")
}

/// Parses the action of task mapping `task` (whose keywords are `keys`); `span` is the task's.
pub(crate) fn parse(
    task: &Map,
    keys: &[(&str, &Value, &Value)],
    span: Option<&Span>,
) -> Result<Action> {
    let explicit_delegate = task.get(&Value::from("delegate_to")).cloned();
    let additional = task.get(&Value::from("args"));
    let mut found: Option<Action> = None;
    if let Some(thing) = task.get(&Value::from("action")) {
        found = Some(old_style(thing, additional, span)?);
    }
    if let Some(thing) = task.get(&Value::from("local_action")) {
        if found.is_some() {
            return Err(Error::parse(
                "action and local_action are mutually exclusive",
                span,
                "keep one of them: local_action is action plus 'delegate_to: localhost'",
            ));
        }
        let mut action = old_style(thing, additional, span)?;
        action.delegate_to = Some(Value::from("localhost").with_span(thing.span.clone()));
        found = Some(action);
    }
    let candidates: Vec<&(&str, &Value, &Value)> = keys
        .iter()
        .filter(|(name, _, _)| !is_task_attribute(name))
        .collect();
    if found.is_some() || candidates.len() > 1 {
        // Several candidates: the likeliest mistake is a misspelt keyword, so report that.
        if let Some((name, key, _)) = candidates.iter().find(|(name, _, _)| {
            !oxible_yaml::suggest(name, Kind::Task.keywords().iter().copied()).is_empty()
        }) {
            return Err(Error::parse(
                format!("'{name}' is not a valid keyword for a Task"),
                key.span.as_ref(),
                help_for(Kind::Task, name),
            ));
        }
    }
    for (name, key, value) in candidates {
        if let Some(first) = &found {
            return Err(Error::parse(
                format!("conflicting action statements: {}, {name}", first.module),
                key.span.as_ref(),
                "a task runs exactly one module: split it into two tasks",
            ));
        }
        let args = new_style(name, value, additional, span)?;
        found = Some(Action {
            module: name.to_string(),
            args,
            delegate_to: None,
            span: key.span.clone(),
        });
    }
    let mut action = found.ok_or_else(|| {
        Error::parse(
            "no module/action detected in task.",
            span,
            "name the module as a key, e.g. 'ansible.builtin.debug: {msg: hi}'",
        )
    })?;
    if action.delegate_to.is_none() {
        action.delegate_to = explicit_delegate;
    }
    if is_builtin(&action.module, "include") {
        return Err(Error::resolve(
            "the 'include' action was removed in ansible-core 2.16",
            action.span.as_ref(),
            "use 'include_tasks' (dynamic) or 'import_tasks' (static) instead",
        ));
    }
    check_reserved(&action)?;
    Ok(action)
}

/// `args:` as Ansible merges it before the inline arguments.
fn additional_args(additional: Option<&Value>) -> Result<Map> {
    let mut out = Map::new();
    match additional {
        None => {}
        Some(v) if v.is_null() => {}
        Some(v) => match (v.as_map(), v.as_str()) {
            (Some(map), _) => out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            (None, Some(text)) if text.trim_start().starts_with("{{") => {
                out.insert(Value::from("_variable_params"), v.clone());
            }
            _ => {
                return Err(Error::parse(
                    "The value of the task `args` keyword is invalid.",
                    v.span.as_ref(),
                    "A mapping or template which resolves to a mapping is required.",
                ));
            }
        },
    }
    Ok(out)
}

/// `k=v` text as argument values, each with the text's position.
fn kv_args(text: &str, module: &str, at: Option<&Span>) -> Result<Map> {
    let pairs = parse_kv(text, is_free_form(module))
        .map_err(|e| Error::parse(e.to_string(), at, "close every quote and '{{ }}' block"))?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (Value::from(k), Value::from(v).with_span(at.cloned())))
        .collect())
}

/// `module: thing` (Ansible's `_normalize_new_style_args`).
fn new_style(
    module: &str,
    thing: &Value,
    additional: Option<&Value>,
    task: Option<&Span>,
) -> Result<Map> {
    let mut args = additional_args(additional)?;
    if let Some(map) = thing.as_map() {
        args.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
    } else if let Some(text) = thing.as_str() {
        args.extend(kv_args(text, module, thing.span.as_ref())?);
    } else if matches!(thing.kind, oxible_yaml::ValueKind::Vault(_)) {
        args.insert(Value::from("_raw_params"), thing.clone());
    } else if !thing.is_null() {
        return Err(Error::parse(
            format!("unexpected parameter type in action: {}", thing.type_name()),
            thing.span.as_ref().or(task),
            "give the module a mapping of arguments or a 'k=v' string",
        ));
    }
    Ok(args)
}

/// `action:`/`local_action:` (Ansible's `_normalize_old_style_args`).
fn old_style(thing: &Value, additional: Option<&Value>, task: Option<&Span>) -> Result<Action> {
    let mut args = additional_args(additional)?;
    let (module, rest, extra) = if let Some(text) = thing.as_str() {
        let (module, rest) = split_module(text, thing.span.as_ref())?;
        (module, rest, None)
    } else if let Some(map) = thing.as_map() {
        let module = map
            .get(&Value::from("module"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::parse(
                    "no module/action detected in task.",
                    thing.span.as_ref().or(task),
                    "a mapping given to 'action' needs a 'module' key",
                )
            })?;
        let (module, rest) = split_module(module, thing.span.as_ref())?;
        (module, rest, Some(map))
    } else {
        return Err(Error::parse(
            format!("unexpected parameter type in action: {}", thing.type_name()),
            thing.span.as_ref().or(task),
            "write 'action: <module> k=v ...'",
        ));
    };
    if let Some(map) = extra {
        for (k, v) in map.iter() {
            match k.as_str() {
                Some("module") => {}
                Some("args") => match v.as_str() {
                    Some(text) => args.extend(kv_args(text, &module, v.span.as_ref())?),
                    None => {
                        if let Some(inner) = v.as_map() {
                            args.extend(inner.iter().map(|(k, v)| (k.clone(), v.clone())));
                        }
                    }
                },
                _ => {
                    args.insert(k.clone(), v.clone());
                }
            }
        }
    }
    args.extend(kv_args(&rest, &module, thing.span.as_ref())?);
    Ok(Action {
        module,
        args,
        delegate_to: None,
        span: thing.span.clone(),
    })
}

/// `"copy src=a"` → `("copy", "src=a")` (Ansible's `_split_module_string`).
fn split_module(text: &str, at: Option<&Span>) -> Result<(String, String)> {
    let tokens = split_args(text)
        .map_err(|e| Error::parse(e.to_string(), at, "close every quote and '{{ }}' block"))?;
    match tokens.split_first() {
        Some((first, rest)) => Ok((first.trim().to_string(), rest.join(" "))),
        None => Ok((String::new(), String::new())),
    }
}

/// Arguments starting with `_ansible_` are reserved (except for command-like modules).
fn check_reserved(action: &Action) -> Result<()> {
    if is_free_form(&action.module) {
        return Ok(());
    }
    match action
        .args
        .keys()
        .find(|k| k.as_str().is_some_and(|k| k.starts_with("_ansible_")))
    {
        Some(key) => Err(Error::resolve(
            format!(
                "Invalid parameter specified beginning with keyword '_ansible_' for action '{}': '{}'",
                action.module,
                key.as_str().unwrap_or_default()
            ),
            key.span.as_ref().or(action.span.as_ref()),
            "The prefix '_ansible_' is reserved for internal use only.",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::string_keys;
    use oxible_yaml::{Source, load_source};

    fn action(yaml: &str) -> Result<Action> {
        let value = load_source(Source::new("t.yml", yaml)).unwrap().value;
        let map = value.as_map().unwrap();
        let keys = string_keys(map, Kind::Task)?;
        parse(map, &keys, value.span.as_ref())
    }

    fn arg(action: &Action, key: &str) -> String {
        action
            .args
            .get(&Value::from(key))
            .and_then(Value::as_str)
            .unwrap_or("<none>")
            .to_string()
    }

    #[test]
    fn module_key_with_kv_and_args_merge() {
        let a = action("copy: src=a dest=b\nargs: {src: z, mode: '0644'}\n").unwrap();
        assert_eq!(a.module, "copy");
        assert_eq!(arg(&a, "src"), "a");
        assert_eq!(arg(&a, "mode"), "0644");
    }

    #[test]
    fn command_keeps_free_form() {
        let a = action("ansible.builtin.command: echo a=b chdir=/tmp\n").unwrap();
        assert_eq!(arg(&a, "_raw_params"), "echo a=b");
        assert_eq!(arg(&a, "chdir"), "/tmp");
    }

    #[test]
    fn local_action_delegates_to_localhost() {
        let a = action("local_action: shell echo hi\n").unwrap();
        assert_eq!(a.module, "shell");
        assert_eq!(arg(&a, "_raw_params"), "echo hi");
        assert_eq!(
            a.delegate_to
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref(),
            Some("localhost")
        );
    }

    #[test]
    fn action_mapping_form() {
        let a = action("action:\n  module: copy src=a\n  dest: b\n").unwrap();
        assert_eq!(a.module, "copy");
        assert_eq!(arg(&a, "src"), "a");
        assert_eq!(arg(&a, "dest"), "b");
    }

    #[test]
    fn any_unknown_key_is_the_module() {
        assert_eq!(
            action("community.general.ini_file: path=x\n")
                .unwrap()
                .module,
            "community.general.ini_file"
        );
    }

    #[test]
    fn errors() {
        let two = action("debug:\nping:\n").unwrap_err().to_string();
        assert!(
            two.contains("conflicting action statements: debug, ping"),
            "{two}"
        );
        let typo = action("debug:\nwhne: x\n").unwrap_err().to_string();
        assert!(
            typo.contains("'whne' is not a valid keyword") && typo.contains("t.yml:2:1"),
            "{typo}"
        );
        let none = action("name: x\n").unwrap_err();
        assert!(none.is_parser_error() && none.to_string().contains("no module/action"));
        let removed = action("include: x.yml\n").unwrap_err();
        assert!(!removed.is_parser_error() && removed.to_string().contains("include_tasks"));
        assert!(action("action: copy\nlocal_action: copy\n").is_err());
    }
}
