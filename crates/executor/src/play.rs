//! One play, linear strategy: every task runs on all active hosts (up to `forks` at once)
//! before the next task starts; blocks send failed hosts to `rescue`, then everyone to
//! `always`; handlers run at the end of each section and at `meta: flush_handlers`.

use std::sync::{Arc, Mutex};

use oxible_playbook::{Entry, Play, Role, Task};
use oxible_template::Templar;
use oxible_yaml::{Map, Value};

use crate::RunOptions;
use crate::context::Inherited;
use crate::events::{Event, EventSink, Status};
use crate::host::HostState;
use crate::join::join_all;
use crate::stats::Stats;
use crate::task::{Flow, TaskRun};

/// Everything shared by the tasks of one play.
pub(crate) struct PlayRun<'p> {
    pub play: &'p Play,
    pub inventory: &'p crate::run_inventory::RunInventory<'p>,
    pub templar: &'p Templar,
    pub options: &'p RunOptions,
    pub sink: &'p dyn EventSink,
    pub stats: &'p Mutex<Stats>,
    /// The run's connections, shared by every play.
    pub connections: &'p crate::connections::Connections,
    /// The run's async jobs left running (`poll: 0`), by jid.
    pub jobs: &'p crate::async_jobs::AsyncJobs,
    /// `force_handlers`: the handlers notified on a host that failed still run for it at the
    /// end of each section (not at `meta: flush_handlers`), as Ansible's iterator moves such
    /// a host to its handlers.
    pub force_handlers: bool,
    /// The play's hosts, in order (for magic variables).
    pub hosts: Vec<String>,
    /// The hosts of the batch running now (`serial`), in order.
    pub batch: Vec<String>,
    /// `--start-at-task` until a task matches it (then `None`).
    pub start_at: &'p Mutex<Option<String>>,
    /// Set when the batch must stop the whole run (`max_fail_percentage` exceeded).
    pub break_play: std::sync::atomic::AtomicBool,
    /// Role defaults and vars of every role in the play, in play order (Ansible exposes them
    /// play-wide).
    pub role_defaults: Vec<Arc<Map>>,
    /// See `role_defaults`.
    pub role_vars: Vec<Arc<Map>>,
    /// Handlers: roles' first, then the play's, with the role each belongs to.
    pub handlers: Vec<(&'p Task, Inherited<'p>)>,
    /// Roles `include_role` loaded, by role path and `handlers_from`: their handlers follow
    /// the play's.
    pub included_roles: Mutex<Vec<IncludedRole>>,
    /// Roles `import_role` brought in from files included at run time (`include_tasks`),
    /// with their dependencies (first), once per role path: like the play's imported roles,
    /// their defaults and vars are seen play-wide from then on (ansible-core appends them to
    /// `play.roles`).
    pub late_imports: Mutex<Vec<LateImport>>,
}

/// A role imported from a file included at run time: its path and the defaults and vars it
/// adds play-wide.
#[derive(Debug, Clone)]
pub(crate) struct LateImport {
    /// The role's directory (one entry per role).
    pub path: std::path::PathBuf,
    /// `defaults/`, when the role has any.
    pub defaults: Option<Arc<Map>>,
    /// `vars/`, when the role has any.
    pub vars: Option<Arc<Map>>,
}

impl LateImport {
    /// The entry for `role`.
    pub(crate) fn of(role: &Role) -> Self {
        let layer =
            |value: Option<&Value>| value.and_then(Value::as_map).map(|m| Arc::new(m.clone()));
        Self {
            path: role.path.clone(),
            defaults: layer(role.defaults.as_ref()),
            vars: layer(role.vars.as_ref()),
        }
    }
}

/// An included role, keyed by its path and `handlers_from`.
pub(crate) type IncludedRole = ((std::path::PathBuf, Option<String>), Arc<Role>);

