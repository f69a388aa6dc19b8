//! Which module runs for a task's action name.
//!
//! Short names, `ansible.builtin.<name>` and the collection names the OME roles use for the
//! same modules (`ansible.legacy.<name>`) resolve to the same implementation.

use crate::Module;

/// Every module oxible implements, one line each.
static MODULES: &[&dyn Module] = &[
    &crate::command::Command,
    &crate::command::Shell,
    &crate::ping::Ping,
    &crate::setup::Setup,
    &crate::file::File,
    &crate::stat::StatModule,
    &crate::lineinfile::LineInFile,
    &crate::slurp::Slurp,
    &crate::copy::Copy,
    &crate::blockinfile::BlockInFile,
    &crate::replace::Replace,
    &crate::tempfile::TempFile,
    &crate::fetch::Fetch,
    &crate::find::Find,
    &crate::service_facts::ServiceFacts,
    &crate::service::Service,
    &crate::service::Systemd,
    &crate::service::SystemdService,
    &crate::user::User,
    &crate::group::Group,
    &crate::cron::Cron,
    &crate::apt::Apt,
    &crate::package::Package,
];

/// The module an action name refers to.
pub fn find(action: &str) -> Option<&'static dyn Module> {
    let short = action
        .strip_prefix("ansible.builtin.")
        .or_else(|| action.strip_prefix("ansible.legacy."))
        .unwrap_or(action);
    MODULES.iter().copied().find(|m| m.name() == short)
}

/// The names of every module, for "did you mean" help.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name())
}
