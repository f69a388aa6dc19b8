//! What a module did, and the result dict Ansible's module would have returned.

use oxible_yaml::{Map, Value};

/// A module's result: `changed`, `failed`, a message, and the module's own keys.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Whether the target changed (or would have, in check mode).
    pub changed: bool,
    /// Whether the module failed.
    pub failed: bool,
    /// `msg`, when the module says something.
    pub msg: Option<String>,
    /// `diff`, when the module reports one (before/after texts or states, as Ansible's).
    pub diff: Option<Value>,
    /// The module's other return values (`rc`, `stdout`, `stat` …), in Ansible's key order.
    pub values: Map,
}

impl Outcome {
    /// An outcome with `changed` set.
    pub fn changed(changed: bool) -> Self {
        Self {
            changed,
            ..Self::default()
        }
    }

    /// A failure with `msg`.
    pub fn failure(msg: impl Into<String>) -> Self {
        Self {
            failed: true,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }

    /// A failure the action raises itself (Ansible's `AnsibleActionFail`, as the package and
    /// dnf actions do), headlined `Task failed: <msg>`: `msg` and an error summary (`exception`
    /// with context `task`) the output reads.
    pub fn action_failure(msg: impl Into<String>) -> Self {
        Self::raised(msg, "task")
    }

    /// A failure raised as an error rather than returned by a module, with the error summary
    /// (`exception`) the output headlines by its `context`: `task` (`Task failed: <msg>`) or
    /// `action` (`Task failed: Action failed: <msg>`, an action plugin's own failure).
    pub fn raised(msg: impl Into<String>, context: &str) -> Self {
        let msg = msg.into();
        let mut outcome = Self::failure(msg.as_str());
        let mut exception = Map::new();
        exception.insert(Value::from("msg"), Value::from(msg));
        exception.insert(Value::from("context"), Value::from(context));
        outcome.set("exception", Value::map(exception));
        outcome
    }

    /// Sets `invocation` to `module_args`, as Ansible's modules report how they were called
    /// (see [`crate::Args::module_args`]).
    pub fn invocation(&mut self, module_args: Map) -> &mut Self {
        let mut invocation = Map::new();
        invocation.insert(Value::from("module_args"), Value::map(module_args));
        self.set("invocation", Value::map(invocation))
    }

    /// Sets a return value.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.values.insert(Value::from(key), value.into());
        self
    }

    /// The registered result: the module's values plus `changed`, `failed` and `msg`.
    pub fn into_result(self) -> Map {
        let mut result = self.values;
        result.insert(Value::from("changed"), Value::from(self.changed));
        if let Some(diff) = self.diff {
            result.insert(Value::from("diff"), diff);
        }
        if let Some(msg) = self.msg {
            result.insert(Value::from("msg"), Value::from(msg));
        }
        if self.failed {
            result.insert(Value::from("failed"), Value::from(true));
        }
        // As Ansible's action layer adds them to every module's result: `stdout_lines` and
        // `stderr_lines` next to `stdout`/`stderr`, unless the module gave its own.
        for (text, lines) in [("stdout", "stdout_lines"), ("stderr", "stderr_lines")] {
            let (text, lines) = (Value::from(text), Value::from(lines));
            if let Some(value) = result.get(&text)
                && !result.contains_key(&lines)
            {
                let split = crate::command::lines(value.as_str().unwrap_or_default());
                result.insert(lines, split);
            }
        }
        result
    }
}

/// The result of a task whose module could not run (bad arguments, unknown module).
pub fn module_error_result(msg: &str) -> Map {
    Outcome::failure(msg).into_result()
}
