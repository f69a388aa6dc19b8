//! One task or handler: its keywords validated, its action resolved (Ansible's `Task.load`).

use oxible_yaml::{Map, Span, Value};

use crate::action::{self, Action};
use crate::error::{Error, Result};
use crate::keywords::{self, Keywords, Kind, LOOP_CONTROL, string_keys};
use crate::tags::parse_tags;

/// How a task loops.
#[derive(Clone, Debug)]
pub enum Loop {
    /// `loop: <value>`.
    Loop(Value),
    /// `with_<lookup>: <terms>` (Ansible's `loop_with`).
    With {
        /// The lookup plugin name (`items`, `dict`, `sequence`, …).
        lookup: String,
        /// Its terms, untemplated.
        terms: Value,
    },
}

/// A task (or handler) after static validation; values stay untemplated.
#[derive(Clone, Debug)]
pub struct Task {
    /// `name`, as written (templated at run time).
    pub name: Option<String>,
    /// The module to run with its arguments.
    pub action: Action,
    /// The task's own `tags` (inherited ones are added by [`crate::Play::listed_tasks`]).
    pub tags: Vec<String>,
    /// `when` conditions, all of which must hold (a single condition becomes a list of one).
    pub when: Vec<Value>,
    /// `loop` or `with_<lookup>`.
    pub looping: Option<Loop>,
    /// `listen` topics of a handler.
    pub listen: Vec<String>,
    /// Every other keyword set on the task, untemplated.
    pub keywords: Keywords,
    /// Where the task starts.
    pub span: Option<Span>,
}

impl Task {
    /// Loads task mapping `value`; `kind` is [`Kind::Task`] or [`Kind::Handler`].
    pub(crate) fn load(value: &Value, kind: Kind) -> Result<Task> {
        let map = keywords::expect_map(value, kind, None)?;
        let span = value.span.as_ref();
        let keys = string_keys(map, kind)?;
        let action = action::parse(map, &keys, span)?;
        let mut task = Task {
            name: None,
            tags: Vec::new(),
            when: Vec::new(),
            looping: None,
            listen: Vec::new(),
            keywords: Keywords::default(),
            span: span.cloned(),
            action,
        };
        for (name, key, value) in keys {
            if matches!(
                name,
                "action" | "local_action" | "args" | "delegate_to" | "static"
            ) || name == task.action.module
            {
                continue;
            }
            if let Some(lookup) = name.strip_prefix("with_") {
                task.set_loop(
                    Loop::With {
                        lookup: lookup.to_string(),
                        terms: value.clone(),
                    },
                    key,
                )?;
                continue;
            }
            if !kind.accepts(name) {
                return Err(keywords::unknown(kind, name, key.span.as_ref()));
            }
            match name {
                "name" => task.name = scalar_text(value),
                "tags" => task.tags = parse_tags(value)?,
                "when" => task.when = as_list(value),
                "loop" => task.set_loop(Loop::Loop(value.clone()), key)?,
                "listen" => task.listen = as_list(value).iter().filter_map(scalar_text).collect(),
                "loop_control" => {
                    check_loop_control(value)?;
                    task.keywords.insert(name, value.clone());
                }
                "register" => {
                    check_register(value)?;
                    task.keywords.insert(name, value.clone());
                }
                _ => task.keywords.insert(name, value.clone()),
            }
        }
        if let Some(d) = &task.action.delegate_to {
            task.keywords.insert("delegate_to", d.clone());
        }
        Ok(task)
    }

    fn set_loop(&mut self, looping: Loop, key: &Value) -> Result<()> {
        if self.looping.is_some() {
            return Err(Error::parse(
                format!("duplicate loop in task: {}", key.as_str().unwrap_or("loop")),
                key.span.as_ref(),
                "use one of 'loop' or a single 'with_<lookup>' per task",
            ));
        }
        self.looping = Some(looping);
        Ok(())
    }

    /// The module name as written, e.g. `ansible.builtin.debug` (what Ansible's listing prints
    /// for an unnamed task).
    pub fn module(&self) -> &str {
        &self.action.module
    }

    /// Whether the task runs the builtin module `short` (`import_tasks`, `meta`, …) under any of
    /// its names.
    pub fn is(&self, short: &str) -> bool {
        action::is_builtin(&self.action.module, short)
    }

    /// The argument `key` of the task's action.
    pub fn arg(&self, key: &str) -> Option<&Value> {
        self.action.args.get(&Value::from(key))
    }

