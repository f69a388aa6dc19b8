//! `loop_control` as Ansible applies it to each item: the loop variable, `index_var`,
//! `extended` (`ansible_loop`), `label` and `pause`.

use oxible_playbook::Task;
use oxible_yaml::{Map, Value};

/// A task's `loop_control`, with Ansible's defaults.
#[derive(Debug, Clone)]
pub(crate) struct LoopControl {
    /// `loop_var` (default `item`).
    pub loop_var: String,
    /// `index_var`.
    pub index_var: Option<String>,
    /// `label`, untemplated.
    pub label: Option<Value>,
    /// `pause` in seconds between items.
    pub pause: f64,
    /// `extended`.
    pub extended: bool,
    /// `extended_allitems` (default true).
    pub extended_allitems: bool,
}

impl LoopControl {
    /// The loop control of `task`.
    pub fn of(task: &Task) -> Self {
        let control = task.keywords.get("loop_control");
        let get = |key: &str| control.and_then(|c| c.get(key));
        let flag =
            |key: &str, default: bool| get(key).map(crate::task::truthy_value).unwrap_or(default);
        Self {
            loop_var: get("loop_var")
                .map(Value::py_str)
                .unwrap_or_else(|| "item".to_string()),
            index_var: get("index_var").map(Value::py_str),
            label: get("label").cloned(),
            pause: get("pause")
                .and_then(|p| p.py_str().parse::<f64>().ok())
                .unwrap_or(0.0),
            extended: flag("extended", false),
            extended_allitems: flag("extended_allitems", true),
        }
    }

    /// The variables the task sees for item number `index` of `items`.
    pub fn item_vars(&self, items: &[Value], index: usize) -> Map {
        let mut vars = Map::new();
        let mut set = |key: &str, value: Value| {
            vars.insert(Value::from(key), value);
        };
        set("ansible_loop_var", Value::from(self.loop_var.as_str()));
        set(&self.loop_var, items[index].clone());
        if let Some(index_var) = &self.index_var {
            set("ansible_index_var", Value::from(index_var.as_str()));
            set(index_var, Value::from(index as i64));
        }
        if self.extended {
            let len = items.len();
            let mut info = Map::new();
            let mut put = |key: &str, value: Value| {
                info.insert(Value::from(key), value);
            };
            put("index", Value::from(index as i64 + 1));
            put("index0", Value::from(index as i64));
            put("first", Value::from(index == 0));
            put("last", Value::from(index + 1 == len));
            put("length", Value::from(len as i64));
            put("revindex", Value::from((len - index) as i64));
            put("revindex0", Value::from((len - index - 1) as i64));
            if self.extended_allitems {
                put("allitems", Value::seq(items.to_vec()));
            }
            if let Some(next) = items.get(index + 1) {
                put("nextitem", next.clone());
            }
            if index > 0 {
                put("previtem", items[index - 1].clone());
            }
            set("ansible_loop", Value::map(info));
        }
        vars
    }

    /// Adds the item's loop information to its result, as Ansible does.
    pub fn annotate(&self, result: &mut Map, vars: &Map) {
        let mut keys = vec![self.loop_var.as_str(), "ansible_loop_var"];
        if let Some(index_var) = &self.index_var {
            keys.extend([index_var.as_str(), "ansible_index_var"]);
        }
        if self.extended {
            keys.push("ansible_loop");
        }
        for key in keys {
            let key = Value::from(key);
            if let Some(value) = vars.get(&key) {
                result.insert(key, value.clone());
            }
        }
    }
}
