//! `json_query`: a JMESPath search over data (community.general's `json_query`, which
//! ansible-core routes the bare name to), through the `jmespath` crate.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use super::serialize::{data, json_to_value};
use crate::args::{Bound, add_filter, sig};

/// Registers `json_query`.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &JSON_QUERY, json_query);
}

sig!(JSON_QUERY, "json_query", ["expr"]);

/// `data | json_query(expr)`: the JMESPath expression `expr` evaluated over `data`; an invalid
/// expression fails as the plugin does (`JMESPathError in json_query filter plugin: …`).
fn json_query(v: &Value, args: &Bound) -> Result<Value, Error> {
    let expr = args.str(0, "")?;
    // The data goes over as JSON text: jmespath reads serde_json, our values print as JSON.
    let input = data(&JSON_QUERY, v)?.py_json(None, false);
    let failure = |e: &dyn std::fmt::Display| {
        args.error(format!("JMESPathError in json_query filter plugin:\n{e}"))
    };
    let variable = jmespath::Variable::from_json(&input).map_err(|e| failure(&e))?;
    let compiled = jmespath::compile(&quote_elided_literals(expr)).map_err(|e| failure(&e))?;
    let found = compiled.search(variable).map_err(|e| failure(&e))?;
    let json = serde_json::to_value(&*found).map_err(|e| failure(&e))?;
    json_to_value(&json).ok_or_else(|| args.error("a number is out of range"))
}

/// `expr` with every backtick literal that is not JSON (`` `running` ``) written as the JSON
/// string it stands for (`` `"running"` ``): Python's jmespath still accepts such literals (the
/// deprecated elided quotes, which Ansible examples use everywhere), the jmespath crate does
/// not. Raw strings (`'…'`) and quoted identifiers (`"…"`) are copied as they are.
fn quote_elided_literals(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // Up to the closing quote, keeping escapes.
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == '\\' {
                        out.extend(chars.next());
                    } else if inner == c {
                        break;
                    }
                }
            }
            '`' => {
                let mut literal = String::new();
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => match chars.next() {
                            Some('`') => literal.push('`'),
                            Some(other) => literal.extend(['\\', other]),
                            None => literal.push('\\'),
                        },
                        '`' => break,
                        other => literal.push(other),
                    }
                }
                let json = if serde_json::from_str::<serde_json::Value>(&literal).is_ok() {
                    literal
                } else {
                    serde_json::Value::from(literal.trim_start()).to_string()
                };
                out.push('`');
                out.push_str(&json.replace('`', "\\`"));
                out.push('`');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::quote_elided_literals;

    #[test]
    fn elided_literals_become_json_strings_and_json_stays() {
        assert_eq!(
            quote_elided_literals("a[?s==`running`].n"),
            "a[?s==`\"running\"`].n"
        );
        assert_eq!(quote_elided_literals("a[?p>`8080`]"), "a[?p>`8080`]");
        assert_eq!(quote_elided_literals("`[1, 2]`"), "`[1, 2]`");
        assert_eq!(quote_elided_literals("join(`, `, x)"), "join(`\", \"`, x)");
        assert_eq!(quote_elided_literals("'a`b' | `x`"), "'a`b' | `\"x\"`");
        assert_eq!(quote_elided_literals(r"`a\`b`"), r#"`"a\`b"`"#);
    }
}
