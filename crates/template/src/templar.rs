//! The templar: minijinja configured to mean what Jinja2 means inside Ansible.
//!
//! Mirrors ansible-core 2.19's `Templar`: strings are templated only when they contain Jinja
//! syntax; a string that is exactly one `{{ expr }}` yields the expression's native value (a
//! list stays a list), anything else a string, printed with Python's `str()` (`True`, `None`,
//! `['a', 1]`); bare expressions (`when`, `until`, `that`, `var`) are evaluated as expressions;
//! undefined variables are errors when printed, iterated, tested for truth or passed to a
//! filter, while `is defined` and `default()` still see them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use minijinja::value::Value as Jinja;
use minijinja::{Environment, UndefinedBehavior};
use oxible_yaml::{Map, Value, ValueKind};

use crate::convert::{self, from_jinja, to_jinja};
use crate::error::TemplateError;
use crate::scope::{Scope, needs_templating};

/// Whether `text` holds Jinja syntax (`{{`, `{%` or `{#`), Ansible's `is_possibly_template`.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// A configured template engine; cheap to clone (shared).
#[derive(Clone)]
pub struct Templar {
    /// For values in playbooks and variables: a single trailing newline is dropped by the
    /// lexer and restored afterwards, as Ansible's templar does.
    /// String literals inside `{{ … }}` keep their backslashes as written, as ansible-core
    /// escapes them before Jinja2 reads them (`regex_replace('(\\d)', '\\1')` in YAML
    /// double quotes reaches the filter as `(\d)` and `\1`).
    values: Arc<Environment<'static>>,
    /// For bare expressions (`when`, `changed_when`, `failed_when`, `until`, `assert.that`,
    /// `debug.var`): string literals unescape as in Jinja2, since ansible-core escapes
    /// backslashes only inside `{{ … }}`. Built on first use: a syntax check or a listing
    /// never evaluates one, and building an environment registers every filter again.
    expressions: Arc<OnceLock<Environment<'static>>>,
    /// For template files: the trailing newline is kept, as the `template` module does; one
    /// environment per [`TextOptions`] asked for, built on first use.
    text: Arc<Mutex<HashMap<TextOptions, Arc<Environment<'static>>>>>,
}

/// The Jinja settings a template file is rendered with (the `template` module's
/// `trim_blocks`/`lstrip_blocks` overrides); the default is Ansible's: `trim_blocks` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextOptions {
    /// Drop the first newline after a block tag.
    pub trim_blocks: bool,
    /// Strip spaces and tabs from the start of a line up to a block tag.
    pub lstrip_blocks: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            trim_blocks: true,
            lstrip_blocks: false,
        }
    }
}

/// The temp a render keeps the last value it printed in (values other than `None`).
const EMITTED: &str = "oxible.emitted";
/// The temp counting the values other than `None` a render printed.
const EMITTED_COUNT: &str = "oxible.emitted_count";

/// An environment with Ansible's Jinja settings; `keep_trailing_newline`, the block
/// whitespace settings and raw string literals in variable tags as asked.
fn environment(
    keep_trailing_newline: bool,
    options: TextOptions,
    raw_variable_strings: bool,
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(options.trim_blocks)
            .lstrip_blocks(options.lstrip_blocks)
            .keep_trailing_newline(keep_trailing_newline)
            .raw_variable_strings(raw_variable_strings)
            .build()
            .expect("static syntax configuration is valid"),
    );
    env.set_unknown_method_callback(crate::methods::call);
    minijinja::value::set_object_arithmetic(crate::datetime::arithmetic);
    // Jinja2 in Ansible prints values with Python's str(), and drops None from the output.
    // An undefined value only reaches the formatter as the silent result of an inline `if`
    // without `else` (strict undefined fails before); Jinja2 prints nothing for it.
    env.set_formatter(|out, state, value| {
        if value.is_none() || value.is_undefined() {
            return Ok(());
        }
        let count = state
            .get_temp(EMITTED_COUNT)
            .and_then(|n| n.as_usize())
            .unwrap_or(0);
        state.set_temp(EMITTED_COUNT, Jinja::from(count + 1));
        state.set_temp(EMITTED, value.clone());
        let text = convert::py_str(value).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
        })?;
        out.write_str(&text).map_err(minijinja::Error::from)
    });
    crate::filters::register(&mut env);
    crate::tests::register(&mut env);
    crate::lookups::register(&mut env);
    env
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templar")
    }
}

impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}

impl Templar {
    /// A templar with Ansible's settings, filters, tests and lookups.
    pub fn new() -> Self {
        Self {
            values: Arc::new(environment(false, TextOptions::default(), true)),
            expressions: Arc::default(),
            text: Arc::default(),
        }
    }

    /// Templates every string inside `value` (lists and dicts recursively), as Ansible's
    /// `Templar.template`: a string that is exactly one expression keeps the expression's type.
    pub fn template(&self, value: &Value, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        if !needs_templating(value) {
            return Ok(value.clone());
        }
        Ok(match &value.kind {
            ValueKind::Str(text) => self
                .template_str(text, scope)?
                .with_span(value.span.clone()),
            ValueKind::Seq(items) => Value::seq(
                items
                    .iter()
                    .map(|item| self.template(item, scope))
                    .collect::<Result<_, _>>()?,
            )
            .with_span(value.span.clone()),
            // Ansible templates the values of a dict, never its keys.
            ValueKind::Map(map) => {
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map.iter() {
                    out.insert(k.clone(), self.template(v, scope)?);
                }
                Value::map(out).with_span(value.span.clone())
            }
            _ => value.clone(),
        })
    }

    /// Templates one string: the native value of a single `{{ expr }}`, else the rendered text.
    pub fn template_str(&self, text: &str, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        let rendered = self.render_jinja(text, scope)?;
        from_jinja(&rendered).map_err(|e| TemplateError::from_convert(e, text))
    }

    /// Renders `text` as the `template` module does: always text, with a trailing newline kept.
    pub fn render_text(&self, text: &str, scope: &Arc<Scope>) -> Result<String, TemplateError> {
        self.render_text_with(text, scope, TextOptions::default())
    }

    /// [`Templar::render_text`] with the block whitespace settings `options`.
    pub fn render_text_with(
        &self,
        text: &str,
        scope: &Arc<Scope>,
        options: TextOptions,
    ) -> Result<String, TemplateError> {
        let env = self
            .text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(options)
            .or_insert_with(|| Arc::new(environment(true, options, false)))
            .clone();
        env.render_str(text, Jinja::from_dyn_object(scope.clone()))
            .map_err(|e| TemplateError::from_jinja(&e, text))
    }

    /// Evaluates a bare expression (`when`, `until`, `assert.that`, `debug.var`).
    pub fn evaluate(&self, expr: &str, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        evaluate_in(self.expressions(), expr, scope)
    }

