//! Python `re` patterns and replacement templates for the modules that take them
//! (`lineinfile`, `blockinfile`, `replace`, `find`), through `oxible-pyre`, with errors that
//! name the module parameter or fail the task.

use oxible_pyre::{Anchor, Captures, PatternError, Regex};

use crate::ModuleError;

/// Compiles a Python pattern for `re.search` (`re.M` when `multiline`); `param` names the
/// argument in the error.
pub(crate) fn compile(param: &str, pattern: &str, multiline: bool) -> Result<Regex, String> {
    compile_anchored(param, pattern, multiline, Anchor::Search)
}

/// Compiles a Python pattern for `re.match` (anchored at the start), as `find` uses them.
pub(crate) fn compile_match(param: &str, pattern: &str) -> Result<Regex, String> {
    compile_anchored(param, pattern, false, Anchor::Match)
}

fn compile_anchored(
    param: &str,
    pattern: &str,
    multiline: bool,
    anchor: Anchor,
) -> Result<Regex, String> {
    oxible_pyre::compile(pattern, false, multiline, anchor)
        .map_err(|e| format!("{param} '{pattern}': {e}"))
}

/// Python's `re.search(pattern, text) is not None`.
pub(crate) fn is_match(re: &Regex, text: &str) -> Result<bool, ModuleError> {
    oxible_pyre::is_match(re, text).map_err(failed)
}

/// Python's `re.search(pattern, text)`: the first match's groups.
pub(crate) fn search<'t>(re: &Regex, text: &'t str) -> Result<Option<Captures<'t>>, ModuleError> {
    oxible_pyre::search(re, text).map_err(failed)
}

/// Python's `match.expand(template)`.
pub(crate) fn expand(
    template: &str,
    re: &Regex,
    caps: &Captures<'_>,
) -> Result<String, ModuleError> {
    let template = oxible_pyre::Replacement::parse(template, re).map_err(failed)?;
    Ok(template.expand(caps))
}

/// A template that does not fit the pattern, or a match that stopped at the backtracking
/// limit: the task fails with the reason.
pub(crate) fn failed(e: PatternError) -> ModuleError {
    ModuleError::Failed(e.to_string())
}
