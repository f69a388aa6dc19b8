//! Which module runs for a task's action name.
//!
//! Short names, `ansible.builtin.<name>` and the collection names the OME roles use for the
//! same modules (`ansible.legacy.<name>`) resolve to the same implementation, and so do the
//! fully qualified names of modules that moved to collections (`ansible.posix.mount` …).

use crate::Module;

/// Every module oxible implements, one line each.
static MODULES: &[&dyn Module] = &[
    &crate::command::Command,
    &crate::command::Shell,
    &crate::raw::Raw,
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
    &crate::dnf::Dnf,
    &crate::dnf::Yum,
    &crate::rpm_key::RpmKey,
    &crate::yum_repository::YumRepository,
    &crate::pip::Pip,
    &crate::get_url::GetUrl,
    &crate::unarchive::Unarchive,
    &crate::uri::Uri,
    &crate::git::Git,
    &crate::archive::ArchiveModule,
    &crate::apt_repository::AptRepository,
    &crate::apt_key::AptKey,
    &crate::authorized_key::AuthorizedKey,
    &crate::sysctl::Sysctl,
    &crate::hostname::Hostname,
    &crate::alternatives::Alternatives,
    &crate::mount::Mount,
    &crate::sudoers::Sudoers,
    &crate::postgresql_db::PostgresqlDb,
    &crate::postgresql_user::PostgresqlUser,
    &crate::postgresql_privs::PostgresqlPrivs,
    &crate::postgresql_ping::PostgresqlPing,
    &crate::postgresql_query::PostgresqlQuery,
    &crate::ini_file::IniFile,
    &crate::selinux::Selinux,
    &crate::selinux::Seboolean,
    &crate::htpasswd::Htpasswd,
    &crate::iptables::Iptables,
];

/// Modules that live in collections today, by their fully qualified name: the OME roles
/// write these, and ansible-core redirects the `ansible.builtin.` spelling to them too.
static COLLECTION_NAMES: &[(&str, &str)] = &[
    ("ansible.posix.authorized_key", "authorized_key"),
    ("ansible.posix.mount", "mount"),
    ("ansible.posix.sysctl", "sysctl"),
    ("community.general.alternatives", "alternatives"),
    ("community.general.archive", "archive"),
    ("community.general.ini_file", "ini_file"),
    ("community.general.sudoers", "sudoers"),
    ("ansible.posix.selinux", "selinux"),
    ("ansible.posix.seboolean", "seboolean"),
    ("community.general.htpasswd", "htpasswd"),
    ("community.postgresql.postgresql_db", "postgresql_db"),
    ("community.postgresql.postgresql_user", "postgresql_user"),
    ("community.postgresql.postgresql_privs", "postgresql_privs"),
    ("community.postgresql.postgresql_ping", "postgresql_ping"),
    ("community.postgresql.postgresql_query", "postgresql_query"),
];

/// The module an action name refers to.
pub fn find(action: &str) -> Option<&'static dyn Module> {
    let short = action
        .strip_prefix("ansible.builtin.")
        .or_else(|| action.strip_prefix("ansible.legacy."))
        .or_else(|| {
            COLLECTION_NAMES
                .iter()
                .find(|(fqcn, _)| *fqcn == action)
                .map(|(_, short)| *short)
        })
        .unwrap_or(action);
    MODULES.iter().copied().find(|m| m.name() == short)
}

/// The fully qualified name ansible-core resolves a short action name to, as its messages
/// name the action (`file` is `ansible.builtin.file`, `mount` is `ansible.posix.mount`);
/// names already qualified are kept.
pub fn qualified_name(action: &str) -> String {
    if action.contains('.') {
        return action.to_string();
    }
    COLLECTION_NAMES
        .iter()
        .find(|(_, short)| *short == action)
        .map_or_else(
            || format!("ansible.builtin.{action}"),
            |(fqcn, _)| fqcn.to_string(),
        )
}

/// The names of every module, for "did you mean" help.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_names_resolve_like_ansible_redirects() {
        for (action, module) in [
            ("ansible.posix.mount", "mount"),
            ("ansible.builtin.mount", "mount"),
            ("ansible.posix.authorized_key", "authorized_key"),
            ("ansible.builtin.authorized_key", "authorized_key"),
            ("community.general.alternatives", "alternatives"),
            ("ansible.builtin.sysctl", "sysctl"),
            ("apt_key", "apt_key"),
            ("community.postgresql.postgresql_privs", "postgresql_privs"),
            ("postgresql_user", "postgresql_user"),
        ] {
            assert_eq!(find(action).map(|m| m.name()), Some(module), "{action}");
        }
        assert!(find("community.general.mount").is_none());
    }
}
