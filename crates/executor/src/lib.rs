//! Running plays: hosts chosen, tasks run with Ansible's semantics, events emitted.
//!
//! Brief overview:
//! - [`run`]: runs loaded playbooks against an inventory with [`RunOptions`], sending
//!   [`Event`]s to an [`EventSink`], and returns the per-host [`Stats`].
//! - The linear strategy (`play.rs`) runs each task on every active host before the next;
//!   `task.rs` runs one task on one host (variables, `when`, loops, module or action,
//!   `changed_when`/`failed_when`, `register`, `notify`); `actions.rs` holds the controller-side
//!   actions (`debug`, `set_fact`, `assert`, `fail`).
//!
//! **Architecture Invariant:** the executor never prints: everything the user sees goes
//! through [`EventSink`]. It reaches targets only through `oxible-connection` and
//! `oxible-modules`.
//!
//! **API Boundary:** `run`, `RunOptions`, `Event`, `EventSink`, `Stats`.
#![deny(missing_docs)]

mod actions;
mod async_jobs;
mod batches;
mod censor;
mod connections;
mod context;
mod delegate;
mod events;
mod host;
mod include;
mod include_vars;
mod inventory_actions;
mod join;
mod looping;
mod pause;
mod play;
mod run_inventory;
mod search;
mod stats;
mod task;
mod template;
mod wait_for;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use oxible_inventory::Inventory;
use oxible_playbook::{Entry, LoadOptions, Playbook, Role, TagFilter, Task};
use oxible_template::Templar;
use oxible_yaml::{Map, Value};

pub use events::{Event, EventSink, Status};
pub use stats::{HostStats, Stats};

use context::Inherited;
use host::HostState;
use play::PlayRun;
use run_inventory::RunInventory;
use task::Flow;

/// How to run: the command-line options that change execution.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Hosts a task runs on at once (`-f`).
    pub forks: usize,
    /// `--check`.
    pub check: bool,
    /// `--diff`.
    pub diff: bool,
    /// `--tags` / `--skip-tags`.
    pub tags: TagFilter,
    /// `--tags`, as `ansible_run_tags` reports them.
    pub run_tags: Vec<String>,
    /// `--skip-tags`, as `ansible_skip_tags` reports them.
    pub skip_tags: Vec<String>,
    /// `-e`.
    pub extra_vars: Map,
    /// `--limit`.
    pub limit: Option<String>,
    /// `-c`: the connection type when neither the play nor the host sets one.
    pub connection: Option<String>,
    /// `--start-at-task`: tasks before the first one with this name (or matching it as a
    /// glob) are skipped, across plays.
    pub start_at_task: Option<String>,
    /// `--force-handlers` (or ansible.cfg's `force_handlers`): the default of the play
    /// keyword `force_handlers`.
    pub force_handlers: bool,
    /// How hosts are reached (`-u`, `--private-key`, ansible.cfg's ssh settings).
    pub connect: ConnectOptions,
    /// Privilege escalation asked for on the command line (`-b`, `--become-user`, `-K`).
    pub become_: BecomeOptions,
    /// How playbook files are loaded (roles path, load-time templating), for what
    /// `include_tasks`/`include_role` load at run time.
    pub load: LoadOptions,
    /// `[defaults] retry_files_enabled`: when hosts failed or were unreachable, their names
    /// go to `<playbook>.retry` (in this directory when `Some(Some(dir))`, the
    /// `retry_files_save_path`; else beside the playbook), as ansible-playbook writes it.
    pub retry_files: Option<Option<std::path::PathBuf>>,
}

/// Connection settings from the command line and ansible.cfg; host variables override them.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `-u`: the remote user when neither the host nor the play sets one.
    pub remote_user: Option<String>,
    /// `--private-key`: the key when the host sets no `ansible_ssh_private_key_file`.
    pub private_key: Option<std::path::PathBuf>,
    /// ansible.cfg's `ssh_args` (`ANSIBLE_SSH_ARGS`), split into words, without multiplexing
    /// options: the first arguments of every ssh command (a host's `ansible_ssh_args` wins).
    pub ssh_args: Vec<String>,
    /// `--ssh-common-args` (else ansible.cfg's `ssh_common_args`), split into words.
    pub ssh_common_args: Vec<String>,
    /// `--ssh-extra-args` (else ansible.cfg's `ssh_extra_args`), split into words.
    pub ssh_extra_args: Vec<String>,
    /// `[defaults] host_key_checking` / `ANSIBLE_HOST_KEY_CHECKING` (default on).
    pub host_key_checking: bool,
    /// `[defaults] timeout` / `ANSIBLE_TIMEOUT` / `-T`: the SSH connect timeout in seconds.
    pub timeout: u64,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            remote_user: None,
            private_key: None,
            ssh_args: Vec::new(),
            ssh_common_args: Vec::new(),
            ssh_extra_args: Vec::new(),
            host_key_checking: true,
            timeout: 10,
        }
    }
}

