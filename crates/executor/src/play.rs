//! One play, linear strategy: every task runs on all active hosts (up to `forks` at once)
//! before the next task starts; blocks send failed hosts to `rescue`, then everyone to
//! `always`; handlers run at the end of each section and at `meta: flush_handlers`.

use std::sync::{Arc, Mutex};

use oxible_inventory::Inventory;
use oxible_playbook::{Entry, Play, Role, Task};
use oxible_template::Templar;
use oxible_yaml::{Map, Value};

use crate::RunOptions;
use crate::context::Inherited;
use crate::events::{Event, EventSink};
use crate::host::HostState;
use crate::join::join_all;
use crate::stats::Stats;
use crate::task::{Flow, TaskRun};

/// Everything shared by the tasks of one play.
pub(crate) struct PlayRun<'p> {
    pub play: &'p Play,
    pub inventory: &'p Inventory,
    pub templar: &'p Templar,
    pub options: &'p RunOptions,
    pub sink: &'p dyn EventSink,
    pub stats: &'p Mutex<Stats>,
    /// The play's hosts, in order (for magic variables).
    pub hosts: Vec<String>,
    /// Role defaults and vars of every role in the play, in play order (Ansible exposes them
    /// play-wide).
    pub role_defaults: Vec<Arc<Map>>,
    /// See `role_defaults`.
    pub role_vars: Vec<Arc<Map>>,
    /// Handlers: roles' first, then the play's, with the role each belongs to.
    pub handlers: Vec<(&'p Task, Inherited<'p>)>,
}

impl<'p> PlayRun<'p> {
    /// Runs the play's sections on `hosts`; stops early when `meta: end_play` is run.
    pub async fn run(&self, hosts: &mut [HostState]) {
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
        for section in sections {
            for (entries, inherited) in section {
                if self
                    .run_entries(entries, &inherited, hosts, &everyone)
                    .await
                    == Flow::EndPlay
                {
                    return;
                }
            }
            if hosts.iter().all(|h| h.failed || h.unreachable) {
                self.sink.emit(Event::NoHostsRemaining);
                return;
            }
            self.flush_handlers(hosts).await;
        }
    }

    /// Runs `entries` in order on the hosts selected by `mask` that are still active.
    fn run_entries<'a>(
        &'a self,
        entries: &'p [Entry],
        inherited: &'a Inherited<'p>,
        hosts: &'a mut [HostState],
        mask: &'a [bool],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Flow> + Send + 'a>> {
        Box::pin(async move {
            for entry in entries {
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
                        let inner = inherited.inside(&task.keywords, &task.when).in_role(role);
                        self.run_entries(&role.tasks, &inner, hosts, mask).await
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
        if task.is("meta") {
            return self.run_meta(task, inherited, hosts, mask).await;
        }
        let run = TaskRun {
            play: self,
            task,
            inherited,
        };
        self.sink.emit(run.start_event(inherited.handler));
        let forks = self.options.forks.max(1);
        let mut targets: Vec<&mut HostState> = hosts
            .iter_mut()
            .zip(mask)
            .filter(|(h, m)| **m && h.active())
            .map(|(h, _)| h)
            .collect();
        let mut flow = Flow::Continue;
        while !targets.is_empty() {
            let rest = targets.split_off(forks.min(targets.len()));
            let batch = std::mem::replace(&mut targets, rest);
            for outcome in join_all(batch.into_iter().map(|host| run.on_host(host)).collect()).await
            {
                if outcome == Flow::EndPlay {
                    flow = Flow::EndPlay;
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
                self.flush_handlers(hosts).await;
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

    /// Runs every notified handler, in definition order, on the hosts that notified it.
    async fn flush_handlers(&self, hosts: &mut [HostState]) {
        for (handler, inherited) in &self.handlers {
            let names = handler_names(handler, inherited.role);
            let notified: Vec<bool> = hosts
                .iter()
                .map(|h| h.active() && names.iter().any(|n| h.notified.contains(n)))
                .collect();
            if !notified.iter().any(|n| *n) {
                continue;
            }
            for (host, notified) in hosts.iter_mut().zip(&notified) {
                if *notified {
                    for name in &names {
                        host.notified.shift_remove(name);
                    }
                }
            }
            let run = TaskRun {
                play: self,
                task: handler,
                inherited,
            };
            self.sink.emit(run.start_event(true));
            let targets: Vec<&mut HostState> = hosts
                .iter_mut()
                .zip(&notified)
                .filter(|(_, n)| **n)
                .map(|(h, _)| h)
                .collect();
            join_all(targets.into_iter().map(|host| run.on_host(host)).collect()).await;
        }
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

/// The hosts `mask` selects that are still active.
fn selected<'a>(hosts: &'a [HostState], mask: &'a [bool]) -> impl Iterator<Item = &'a HostState> {
    hosts
        .iter()
        .zip(mask)
        .filter(|(h, m)| **m && h.active())
        .map(|(h, _)| h)
}

/// A role's task lists in run order: its dependencies' first.
fn role_sections<'p>(
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