    /// The name ansible-core shows for the task (`TASK [...]` banners, `--list-tasks`), given
    /// its `name` (templated by the caller, or as written) and the name of the role it belongs
    /// to. This is `Task.get_name`: `role : name` in a role, `name` outside, and `role : action`
    /// or the action as written when unnamed. `include_role` tasks use `IncludeRole.get_name`
    /// instead: their name alone, without the enclosing role's prefix, or `action : role`
    /// naming the role they include.
    pub fn shown_name(&self, name: Option<&str>, role: Option<&str>) -> String {
        let name = name.filter(|n| !n.is_empty());
        if self.is("include_role") {
            return match name {
                Some(name) => name.to_string(),
                None => {
                    let included = self.arg("name").or_else(|| self.arg("role"));
                    let included = included.map_or_else(|| "None".to_string(), Value::py_str);
                    format!("{} : {included}", self.module())
                }
            };
        }
        match (name, role) {
            (Some(name), Some(role)) => format!("{role} : {name}"),
            (Some(name), None) => name.to_string(),
            (None, Some(role)) => format!("{role} : {}", self.module()),
            (None, None) => self.module().to_string(),
        }
    }
}

/// `loop_control` must be a mapping of known keys.
/// `register:` names a variable, as ansible-core checks when it loads the task.
fn check_register(value: &Value) -> Result<()> {
    if value.is_null() || value.as_str().is_some_and(is_variable_name) {
        return Ok(());
    }
    Err(Error::parse(
        format!(
            "Invalid 'register' specified: {} is not a valid variable name",
            value.py_repr()
        ),
        value.span.as_ref(),
        "variable names start with a letter or '_' and contain only letters, digits and '_'; true, false, none and not are reserved",
    ))
}

/// Whether `name` can name a variable: an ASCII identifier that is none of Jinja's reserved
/// names (ansible-core's `validate_variable_name`).
pub fn is_variable_name(name: &str) -> bool {
    const RESERVED: &[&str] = &["true", "false", "none", "True", "False", "None", "not"];
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

fn check_loop_control(value: &Value) -> Result<()> {
    let map: &Map = value.as_map().ok_or_else(|| {
        Error::parse(
            "the `loop_control` value must be specified as a dictionary and cannot be a variable itself (though it can contain variables)",
            value.span.as_ref(),
            format!("valid keys: {}", LOOP_CONTROL.join(", ")),
        )
    })?;
    for key in map.keys() {
        let name = key.as_str().unwrap_or_default();
        if !LOOP_CONTROL.contains(&name) {
            let hint = oxible_yaml::did_you_mean(name, LOOP_CONTROL.iter().copied())
                .map(|close| close + " ")
                .unwrap_or_default();
            return Err(Error::parse(
                format!("'{name}' is not a valid keyword for loop_control"),
                key.span.as_ref(),
                format!("{hint}valid keys: {}", LOOP_CONTROL.join(", ")),
            ));
        }
    }
    Ok(())
}

/// A value that may be one item or a list of them, as a list.
pub(crate) fn as_list(value: &Value) -> Vec<Value> {
    match value.as_seq() {
        Some(items) => items.to_vec(),
        None if value.is_null() => Vec::new(),
        None => vec![value.clone()],
    }
}

/// The text of a scalar as Python's `str()` would give it for names (`None` stays unset).
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    if value.is_null() {
        None
    } else {
        Some(value.py_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::{Source, load_source};

    fn task(yaml: &str, kind: Kind) -> Result<Task> {
        let value = load_source(Source::new("t.yml", yaml)).unwrap().value;
        Task::load(&value, kind)
    }

    #[test]
    fn loads_keywords_loop_and_tags() {
        let t = task(
            "name: n\ndebug: msg=x\nwith_items: [1]\ntags: a, b\nwhen: x\nbecome: yes\n",
            Kind::Task,
        )
        .unwrap();
        assert_eq!(t.name.as_deref(), Some("n"));
        assert_eq!(t.tags, vec!["a", "b"]);
        assert_eq!(t.when.len(), 1);
        assert!(matches!(&t.looping, Some(Loop::With { lookup, .. }) if lookup == "items"));
        assert_eq!(t.keywords.get("become"), Some(&Value::from(true)));
    }

    #[test]
    fn listen_only_for_handlers() {
        assert_eq!(
            task("debug:\nlisten: topic\n", Kind::Handler)
                .unwrap()
                .listen,
            vec!["topic"]
        );
        let err = task("debug:\nlisten: topic\n", Kind::Task)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'listen' is not a valid keyword for a Task"),
            "{err}"
        );
    }

    #[test]
    fn rejects_duplicate_loops_and_bad_loop_control() {
        assert!(task("debug:\nloop: [1]\nwith_items: [2]\n", Kind::Task).is_err());
        let err = task(
            "debug:\nloop: [1]\nloop_control: {loopvar: x}\n",
            Kind::Task,
        )
        .unwrap_err();
        assert!(err.to_string().contains("did you mean 'loop_var'"));
    }
}