impl<'p> PlayRun<'p> {
    /// The roles imported from files included so far, dependencies first.
    pub(crate) fn late_import_roles(&self) -> Vec<LateImport> {
        self.late_imports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs the play's sections on `hosts`; stops early when `meta: end_play` is run.
    pub async fn run(&self, hosts: &mut [HostState]) -> Flow {
        let top = Inherited {
            keywords: vec![&self.play.keywords],
            ..Inherited::default()
        };
        let mut main = Vec::new();
        for role in &self.play.roles {
            role_sections(role, &top, &mut main);
        }
        main.push((&self.play.tasks[..], top.clone()));
        let sections = [
            vec![(&self.play.pre_tasks[..], top.clone())],
            main,
            vec![(&self.play.post_tasks[..], top.clone())],
        ];
        let everyone = vec![true; hosts.len()];
        self.gather_facts(hosts).await;
        for section in sections {
            for (entries, inherited) in section {
                if self
                    .run_entries(entries, &inherited, hosts, &everyone)
                    .await
                    == Flow::EndPlay
                {
                    return Flow::EndPlay;
                }
            }
            self.flush_handlers(hosts, self.force_handlers).await;
        }
        Flow::Continue
    }

    /// Runs `entries` in order on the hosts selected by `mask` that are still active.
    pub(crate) fn run_entries<'a>(
        &'a self,
        entries: &'p [Entry],
        inherited: &'a Inherited<'p>,
        hosts: &'a mut [HostState],
        mask: &'a [bool],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Flow> + Send + 'a>> {
        Box::pin(async move {
            for entry in entries {
                // Every host failed in an earlier section: the play is over. Ansible says
                // "NO MORE HOSTS LEFT" only when max_fail_percentage ends it (`batches.rs`).
                if no_hosts_left(hosts) {
                    return Flow::EndPlay;
                }
                let flow = match entry {
                    Entry::Task(task) => self.run_task(task, inherited, hosts, mask).await,
                    Entry::Block(block) => {
                        let inner = inherited.inside(&block.keywords, &block.when);
                        self.run_block(
                            &block.block,
                            &block.rescue,
                            &block.always,
                            &inner,
                            hosts,
                            mask,
                        )
                        .await
                    }
                    Entry::ImportTasks { task, entries, .. } => {
                        let inner = inherited.inside(&task.keywords, &task.when);
                        self.run_entries(entries, &inner, hosts, mask).await
                    }
                    Entry::ImportRole { task, role } => {
                        // The role's meta dependencies run first, as for `roles:` and
                        // `include_role` (ansible-core's `Role.compile`).
                        let outer = inherited.inside(&task.keywords, &task.when);
                        let mut sections = Vec::new();
                        role_sections(role, &outer, &mut sections);
                        let mut flow = Flow::Continue;
                        for (entries, inner) in &sections {
                            flow = self.run_entries(entries, inner, hosts, mask).await;
                            if flow == Flow::EndPlay {
                                break;
                            }
                        }
                        flow
                    }
                };
                if flow == Flow::EndPlay {
                    return flow;
                }
                if !selected(hosts, mask).any(|_| true) {
                    return Flow::Continue;
                }
            }
            Flow::Continue
        })
    }

    /// A block: hosts that fail in `block` run `rescue` (and count as rescued, not failed, if
    /// it succeeds); every host that entered runs `always` and keeps its failure after it.
    async fn run_block(
        &self,
        block: &'p [Entry],
        rescue: &'p [Entry],
        always: &'p [Entry],
        inherited: &Inherited<'p>,
        hosts: &mut [HostState],
        mask: &[bool],
    ) -> Flow {
        let entered: Vec<bool> = hosts
            .iter()
            .zip(mask)
            .map(|(h, m)| *m && h.active())
            .collect();
        let mut flow = self.run_entries(block, inherited, hosts, &entered).await;
        let failed_here: Vec<bool> = hosts
            .iter()
            .zip(&entered)
            .map(|(h, e)| *e && h.failed && !h.unreachable)
            .collect();
        if flow != Flow::EndPlay && !rescue.is_empty() && failed_here.contains(&true) {
            for (host, failed) in hosts.iter_mut().zip(&failed_here) {
                if *failed {
                    host.failed = false;
                    self.stats_mut(|s| {
                        let counters = s.host(&host.name);
                        counters.failed = counters.failed.saturating_sub(1);
                        counters.rescued += 1;
                    });
                }
            }
            flow = self
                .run_entries(rescue, inherited, hosts, &failed_here)
                .await;
        }
        if flow != Flow::EndPlay && !always.is_empty() {
            let failed_before: Vec<bool> = hosts.iter().map(|h| h.failed).collect();
            let runs: Vec<bool> = hosts
                .iter()
                .zip(&entered)
                .map(|(h, e)| *e && !h.unreachable)
                .collect();
            for (host, runs) in hosts.iter_mut().zip(&runs) {
                if *runs {
                    host.failed = false;
                }
            }
            flow = self.run_entries(always, inherited, hosts, &runs).await;
            for (host, failed) in hosts.iter_mut().zip(failed_before) {
                host.failed |= failed;
            }
        }
        flow
    }

    /// Runs one task on the selected active hosts, `forks` at a time.
    async fn run_task(
        &self,
        task: &'p Task,
        inherited: &Inherited<'p>,
        hosts: &mut [HostState],
        mask: &[bool],
    ) -> Flow {
        if !self
            .options
            .tags
            .selects(&crate::task::task_tags(task, inherited, self.play))
        {
            return Flow::Continue;
        }
        let run = TaskRun {
            play: self,
            task,
            inherited,
        };
        if !self.reached_start(&run) {
            return Flow::Continue;
        }
        if task.is("meta") {
            return self.run_meta(task, inherited, hosts, mask).await;
        }
        self.sink.emit(run.start_event(inherited.handler));
        let gone: Vec<bool> = hosts.iter().map(|h| h.failed || h.unreachable).collect();
        let mut targets: Vec<&mut HostState> = hosts
            .iter_mut()
            .zip(mask)
            .filter(|(h, m)| **m && h.active())
            .map(|(h, _)| h)
            .collect();
        // `pause` and `add_host` run once for all hosts, as Ansible's (BYPASS_HOST_LOOP).
        let run_once =
            run.truthy("run_once", None, None) || task.is("pause") || task.is("add_host");
        let mut others = Vec::new();
        if run_once && !targets.is_empty() {
            others = targets.split_off(1);
        }
        let before = targets.first().map(|h| h.set_facts.clone());
        let flow = self.run_on(&run, &mut targets).await;
        if let (Some(first), Some(before)) = (targets.first(), before) {
            share_new_facts(first, &before, &mut others);
        }
        crate::delegate::deliver_facts(hosts);
        if flow == Flow::EndPlay || self.after_task(&run, hosts, &gone) == Flow::EndPlay {
            return Flow::EndPlay;
        }
        if run.is_include() {
            return self.run_includes(task, inherited, hosts).await;
        }
        flow
    }

    /// Runs `run` on `targets`, `forks` (or the task's `throttle`) at a time, reporting each
    /// host's events in host order.
    async fn run_on(&self, run: &TaskRun<'_, 'p>, targets: &mut [&mut HostState]) -> Flow {
        let throttle = run
            .keyword_number("throttle")
            .filter(|t| *t > 0)
            .unwrap_or(usize::MAX);
        let forks = self.options.forks.max(1).min(throttle);
        let mut flow = Flow::Continue;
        for batch in targets.chunks_mut(forks) {
            let outcomes = join_all(batch.iter_mut().map(|host| run.on_host(host)).collect()).await;
            if outcomes.contains(&Flow::EndPlay) {
                flow = Flow::EndPlay;
            }
            for host in batch.iter_mut() {
                for event in std::mem::take(&mut host.pending) {
                    self.sink.emit(event);
                }
            }
        }
        flow
    }

    /// `meta:` tasks act on the play itself.
    async fn run_meta(
        &self,
        task: &'p Task,
        inherited: &Inherited<'p>,
        hosts: &mut [HostState],
        mask: &[bool],
    ) -> Flow {
        let action = task
            .arg("_raw_params")
            .map(Value::py_str)
            .unwrap_or_default();
        match action.as_str() {
            "flush_handlers" => {
                let run = TaskRun {
                    play: self,
                    task,
                    inherited,
                };
                // Ansible's linear strategy runs this meta task once per host, each time
                // announcing it: one banner per host still in the play.
                let active = hosts
                    .iter()
                    .zip(mask)
                    .filter(|(h, m)| **m && h.active())
                    .count();
                for _ in 0..active {
                    self.sink.emit(run.start_event(inherited.handler));
                }
                self.flush_handlers(hosts, false).await;
                Flow::Continue
            }
            "end_play" => Flow::EndPlay,
            "end_host" => {
                let run = TaskRun {
                    play: self,
                    task,
                    inherited,
                };
                for (host, _) in hosts
                    .iter_mut()
                    .zip(mask)
                    .filter(|(h, m)| **m && h.active())
                {
                    if run.condition_holds(host) {
                        host.ended = true;
                    }
                }
                Flow::Continue
            }
            "clear_host_errors" => {
                for host in hosts.iter_mut() {
                    host.failed = false;
                }
                Flow::Continue
            }
            _ => Flow::Continue,
        }
    }

    /// Runs every notified handler, in definition order, on the hosts that notified it and are
    /// still in the play, and with `failed_too` on those that failed (`force_handlers`).
    async fn flush_handlers(&self, hosts: &mut [HostState], failed_too: bool) {
        let included: Vec<Arc<Role>> = self
            .included_roles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(_, role)| role.clone())
            .collect();
        let top = Inherited {
            keywords: vec![&self.play.keywords],
            handler: true,
            ..Inherited::default()
        };
        let mut handlers = self.handlers.clone();
        for role in &included {
            let mut roles = Vec::new();
            crate::all_roles(role, &mut roles);
            for role in roles {
                crate::flatten(&role.handlers, &top.in_role(role), &mut handlers);
            }
        }
        let mut answered: Vec<Vec<String>> = vec![Vec::new(); hosts.len()];
        for (handler, inherited) in &handlers {
            let names = handler_names(handler, inherited.role);
            let notified: Vec<bool> = hosts
                .iter()
                .map(|h| {
                    (h.active() || (failed_too && forced_handlers(h)))
                        && names.iter().any(|n| h.notified.contains(n))
                })
                .collect();
            if !notified.iter().any(|n| *n) {
                continue;
            }
            for (answered, notified) in answered.iter_mut().zip(&notified) {
                if *notified {
                    answered.extend(names.iter().cloned());
                }
            }
            let run = TaskRun {
                play: self,
                task: handler,
                inherited,
            };
            self.sink.emit(run.start_event(true));
            let mut targets: Vec<&mut HostState> = hosts
                .iter_mut()
                .zip(&notified)
                .filter(|(_, n)| **n)
                .map(|(h, _)| h)
                .collect();
            self.run_on(&run, &mut targets).await;
        }
        // A topic several handlers listen to wakes all of them: notifications are consumed
        // once every handler has had its turn.
        for (host, names) in hosts.iter_mut().zip(answered) {
            for name in names {
                host.notified.shift_remove(&name);
            }
        }
    }

