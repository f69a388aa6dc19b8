//! Actions that run on the controller and change the play's own state rather than a target
//! (Ansible's action plugins without a module): `debug`, `set_fact`, `assert`, `fail`, and the
//! include tasks, whose result only carries their arguments for the play to load.

use std::sync::Arc;

use oxible_template::{Scope, Templar};
use oxible_yaml::{Map, Value, ValueKind};

use crate::events::{Event, Status};
use crate::task::{Ran, failed};

/// The controller actions this module runs instead of a target module.
const ACTIONS: &[&str] = &[
    "debug",
    "set_fact",
    "assert",
    "fail",
    "include_tasks",
    "include_role",
];

/// Whether `module` (a short name) is a controller action.
pub(crate) fn is_action(module: &str) -> bool {
    ACTIONS.contains(&module)
}

/// Runs `module` if it is a controller action; `None` when it is a module for the target.
/// Warnings the action gives go to `pending`, the host's events.
pub(crate) fn run(
    module: &str,
    args: &Map,
    scope: &Arc<Scope>,
    templar: &Templar,
    pending: &mut Vec<Event>,
) -> Option<Result<Ran, String>> {
    Some(match module {
        "debug" => debug(args, scope, templar, pending),
        "set_fact" => Ok(set_fact(args)),
        "assert" => assert(args, scope, templar),
        "fail" => Ok(fail(args)),
        "include_tasks" | "include_role" => Ok(include(args)),
        _ => return None,
    })
}

fn arg<'a>(args: &'a Map, name: &str) -> Option<&'a Value> {
    args.get(&Value::from(name))
}

fn ok(result: Map) -> Ran {
    Ran {
        status: Status::Ok,
        result,
    }
}

/// `debug`: `msg` (default "Hello world!") or `var` (an expression, shown under its own text;
/// an undefined one as `<< error 1 - <why> >>` with ansible-core 2.19's warning
/// `Encountered 1 template error.` pointing at it).
fn debug(
    args: &Map,
    scope: &Arc<Scope>,
    templar: &Templar,
    pending: &mut Vec<Event>,
) -> Result<Ran, String> {
    let mut result = Map::new();
    if let Some(var) = arg(args, "var") {
        let expr = var.py_str();
        let value = match templar.evaluate(&expr, scope) {
            Ok(value) => value,
            // ansible-core 2.19 shows what is undefined in place of the value.
            Err(err) if err.kind == oxible_template::TemplateErrorKind::Undefined => {
                let why = undefined_path(&expr, scope, templar).unwrap_or(err.message);
                pending.push(Event::Warning {
                    message: format!("Encountered 1 template error.\nerror 1 - {why}"),
                    origin: var.span.clone(),
                });
                Value::from(format!("<< error 1 - {why} >>"))
            }
            Err(err) => return Err(err.to_string()),
        };
        result.insert(Value::from(expr), value);
    } else {
        let msg = arg(args, "msg")
            .cloned()
            .unwrap_or_else(|| Value::from("Hello world!"));
        result.insert(Value::from("msg"), msg);
    }
    result.insert(Value::from("changed"), Value::from(false));
    Ok(ok(result))
}

/// Why the dotted path `expr` (`r.msg`, `l.5`) is undefined, in Jinja2's words: its first name
/// is undefined, or the value before the first missing part has no such attribute. `None` for
/// any other expression.
fn undefined_path(expr: &str, scope: &Arc<Scope>, templar: &Templar) -> Option<String> {
    let parts: Vec<&str> = expr.trim().split('.').collect();
    let name_like = |p: &&str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !p.starts_with(|c: char| c.is_ascii_digit())
    };
    let index_like = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !name_like(&parts[0]) || !parts[1..].iter().all(|p| name_like(p) || index_like(p)) {
        return None;
    }
    let mut known = None;
    for end in 1..=parts.len() {
        match templar.evaluate(&parts[..end].join("."), scope) {
            Ok(value) => known = Some(value),
            Err(_) => {
                let Some(value) = known else {
                    return Some(format!("'{}' is undefined", parts[0]));
                };
                let part = parts[end - 1];
                let attribute = if index_like(&part) {
                    part.to_string()
                } else {
                    format!("'{part}'")
                };
                return Some(format!(
                    "object of type '{}' has no attribute {attribute}",
                    python_type(&value)
                ));
            }
        }
    }
    None
}

/// The Python type name of a value, as Jinja2's messages give it.
fn python_type(value: &Value) -> &'static str {
    match &value.kind {
        ValueKind::Null => "NoneType",
        ValueKind::Bool(_) => "bool",
        ValueKind::Int(_) => "int",
        ValueKind::Float(_) => "float",
        ValueKind::Seq(_) => "list",
        ValueKind::Map(_) => "dict",
        _ => "str",
    }
}

/// `set_fact`: the arguments become host variables, through the result's `ansible_facts`
/// (`cacheable` is accepted and ignored).
fn set_fact(args: &Map) -> Ran {
    let mut facts = Map::new();
    for (name, value) in args.iter().filter(|(k, _)| k.as_str() != Some("cacheable")) {
        facts.insert(name.clone(), value.clone());
    }
    let mut result = Map::new();
    result.insert(Value::from("ansible_facts"), Value::map(facts));
    result.insert(Value::from("changed"), Value::from(false));
    ok(result)
}

/// `assert`: every expression in `that` must hold; `fail_msg`/`msg` and `success_msg`; the
/// success is shown at every verbosity unless `quiet`.
fn assert(args: &Map, scope: &Arc<Scope>, templar: &Templar) -> Result<Ran, String> {
    let that = arg(args, "that").ok_or("missing required arguments: that")?;
    // Shown even without -v, as Ansible's assert does, unless `quiet`.
    let quiet = arg(args, "quiet").is_some_and(crate::task::truthy_value);
    let shown = |result: &mut Map| {
        if !quiet {
            result.insert(Value::from("_ansible_verbose_always"), Value::from(true));
        }
    };
    let conditions: Vec<Value> = match that.as_seq() {
        Some(items) => items.to_vec(),
        None => vec![that.clone()],
    };
    for cond in &conditions {
        let holds = templar.condition(cond, scope).map_err(|e| e.to_string())?;
        if !holds {
            let msg = arg(args, "fail_msg")
                .or_else(|| arg(args, "msg"))
                .cloned()
                .unwrap_or_else(|| Value::from("Assertion failed"));
            let mut ran = failed("");
            ran.result.insert(Value::from("msg"), msg);
            ran.result.insert(Value::from("assertion"), cond.clone());
            ran.result
                .insert(Value::from("evaluated_to"), Value::from(false));
            shown(&mut ran.result);
            return Ok(ran);
        }
    }
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(false));
    let msg = arg(args, "success_msg")
        .cloned()
        .unwrap_or_else(|| Value::from("All assertions passed"));
    result.insert(Value::from("msg"), msg);
    shown(&mut result);
    Ok(ok(result))
}

/// `fail`: always fails, with `msg`.
fn fail(args: &Map) -> Ran {
    let msg = arg(args, "msg")
        .map(Value::py_str)
        .unwrap_or_else(|| "Failed as requested from task".into());
    failed(&msg)
}

/// `include_tasks`/`include_role`: the arguments, for the play to load after the task (as
/// Ansible's include results carry `include_args`).
fn include(args: &Map) -> Ran {
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(false));
    result.insert(Value::from("include_args"), Value::map(args.clone()));
    ok(result)
}
