//! The templating the playbook loader asks for (play names, `hosts`, role names, import paths),
//! answered by oxible's real templar with the variables the loader has (play vars and `-e`).

use std::sync::Arc;

use oxible_template::{Scope, Templar, VarSource};
use oxible_yaml::Map;

/// Plugs [`oxible_template::Templar`] into the playbook loader's templating seam.
#[derive(Debug, Default)]
pub struct LoadTimeTemplar(Templar);

impl oxible_playbook::Templar for LoadTimeTemplar {
    fn render(&self, text: &str, vars: &Map) -> Result<String, String> {
        let mut scope = Scope::new(&self.0);
        scope.push(VarSource::PlayVars, Arc::new(vars.clone()));
        self.0
            .template_str(text, &scope.into_shared())
            .map(|value| value.py_str())
            .map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_playbook::Templar as _;
    use oxible_yaml::Value;

    #[test]
    fn renders_full_jinja_with_the_given_vars() {
        let mut vars = Map::new();
        vars.insert(Value::from("env"), Value::from("prod"));
        vars.insert(
            Value::from("tiers"),
            Value::seq(vec!["web".into(), "db".into()]),
        );
        let templar = LoadTimeTemplar::default();
        assert_eq!(
            templar.render("{{ tiers | join(':') }}", &vars).as_deref(),
            Ok("web:db")
        );
        assert_eq!(
            templar.render("deploy {{ env | upper }}", &vars).as_deref(),
            Ok("deploy PROD")
        );
        assert!(
            templar
                .render("{{ missing }}", &vars)
                .unwrap_err()
                .contains("'missing' is undefined")
        );
    }
}