    /// Whether `--start-at-task` lets `run` run: once a task's name (plain or role-prefixed)
    /// equals or matches it, this and every later task do.
    fn reached_start(&self, run: &TaskRun<'_, 'p>) -> bool {
        let mut start_at = self
            .start_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(wanted) = start_at.as_deref() else {
            return true;
        };
        let matches = |name: &str| name == wanted || oxible_inventory::fnmatch(wanted, name);
        if run.task.name.as_deref().is_some_and(matches) || matches(&run.display_name()) {
            *start_at = None;
            return true;
        }
        false
    }

    /// Updates the run's counters.
    pub fn stats_mut(&self, update: impl FnOnce(&mut Stats)) {
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        update(&mut stats);
    }
}

/// `run_once`: what the task registered or set on the host that ran it, given to the others.
fn share_new_facts(first: &HostState, before: &Map, others: &mut [&mut HostState]) {
    for (key, value) in &first.set_facts {
        if before.get(key) != Some(value) {
            for other in others.iter_mut() {
                other.set_facts.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Whether every host has left the play and at least one of them failed (Ansible then says
/// `NO MORE HOSTS LEFT` instead of starting the next task).
/// Whether `host` left the play by failing, so that `force_handlers` still runs its handlers
/// (an unreachable host or one that ran `meta: end_host` gets none).
fn forced_handlers(host: &HostState) -> bool {
    host.failed && !host.unreachable && !host.ended
}

fn no_hosts_left(hosts: &[HostState]) -> bool {
    !hosts.iter().any(HostState::active) && hosts.iter().any(|h| h.failed || h.unreachable)
}

/// The hosts `mask` selects that are still active.
fn selected<'a>(hosts: &'a [HostState], mask: &'a [bool]) -> impl Iterator<Item = &'a HostState> {
    hosts
        .iter()
        .zip(mask)
        .filter(|(h, m)| **m && h.active())
        .map(|(h, _)| h)
}

/// A role's task lists in run order: its dependencies' first.
pub(crate) fn role_sections<'p>(
    role: &'p Role,
    outer: &Inherited<'p>,
    out: &mut Vec<(&'p [Entry], Inherited<'p>)>,
) {
    let inner = outer.in_role(role);
    for dep in &role.dependencies {
        role_sections(dep, &inner, out);
    }
    out.push((&role.tasks[..], inner));
}

/// The names a handler answers to: its name, `role : name`, and its `listen` topics.
fn handler_names(handler: &Task, role: Option<&Role>) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(name) = &handler.name {
        names.push(name.clone());
        if let Some(role) = role {
            names.push(format!("{} : {name}", role.name));
        }
    }
    names.extend(handler.listen.iter().cloned());
    names
}

impl PlayRun<'_> {
    /// `gather_facts` (on unless the play says false): runs `setup` on every host before
    /// `pre_tasks`, reported as the `Gathering Facts` task, and stores the facts both as
    /// `ansible_<name>` and under `ansible_facts`.
    async fn gather_facts(&self, hosts: &mut [HostState]) {
        let wanted = self
            .play
            .keywords
            .get("gather_facts")
            .map(|v| match &v.kind {
                oxible_yaml::ValueKind::Bool(b) => *b,
                _ => !matches!(
                    v.py_str().to_ascii_lowercase().as_str(),
                    "false" | "no" | "off" | "0"
                ),
            })
            .unwrap_or(true);
        let Some(setup) = oxible_modules::find("setup").filter(|_| wanted) else {
            return;
        };
        self.sink.emit(Event::TaskStart {
            name: "Gathering Facts".into(),
            handler: false,
            origin: self.play.span.clone(),
            action: false,
            diff: false,
        });
        let mut raw = Map::new();
        if let Some(subset) = self.play.keywords.get("gather_subset") {
            raw.insert(Value::from("gather_subset"), subset.clone());
        }
        for host in hosts.iter_mut().filter(|h| h.active()) {
            let scope = crate::connections::Connections::play_scope(
                self.inventory,
                self.play,
                self.options,
                self.templar,
                &host.name,
            );
            let conn = self
                .connections
                .get(&scope, self.options, self.templar, &host.name);
            let (status, result) = match &conn {
                Ok(conn) => {
                    let target = oxible_modules::Target {
                        conn: conn.clone(),
                        check_mode: false,
                        diff: false,
                        become_: None,
                        env: Vec::new(),
                        controller_search_path: Vec::new(),
                        host: host.name.clone(),
                        python: None,
                    };
                    let outcome = match oxible_modules::Args::validate("setup", setup.spec(), &raw)
                    {
                        Ok(args) => setup.run(&target, args).await,
                        Err(err) => Err(err),
                    };
                    match outcome {
                        Ok(outcome) => {
                            let mut result = outcome.into_result();
                            // As Ansible's setup: the facts are never dumped, even with -v.
                            result.insert(
                                Value::from("_ansible_verbose_override"),
                                Value::from(true),
                            );
                            (Status::Ok, result)
                        }
                        Err(oxible_modules::ModuleError::Connection(err)) => {
                            let ran = crate::task::connection_failure(&err);
                            (ran.status, ran.result)
                        }
                        Err(err) => (
                            Status::Failed,
                            oxible_modules::module_error_result(&err.to_string()),
                        ),
                    }
                }
                Err(reason) => {
                    let ran = crate::task::task_exception(reason);
                    (ran.status, ran.result)
                }
            };
            if let Some(facts) = result
                .get(&Value::from("ansible_facts"))
                .and_then(Value::as_map)
            {
                host.add_facts(facts);
            }
            match status {
                Status::Failed => host.failed = true,
                Status::Unreachable => host.unreachable = true,
                _ => {}
            }
            self.stats_mut(|s| {
                let counters = s.host(&host.name);
                match status {
                    Status::Failed => counters.failed += 1,
                    Status::Unreachable => counters.unreachable += 1,
                    _ => counters.ok += 1,
                }
            });
            self.sink.emit(Event::HostResult {
                host: host.name.clone(),
                status,
                result,
                item: None,
                ignored: false,
                verbose_always: false,
            });
        }
    }
}