/// Escalation defaults from the command line; play keywords and `ansible_become*` variables
/// override them.
#[derive(Clone, Default)]
pub struct BecomeOptions {
    /// `-b` / `--become`.
    pub enabled: bool,
    /// `--become-user` (Ansible's default is root).
    pub user: Option<String>,
    /// `--become-method` (`sudo` or `su`).
    pub method: Option<String>,
    /// The password from `-K` or `--become-password-file`, sent on stdin only.
    pub password: Option<String>,
}

impl std::fmt::Debug for BecomeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BecomeOptions")
            .field("enabled", &self.enabled)
            .field("user", &self.user)
            .field("method", &self.method)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

/// Why a run could not go on (as opposed to tasks failing on hosts).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A play's host pattern is invalid.
    #[error(transparent)]
    Inventory(#[from] oxible_inventory::InventoryError),
    /// A play keyword decided before any host runs (`serial`) does not template (Ansible's
    /// "Error processing keyword", a parser error).
    #[error("{}", .0.message)]
    PlayKeyword(Box<oxible_yaml::Diagnostic>),
}

/// Runs `playbooks` in order against `inventory`, reporting to `sink`.
pub async fn run(
    playbooks: &[Playbook],
    inventory: &Inventory,
    options: &RunOptions,
    sink: &dyn EventSink,
) -> Result<Stats, RunError> {
    let inventory = &RunInventory::new(inventory);
    let shared = RunShared {
        connections: connections::Connections::default(),
        jobs: async_jobs::AsyncJobs::default(),
        stats: Mutex::new(Stats::default()),
        start_at: Mutex::new(options.start_at_task.clone()),
    };
    let outcome = run_playbooks(playbooks, inventory, options, sink, &shared).await;
    // Jobs left running (`poll: 0`) need their connections until they end.
    shared.jobs.wait_all().await;
    shared.connections.close_all().await;
    outcome?;
    let stats = shared
        .stats
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let (Some(save_path), Some(playbook)) = (&options.retry_files, playbooks.last()) {
        write_retry_file(&stats, save_path.as_deref(), &playbook.path, sink);
    }
    sink.emit(Event::Recap(stats.clone()));
    Ok(stats)
}

/// ansible-playbook's retry file: the sorted names of the hosts that failed or were
/// unreachable, one a line, in `<save_path or the playbook's directory>/<playbook stem>.retry`,
/// announced with `to retry, use: --limit @<file>` before the recap; a warning when it cannot
/// be written. Nothing when every host did well.
fn write_retry_file(
    stats: &Stats,
    save_path: Option<&std::path::Path>,
    playbook: &std::path::Path,
    sink: &dyn EventSink,
) {
    let mut hosts: Vec<&str> = stats
        .0
        .iter()
        .filter(|(_, s)| s.failed > 0 || s.unreachable > 0)
        .map(|(h, _)| h.as_str())
        .collect();
    if hosts.is_empty() {
        return;
    }
    hosts.sort_unstable();
    let dir = match save_path {
        Some(dir) => dir.to_path_buf(),
        None => std::path::absolute(playbook)
            .ok()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            .unwrap_or_default(),
    };
    let stem = playbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = dir.join(format!("{stem}.retry"));
    let text: String = hosts.iter().map(|h| format!("{h}\n")).collect();
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, text)) {
        // Ansible displays `…\n`, which its display does not end with a second newline.
        Ok(()) => sink.emit(Event::Display(format!(
            "\tto retry, use: --limit @{}",
            file.display()
        ))),
        Err(e) => sink.emit(Event::Warning {
            message: format!("Could not create retry file '{}'.\n\t{e}", file.display()),
            origin: None,
        }),
    }
}

/// What every play of a run shares.
struct RunShared {
    /// One connection per host and settings, for the whole run.
    connections: connections::Connections,
    /// Async jobs left running (`poll: 0`), by jid.
    jobs: async_jobs::AsyncJobs,
    /// The recap's counters.
    stats: Mutex<Stats>,
    /// `--start-at-task` until a task matches it.
    start_at: Mutex<Option<String>>,
}

