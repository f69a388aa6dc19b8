//! Fuzzes the templating layer: any template text, bare expression or template file, with a
//! few variables of every kind in scope, must render or fail with an error, never panic (the
//! filters, tests and Python methods are where user input meets arithmetic and indexing).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use oxible_template::{Scope, Templar, VarSource};
use oxible_yaml::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let templar = Templar::new();
    let mut vars = Map::new();
    let mut set = |name: &str, value: Value| {
        vars.insert(Value::from(name), value);
    };
    set("s", Value::from("Hello, World 42"));
    set("n", Value::from(-7i64));
    set("f", Value::new(oxible_yaml::ValueKind::Float(2.5)));
    set("b", Value::from(true));
    set("none", Value::null());
    set(
        "l",
        Value::seq(vec![Value::from(3i64), Value::from("x"), Value::from(1i64)]),
    );
    let mut inner = Map::new();
    inner.insert(Value::from("k"), Value::from("v"));
    inner.insert(Value::from("n"), Value::from(1i64));
    set("d", Value::map(inner));
    let mut scope = Scope::new(&templar);
    scope.push(VarSource::PlayVars, Arc::new(vars));
    let scope = scope.into_shared();
    // Lookups read files and the environment; they are not what this target is about.
    if text.contains("lookup") || text.contains("query") || text.contains("q(") {
        return;
    }
    let _ = match mode % 3 {
        0 => templar.template_str(text, &scope).map(|_| ()),
        1 => templar.evaluate(text, &scope).map(|_| ()),
        _ => templar.render_text(text, &scope).map(|_| ()),
    };
});
