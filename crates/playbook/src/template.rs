//! The little templating the static stage needs: names and paths written as `{{ var }}`.
//!
//! Ansible templates play names, `hosts`, role names and `import_*` paths while loading, with
//! the play's `vars` and the extra vars. Full Jinja lives in a later stage; this crate asks a
//! [`Templar`] so that stage can plug in. [`SimpleTemplar`], the default, substitutes plain
//! `{{ name }}` references to string and number variables and refuses anything else.

use oxible_yaml::{Map, Value, ValueKind};
use regex::Regex;
use std::sync::OnceLock;

/// Renders a template string with variables, for the few values Ansible templates at load time.
pub trait Templar: std::fmt::Debug + Send + Sync {
    /// `text` rendered with `vars`, or why it cannot be.
    fn render(&self, text: &str, vars: &Map) -> Result<String, String>;
}

/// Substitutes `{{ name }}` with string or number variables; anything else is an error.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimpleTemplar;

/// Whether `text` holds Jinja syntax at all.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

impl Templar for SimpleTemplar {
    fn render(&self, text: &str, vars: &Map) -> Result<String, String> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        static VAR: OnceLock<Option<Regex>> = OnceLock::new();
        let re = VAR
            .get_or_init(|| Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}").ok())
            .as_ref()
            .ok_or_else(|| "template support unavailable".to_string())?;
        let mut missing = None;
        let out = re.replace_all(text, |caps: &regex::Captures<'_>| {
            let name = &caps[1];
            match vars.get(&Value::from(name)) {
                Some(value)
                    if !matches!(
                        value.kind,
                        ValueKind::Null | ValueKind::Seq(_) | ValueKind::Map(_)
                    ) =>
                {
                    value.py_str()
                }
                _ => {
                    missing.get_or_insert_with(|| name.to_string());
                    String::new()
                }
            }
        });
        if let Some(name) = missing {
            return Err(format!("'{name}' is undefined"));
        }
        if is_template(&out) {
            return Err(format!(
                "'{text}' needs Jinja features the static loader does not have"
            ));
        }
        Ok(out.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_plain_variables() {
        let mut vars = Map::new();
        vars.insert(Value::from("f"), Value::from("tasks.yml"));
        vars.insert(Value::from("n"), Value::from(3));
        assert_eq!(
            SimpleTemplar.render("x/{{ f }}-{{n}}", &vars).unwrap(),
            "x/tasks.yml-3"
        );
        assert_eq!(SimpleTemplar.render("plain", &vars).unwrap(), "plain");
        assert!(
            SimpleTemplar
                .render("{{ g }}", &vars)
                .unwrap_err()
                .contains("'g' is undefined")
        );
        assert!(SimpleTemplar.render("{{ f | upper }}", &vars).is_err());
    }
}