/// The plays of `playbooks` in order, until one ends the run.
async fn run_playbooks(
    playbooks: &[Playbook],
    inventory: &RunInventory<'_>,
    options: &RunOptions,
    sink: &dyn EventSink,
    shared: &RunShared,
) -> Result<(), RunError> {
    let RunShared {
        connections,
        jobs,
        stats,
        start_at,
    } = shared;
    let templar = Templar::new();
    // Hosts that failed or were unreachable: they sit out every later play.
    let mut departed: HashSet<String> = HashSet::new();
    for playbook in playbooks {
        sink.emit(Event::PlaybookStart {
            path: playbook.path.clone(),
            plays: playbook.plays.len(),
        });
        'plays: for play in &playbook.plays {
            let selection = inventory.select(&play.hosts.join(","), options.limit.as_deref())?;
            for warning in &selection.warnings {
                sink.emit(Event::Warning {
                    message: warning.message.clone(),
                    origin: None,
                });
            }
            if selection.hosts.is_empty() {
                sink.emit(Event::PlayStart {
                    name: play.display_name(),
                    hosts: Vec::new(),
                });
                sink.emit(Event::NoHostsMatched);
                continue;
            }
            let mut roles = Vec::new();
            for role in &play.roles {
                all_roles(role, &mut roles);
            }
            let imported = play_imported_roles(play, &roles);
            // Role defaults and vars seen play-wide: the play's roles', then those of the roles
            // `import_role` brings in (ansible-core appends them to `play.roles`, public).
            let role_layer = |pick: fn(&Role) -> Option<&Value>| -> Vec<Arc<Map>> {
                roles
                    .iter()
                    .chain(&imported)
                    .filter_map(|r| pick(r).and_then(Value::as_map))
                    .map(|m| Arc::new(m.clone()))
                    .collect()
            };
            let serial = play_keyword(&templar, play, options, "serial")?;
            let force_handlers = play_keyword(&templar, play, options, "force_handlers")?
                .map_or(options.force_handlers, |v| task::truthy_value(&v));
            for batch in batches::batches(serial.as_ref(), &selection.hosts) {
                sink.emit(Event::PlayStart {
                    name: play.display_name(),
                    hosts: batch.clone(),
                });
                let run = PlayRun {
                    play,
                    inventory,
                    templar: &templar,
                    options,
                    sink,
                    stats,
                    connections,
                    jobs,
                    force_handlers,
                    hosts: selection.hosts.clone(),
                    batch: batch.clone(),
                    break_play: AtomicBool::new(false),
                    start_at,
                    role_defaults: role_layer(|r| r.defaults.as_ref()),
                    role_vars: role_layer(|r| r.vars.as_ref()),
                    handlers: handlers(play, &roles, &imported),
                    included_roles: Mutex::new(Vec::new()),
                    late_imports: Mutex::new(Vec::new()),
                };
                let mut hosts: Vec<HostState> = batch
                    .iter()
                    .filter(|name| !departed.contains(*name))
                    .map(|name| HostState::new(name))
                    .collect();
                let flow = if hosts.is_empty() {
                    Flow::Continue
                } else {
                    run.run(&mut hosts).await
                };
                let failed: Vec<&HostState> =
                    hosts.iter().filter(|h| h.failed || h.unreachable).collect();
                departed.extend(failed.iter().map(|h| h.name.clone()));
                // A batch whose every host failed, or that broke the play, ends the playbook.
                if run.break_play.load(Ordering::Relaxed) || failed.len() == batch.len() {
                    break 'plays;
                }
                if flow == Flow::EndPlay {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Play keyword `keyword` templated with the play's vars and extra vars, as Ansible templates
/// play keywords before any host runs (`serial: "{{ batch_size }}"`).
fn play_keyword(
    templar: &Templar,
    play: &oxible_playbook::Play,
    options: &RunOptions,
    keyword: &'static str,
) -> Result<Option<Value>, RunError> {
    let Some(raw) = play.keywords.get(keyword) else {
        return Ok(None);
    };
    let mut scope = oxible_template::Scope::new(templar);
    scope
        .push(
            oxible_template::VarSource::PlayVars,
            Arc::new(play.vars.clone()),
        )
        .push(
            oxible_template::VarSource::ExtraVars,
            Arc::new(options.extra_vars.clone()),
        );
    let scope = scope.into_shared();
    templar.template(raw, &scope).map(Some).map_err(|err| {
        let mut diagnostic = err.diagnostic(raw.span.clone());
        diagnostic.message = format!(
            "error processing keyword '{keyword}': {}",
            diagnostic.message
        );
        RunError::PlayKeyword(Box::new(diagnostic))
    })
}

/// Every role of a play, dependencies first, each once.
pub(crate) fn all_roles<'p>(role: &'p Role, out: &mut Vec<&'p Role>) {
    for dep in &role.dependencies {
        all_roles(dep, out);
    }
    if !out.iter().any(|r| std::ptr::eq(*r, role)) {
        out.push(role);
    }
}

/// The play's handlers as ansible-core orders them: every role's (`compile_roles_handlers`),
/// the play's own, then those of the roles `import_role` brings in (`imported`), which
/// ansible-core appends to the play's handlers as it loads the tasks that import them.
fn handlers<'p>(
    play: &'p oxible_playbook::Play,
    roles: &[&'p Role],
    imported: &[&'p Role],
) -> Vec<(&'p Task, Inherited<'p>)> {
    let top = Inherited {
        keywords: vec![&play.keywords],
        handler: true,
        ..Inherited::default()
    };
    let mut out = Vec::new();
    for role in roles {
        flatten(&role.handlers, &top.in_role(role), &mut out);
    }
    flatten(&play.handlers, &top, &mut out);
    for role in imported {
        flatten(&role.handlers, &top.in_role(role), &mut out);
    }
    out
}

/// The roles `import_role` tasks bring into `play` (each with its dependencies), in
/// ansible-core's load order: the imports in `roles`' tasks, then in `pre_tasks`, `post_tasks`
/// and `tasks`.
fn play_imported_roles<'p>(play: &'p oxible_playbook::Play, roles: &[&'p Role]) -> Vec<&'p Role> {
    let mut imported = Vec::new();
    for role in roles {
        imported_roles(&role.tasks, &mut imported);
    }
    for entries in [&play.pre_tasks, &play.post_tasks, &play.tasks] {
        imported_roles(entries, &mut imported);
    }
    imported
}

/// The roles `import_role` tasks in `entries` name (not their dependencies), nested imports
/// first, each once.
pub(crate) fn import_targets<'p>(entries: &'p [Entry], out: &mut Vec<&'p Role>) {
    for entry in entries {
        match entry {
            Entry::Task(_) => {}
            Entry::Block(block) => {
                for part in [&block.block, &block.rescue, &block.always] {
                    import_targets(part, out);
                }
            }
            Entry::ImportTasks { entries, .. } => import_targets(entries, out),
            Entry::ImportRole { role, .. } => {
                import_targets(&role.tasks, out);
                if !out.iter().any(|r| r.path == role.path) {
                    out.push(role);
                }
            }
        }
    }
}

/// The roles `import_role` tasks in `entries` bring in, dependencies first, each once; roles
/// imported inside an imported role come before it.
fn imported_roles<'p>(entries: &'p [Entry], out: &mut Vec<&'p Role>) {
    for entry in entries {
        match entry {
            Entry::Task(_) => {}
            Entry::Block(block) => {
                for part in [&block.block, &block.rescue, &block.always] {
                    imported_roles(part, out);
                }
            }
            Entry::ImportTasks { entries, .. } => imported_roles(entries, out),
            Entry::ImportRole { role, .. } => {
                let mut with_deps = Vec::new();
                all_roles(role, &mut with_deps);
                for role in &with_deps {
                    imported_roles(&role.tasks, out);
                }
                for role in with_deps {
                    if !out.iter().any(|r| std::ptr::eq(*r, role)) {
                        out.push(role);
                    }
                }
            }
        }
    }
}

/// `entries` as a flat list of tasks with their surroundings (handlers lists).
pub(crate) fn flatten<'p>(
    entries: &'p [Entry],
    inherited: &Inherited<'p>,
    out: &mut Vec<(&'p Task, Inherited<'p>)>,
) {
    for entry in entries {
        match entry {
            Entry::Task(task) => out.push((task, inherited.clone())),
            Entry::Block(block) => flatten(
                &block.block,
                &inherited.inside(&block.keywords, &block.when),
                out,
            ),
            Entry::ImportTasks { task, entries, .. } => {
                flatten(entries, &inherited.inside(&task.keywords, &task.when), out)
            }
            Entry::ImportRole { task, role } => flatten(
                &role.handlers,
                &inherited.inside(&task.keywords, &task.when).in_role(role),
                out,
            ),
        }
    }
}