    /// The environment for bare expressions, built on first use.
    fn expressions(&self) -> &Environment<'static> {
        self.expressions
            .get_or_init(|| environment(false, TextOptions::default(), false))
    }

    /// Evaluates a conditional as `when:` does: a bool stays itself, a string is an
    /// expression, a list is all of its conditions (and), as Ansible's `evaluate_conditional`.
    pub fn condition(&self, cond: &Value, scope: &Arc<Scope>) -> Result<bool, TemplateError> {
        match &cond.kind {
            ValueKind::Bool(b) => Ok(*b),
            ValueKind::Null => Ok(true),
            ValueKind::Seq(items) => {
                for item in items.iter() {
                    if !self.condition(item, scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ValueKind::Str(text) | ValueKind::Unsafe(text) => {
                // `{{ … }}` around the condition: its string literals are raw, as in any
                // `{{ … }}`.
                let value = match strip_whole_expression(text) {
                    Some(expr) => evaluate_in(&self.values, expr, scope)?,
                    None => evaluate_in(self.expressions(), text, scope)?,
                };
                match value.kind {
                    ValueKind::Bool(b) => Ok(b),
                    _ => Err(TemplateError::conditional_not_bool(text)),
                }
            }
            _ => Err(TemplateError::conditional_not_bool(&cond.py_str())),
        }
    }

    /// Templates a raw variable value for lazy resolution, staying in minijinja's world.
    pub(crate) fn template_jinja(
        &self,
        value: &Value,
        scope: &Arc<Scope>,
    ) -> Result<Jinja, minijinja::Error> {
        match &value.kind {
            ValueKind::Str(text) if is_template(text) => self
                .render_jinja(text, scope)
                .map_err(TemplateError::into_jinja),
            ValueKind::Seq(items) => items
                .iter()
                .map(|item| self.template_jinja(item, scope))
                .collect(),
            ValueKind::Map(map) => {
                let mut pairs = Vec::with_capacity(map.len());
                for (k, v) in map.iter() {
                    pairs.push((to_jinja(k), self.template_jinja(v, scope)?));
                }
                Ok(convert::jinja_map(pairs))
            }
            _ => Ok(to_jinja(value)),
        }
    }

    /// Renders a string as ansible-core 2.19 does: the native value of a single expression
    /// (comments aside); `None` when nothing but `None` was printed; else the text, with the
    /// source's trailing newlines restored.
    fn render_jinja(&self, text: &str, scope: &Arc<Scope>) -> Result<Jinja, TemplateError> {
        if !is_template(text) {
            return Ok(Jinja::from(text));
        }
        let ctx = || Jinja::from_dyn_object(scope.clone());
        let without_comments = strip_comments(text);
        if let Some(expr) = strip_whole_expression(without_comments.trim_end_matches('\n'))
            && let Ok(compiled) = self.values.compile_expression_owned(expr.to_string())
        {
            let value = compiled
                .eval(ctx())
                .map_err(|e| TemplateError::from_jinja(&e, text))?;
            if value.is_undefined() {
                return Err(TemplateError::undefined(expr.trim(), text));
            }
            return Ok(match value.as_str() {
                Some(s) => Jinja::from(with_trailing_newlines(s, text)),
                None => value,
            });
        }
        let template = self
            .values
            .template_from_str(text)
            .map_err(|e| TemplateError::from_jinja(&e, text))?;
        let captured = template
            .render_captured(ctx())
            .map_err(|e| TemplateError::from_jinja(&e, text))?;
        let (output, state) = (captured.output(), captured.state());
        let emitted = state.get_temp(EMITTED);
        if output.is_empty() && emitted.is_none() {
            return Ok(Jinja::from(()));
        }
        // Only one value printed and nothing else (`{% if x %}{{ a_list }}{% endif %}`): that
        // value with its type, as ansible-core's native concatenation of a single node.
        if let Some(value) = emitted
            && state.get_temp(EMITTED_COUNT).and_then(|n| n.as_usize()) == Some(1)
            && !text.ends_with('\n')
            && convert::py_str(&value).is_ok_and(|printed| printed == output)
        {
            return Ok(value);
        }
        Ok(Jinja::from(with_trailing_newlines(captured.output(), text)))
    }
}

/// `expr` compiled in `env` and evaluated in `scope`, as a value; an undefined result is an
/// error naming the expression.
fn evaluate_in(
    env: &Environment<'static>,
    expr: &str,
    scope: &Arc<Scope>,
) -> Result<Value, TemplateError> {
    let compiled = env
        .compile_expression_owned(expr.to_string())
        .map_err(|e| TemplateError::from_jinja(&e, expr))?;
    let value = compiled
        .eval(Jinja::from_dyn_object(scope.clone()))
        .map_err(|e| TemplateError::from_jinja(&e, expr))?;
    if value.is_undefined() {
        return Err(TemplateError::undefined(expr.trim(), expr));
    }
    from_jinja(&value).map_err(|e| TemplateError::from_convert(e, expr))
}

/// The expression inside a string shaped `{{ … }}`; it is a single expression only if it also
/// compiles as one (`{{ a }} {{ b }}` does not).
fn strip_whole_expression(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    Some(inner.strip_suffix('-').unwrap_or(inner))
}

/// `text` without its `{# … #}` comments (an unclosed comment is left for the parser to report).
fn strip_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("{#") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        let Some(len) = rest[start..].find("#}") else {
            break;
        };
        out.push_str(&rest[..start]);
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `rendered` with as many trailing newlines as `source` has, as Ansible's templar restores
/// the newlines Jinja2's lexer drops.
fn with_trailing_newlines(rendered: &str, source: &str) -> String {
    let count = |s: &str| s.len() - s.trim_end_matches('\n').len();
    let missing = count(source).saturating_sub(count(rendered));
    let mut out = rendered.to_string();
    out.extend(std::iter::repeat_n('\n', missing));
    out
}

/// An empty scope, for templating values that use no variables.
pub fn empty_scope(templar: &Templar) -> Arc<Scope> {
    let mut scope = Scope::new(templar);
    scope.push(crate::scope::VarSource::Magic, convert::empty_map());
    scope.into_shared()
}
