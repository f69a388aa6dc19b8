//! Filters: collections (see mod.rs).

use minijinja::Environment;

/// Registers this family's filters.
pub(crate) fn register(_env: &mut Environment<'static>) {}
