//! One task on one host: variables, `when`, loops, arguments, the action or module, then
//! `changed_when`/`failed_when`, `register`, `notify`, the event and the counters.

use std::collections::BTreeSet;
use std::sync::Arc;

use oxible_connection::{Become, BecomeMethod};
use oxible_modules::{Args, Target};
use oxible_playbook::{Loop, Play, Task};
use oxible_template::{
    MagicVars, Scope, TemplateError, TemplateErrorKind, VarSource, run_lookup, without_omitted,
};
use oxible_yaml::{Map, Span, Value, ValueKind};

use crate::actions;
use crate::async_jobs::{self, AsyncMode};
use crate::context::Inherited;
use crate::events::{Event, Status};
use crate::host::HostState;
use crate::looping::LoopControl;
use crate::play::PlayRun;

/// What the play does after a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Continue,
    /// `meta: end_play`.
    EndPlay,
}

/// The tags a task carries: its own plus those of the play, roles, blocks and imports around it.
pub(crate) fn task_tags(task: &Task, inherited: &Inherited<'_>, play: &Play) -> BTreeSet<String> {
    let mut tags: BTreeSet<String> = play.tags.iter().chain(&task.tags).cloned().collect();
    if let Some(role) = inherited.role {
        tags.extend(role.def.tags.iter().cloned());
    }
    for keywords in &inherited.keywords {
        if let Some(value) = keywords.get("tags") {
            match value.as_seq() {
                Some(items) => tags.extend(items.iter().map(Value::py_str)),
                None => tags.extend(value.py_str().split(',').map(|t| t.trim().to_string())),
            }
        }
    }
    tags
}

/// One task of the play, ready to run on hosts.
pub(crate) struct TaskRun<'a, 'p> {
    pub play: &'a PlayRun<'p>,
    pub task: &'p Task,
    pub inherited: &'a Inherited<'p>,
}

/// What running the task (or one loop item) produced.
pub(crate) struct Ran {
    /// How it ended.
    pub status: Status,
    /// The result dict.
    pub result: Map,
}

impl<'p> TaskRun<'_, 'p> {
    /// The name shown in `TASK [...]`: the templated name as [`oxible_playbook::Task::shown_name`]
    /// puts it (`role : name`, the name, or the action as written).
    pub fn display_name(&self) -> String {
        let name = self
            .task
            .name
            .as_deref()
            .filter(|name| !name.is_empty())
            .map(|name| {
                let scope = self.play_scope();
                self.play
                    .templar
                    .template_str(name, &scope)
                    .map(|v| v.py_str())
                    .unwrap_or_else(|_| name.to_string())
            });
        self.task.shown_name(
            name.as_deref(),
            self.inherited.role.map(|r| r.name.as_str()),
        )
    }

    /// The `TaskStart` event for this task.
    pub fn start_event(&self, handler: bool) -> Event {
        Event::TaskStart {
            name: self.display_name(),
            handler,
            origin: self.task.span.clone(),
            action: actions::is_action(oxible_playbook::short_name(&self.task.action.module)),
            diff: self
                .keyword("diff")
                .and_then(Value::as_bool)
                .unwrap_or(self.play.options.diff),
        }
    }

    /// Play-level variables only (for names shown before any host runs the task).
    fn play_scope(&self) -> Arc<Scope> {
        let mut scope = Scope::new(self.play.templar);
        scope.push(VarSource::PlayVars, Arc::new(self.play.play.vars.clone()));
        scope.push(
            VarSource::ExtraVars,
            Arc::new(self.play.options.extra_vars.clone()),
        );
        scope.into_shared()
    }

    /// Every variable the task sees on `host`, by precedence, plus `extra` at loop level.
    pub(crate) fn scope(&self, host: &HostState, extra: Option<Map>) -> Arc<Scope> {
        let play = self.play;
        let mut scope = Scope::new(play.templar);
        // Lowest of all (pushed first within the lowest source): what Ansible's PlayContext
        // adds for connection variables nothing else defines, from the task's (inherited)
        // `connection:` and `remote_user:` keywords (templated when read, as variables).
        let keywords = crate::connections::ConnectionKeywords {
            connection: self.keyword("connection").map(Value::py_str),
            remote_user: self.keyword("remote_user").map(Value::py_str),
        };
        scope.push(
            VarSource::RoleDefaults,
            Arc::new(crate::connections::default_vars(
                &keywords,
                play.options,
                &host.name,
            )),
        );
        let late = play.late_import_roles();
        for defaults in &play.role_defaults {
            scope.push(VarSource::RoleDefaults, defaults.clone());
        }
        for defaults in late.iter().filter_map(|l| l.defaults.as_ref()) {
            scope.push(VarSource::RoleDefaults, defaults.clone());
        }
        if let Some(role) = self.inherited.role
            && let Some(defaults) = role.defaults.as_ref().and_then(Value::as_map)
        {
            scope.push(VarSource::RoleDefaults, Arc::new(defaults.clone()));
        }
        scope.push(
            VarSource::Inventory,
            Arc::new(play.inventory.host_vars(&host.name).unwrap_or_default()),
        );
        scope.push(VarSource::Facts, Arc::new(host.facts.clone()));
        scope.push(VarSource::PlayVars, Arc::new(play.play.vars.clone()));
        for vars in &play.role_vars {
            scope.push(VarSource::RoleVars, vars.clone());
        }
        for vars in late.iter().filter_map(|l| l.vars.as_ref()) {
            scope.push(VarSource::RoleVars, vars.clone());
        }
        if let Some(role) = self.inherited.role {
            if let Some(vars) = role.vars.as_ref().and_then(Value::as_map) {
                scope.push(VarSource::RoleVars, Arc::new(vars.clone()));
            }
            scope.push(VarSource::RoleParams, Arc::new(role.def.params.clone()));
        }
        for vars in &self.inherited.block_vars {
            scope.push(VarSource::BlockVars, vars.clone());
        }
        if let Some(vars) = self.task.keywords.get("vars").and_then(Value::as_map) {
            scope.push(VarSource::TaskVars, Arc::new(vars.clone()));
        }
        scope.push(VarSource::IncludeVars, Arc::new(host.include_vars.clone()));
        scope.push(VarSource::SetFact, Arc::new(host.set_facts.clone()));
        scope.push(
            VarSource::ExtraVars,
            Arc::new(play.options.extra_vars.clone()),
        );
        scope.push(VarSource::Magic, Arc::new(self.magic(host).to_map()));
        if let Some(extra) = extra {
            scope.push(VarSource::Loop, Arc::new(extra));
        }
        scope.into_shared()
    }

    fn magic(&self, host: &HostState) -> MagicVars {
        let play = self.play;
        MagicVars {
            inventory_hostname: host.name.clone(),
            groups: play.inventory.groups_dict(),
            group_names: play.inventory.group_names(&host.name),
            play_hosts_all: play.hosts.clone(),
            play_hosts: play.batch.clone(),
            play_batch: play.batch.clone(),
            playbook_dir: play.play.basedir.display().to_string(),
            inventory_file: None,
            role: self
                .inherited
                .role
                .map(|r| (r.name.clone(), r.path.display().to_string())),
            check_mode: self.check_mode(),
            diff_mode: play.options.diff,
            run_tags: play.options.run_tags.clone(),
            skip_tags: play.options.skip_tags.clone(),
        }
    }

    fn keyword(&self, key: &str) -> Option<&Value> {
        self.inherited.keyword(&self.task.keywords, key)
    }

    fn check_mode(&self) -> bool {
        match self.keyword("check_mode").and_then(Value::as_bool) {
            Some(forced) => forced,
            None => self.play.options.check,
        }
    }

    /// Whether the task's inherited and own `when` conditions hold on `host` (errors count as
    /// false here; `on_host` reports them).
    pub fn condition_holds(&self, host: &HostState) -> bool {
        let scope = self.scope(host, None);
        matches!(self.when(&scope), Ok(None))
    }

    /// The first `when` condition that does not hold (`None` when all hold), as Ansible reports
    /// it in `false_condition`.
    /// An error names the condition that could not be evaluated.
    fn when(&self, scope: &Arc<Scope>) -> Result<Option<Value>, (TemplateError, &Value)> {
        for cond in self.inherited.when.iter().chain(&self.task.when) {
            match self.play.templar.condition(cond, scope) {
                Ok(true) => {}
                Ok(false) => return Ok(Some(cond.clone())),
                Err(err) => return Err((err, cond)),
            }
        }
        Ok(None)
    }

    /// ansible-core 2.19's error for a `when` condition that could not be evaluated: `Task
    /// failed: Error while evaluating conditional: <why>`, printed with the task's place and the
    /// condition's as its cause.
    fn failed_condition(&self, err: &TemplateError, cond: &Value) -> Ran {
        // A result that is not a boolean is its own error in ansible-core (whose wording
        // names where the value came from); anything else failed while evaluating.
        let cause = match err.kind {
            TemplateErrorKind::Conditional => err.message.clone(),
            _ => format!("Error while evaluating conditional: {}", err.message),
        };
        let task_at = self.task.span.as_ref();
        let chain = vec![
            Value::from("Task failed.").with_span(task_at.cloned()),
            Value::from(cause.as_str()).with_span(cond.span.clone().or_else(|| task_at.cloned())),
        ];
        task_exception_chained(&cause, Some(chain))
    }

    /// Runs the task on `host`, reports it, and updates the host's state.
    pub async fn on_host(&self, host: &mut HostState) -> crate::task::Flow {
        let items = match &self.task.looping {
            None => None,
            Some(looping) => match self.loop_items(looping, host) {
                Ok(items) => Some(items),
                Err(err) => {
                    let keywords = self.item_keywords(host, None);
                    self.finish(host, self.failed_template(&err), None, false, keywords);
                    return Flow::Continue;
                }
            },
        };
        let Some(items) = items else {
            let ran = self.run_once(host, None).await;
            self.queue_include(host, &ran, Map::new(), None);
            let keywords = self.item_keywords(host, None);
            self.finish(host, ran, None, true, keywords);
            return Flow::Continue;
        };
        let control = LoopControl::of(self.task);
        let mut results = Vec::new();
        let (mut any_changed, mut any_failed, mut all_skipped) = (false, false, true);
        let mut summary = ItemKeywords::SUMMARY_START;
        for index in 0..items.len() {
            if index > 0 && control.pause > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(control.pause)).await;
            }
            let vars = control.item_vars(&items, index);
            let ran = self.run_once(host, Some(vars.clone())).await;
            let mut result = ran.result.clone();
            control.annotate(&mut result, &vars);
            // As Ansible: an item's `changed`, failed items' too, makes the loop's.
            any_changed |=
                result.get(&Value::from("changed")).and_then(Value::as_bool) == Some(true);
            any_failed |= ran.status == Status::Failed;
            all_skipped &= ran.status == Status::Skipped;
            let keywords = self.item_keywords(host, Some(&vars));
            summary.add(ran.status, keywords);
            let label = self.label(&control, host, vars.clone(), keywords.no_log);
            self.queue_include(host, &ran, vars, Some(label.clone()));
            self.emit(host, ran.status, result.clone(), Some(label), keywords);
            results.push(Value::map(result));
        }
        let no_items = results.is_empty();
        let mut result = Map::new();
        result.insert(Value::from("results"), Value::seq(results));
        result.insert(Value::from("changed"), Value::from(any_changed));
        if !all_skipped {
            result.insert(Value::from("skipped"), Value::from(false));
        }
        let status = if any_failed {
            result.insert(Value::from("failed"), Value::from(true));
            result.insert(Value::from("msg"), Value::from("One or more items failed"));
            Status::Failed
        } else if all_skipped {
            result.insert(Value::from("skipped"), Value::from(true));
            if no_items {
                result.insert(
                    Value::from("skipped_reason"),
                    Value::from("No items in the list"),
                );
            } else {
                result.insert(Value::from("msg"), Value::from("All items skipped"));
            }
            Status::Skipped
        } else {
            result.insert(Value::from("msg"), Value::from("All items completed"));
            if any_changed {
                Status::Changed
            } else {
                Status::Ok
            }
        };
        // The task-level result: the output shows only what items did not (`...ignoring`).
        self.finish(host, Ran { status, result }, None, true, summary);
        Flow::Continue
    }

    /// The label shown for a loop item: `loop_control.label` templated, else the item
    /// (censored under the item's `no_log`).
    fn label(&self, control: &LoopControl, host: &HostState, vars: Map, no_log: bool) -> Value {
        if no_log {
            return Value::from("(censored due to no_log)");
        }
        let item = vars
            .get(&Value::from(control.loop_var.as_str()))
            .cloned()
            .unwrap_or_else(Value::null);
        let Some(label) = &control.label else {
            return item;
        };
        let scope = self.scope(host, Some(vars));
        self.play
            .templar
            .template(label, &scope)
            .unwrap_or_else(|_| label.clone())
    }

    /// The items of `loop:` (a list) or `with_<lookup>:` (through the lookup).
    fn loop_items(&self, looping: &Loop, host: &HostState) -> Result<Vec<Value>, TemplateError> {
        let scope = self.scope(host, None);
        let templar = self.play.templar;
        let items = match looping {
            Loop::Loop(value) => {
                let items = templar.template(value, &scope)?;
                match items.as_seq() {
                    Some(items) => items.to_vec(),
                    None => return Err(loop_not_list(&items)),
                }
            }
            Loop::With { lookup, terms } => {
                let terms = templar.template(terms, &scope)?;
                let terms = match terms.as_seq() {
                    Some(items) => items.to_vec(),
                    None => vec![terms],
                };
                run_lookup(lookup, &terms, &Map::new(), &scope)?
            }
        };
        // Items are results of templating: `item` is never templated again.
        Ok(items.iter().map(Value::untrusted).collect())
    }

    /// One run of the task (or of one loop item), retried per `until`/`retries`/`delay`.
    async fn run_once(&self, host: &mut HostState, extra: Option<Map>) -> Ran {
        let scope = self.scope(host, extra.clone());
        for cond in self.inherited.when.iter().chain(&self.task.when) {
            if is_whole_template(cond) {
                host.pending.push(Event::Deprecation {
                    message: "Conditionals should not be surrounded by templating delimiters such as {{ }} or {% %}. This feature will be removed from ansible-core version 2.23.".to_string(),
                    origin: cond.span.clone(),
                });
            }
        }
        match self.when(&scope) {
            Ok(None) => {}
            Ok(Some(false_condition)) => return skipped(&false_condition),
            Err((err, cond)) => return self.failed_condition(&err, cond),
        }
        let limit = match self.keyword("timeout") {
            Some(value) => match self.play.templar.template(value, &scope) {
                Ok(value) => value.py_str().trim().parse::<u64>().unwrap_or(0),
                Err(err) => return self.failed_template(&err),
            },
            None => 0,
        };
        let attempts = self.attempts(host, &scope, extra);
        if limit == 0 {
            return attempts.await;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(limit), attempts).await {
            Ok(ran) => ran,
            Err(_) => timed_out(limit),
        }
    }

    /// The task's attempts on `host`: one, or as many as `until`/`retries`/`delay` ask.
    async fn attempts(&self, host: &mut HostState, scope: &Arc<Scope>, extra: Option<Map>) -> Ran {
        let retry = Retry::of(self);
        let mut attempt = 1;
        loop {
            let mut ran = self.attempt(host, scope, extra.clone()).await;
            let Some(retry) = &retry else {
                return ran;
            };
            ran.result
                .insert(Value::from("attempts"), Value::from(attempt as i64));
            let done = match self.until_holds(&ran, host, extra.clone()) {
                Ok(done) => done,
                Err(err) => return self.failed_template(&err),
            };
            if done {
                return ran;
            }
            if attempt >= retry.attempts {
                ran.result.insert(
                    Value::from("attempts"),
                    Value::from(retry.attempts as i64 - 1),
                );
                if ran.status != Status::Failed {
                    // The module succeeded: the failure is the executor's (Ansible's
                    // "Action failed").
                    ran.result
                        .insert(Value::from("exception"), error_summary(&ran.result, true));
                }
                ran.result.insert(Value::from("failed"), Value::from(true));
                ran.status = Status::Failed;
                return ran;
            }
            ran.result
                .insert(Value::from("retries"), Value::from(retry.attempts as i64));
            let no_log = self.truthy("no_log", Some(host), extra.as_ref());
            let result = self.shown(ran.result.clone(), no_log);
            host.pending.push(Event::TaskRetry {
                host: host.name.clone(),
                task: self.display_name(),
                retries_left: retry.attempts - attempt,
                result,
            });
            if retry.delay > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(retry.delay)).await;
            }
            attempt += 1;
        }
    }

    /// Whether `until` (or, without it, success) holds for `ran`.
    fn until_holds(
        &self,
        ran: &Ran,
        host: &HostState,
        extra: Option<Map>,
    ) -> Result<bool, TemplateError> {
        let Some(until) = self.task.keywords.get("until") else {
            return Ok(ran.status != Status::Failed);
        };
        let scope = self.scope(host, Some(self.with_registered(ran, extra)));
        let conds = match until.as_seq() {
            Some(items) => items.to_vec(),
            None => vec![until.clone()],
        };
        for cond in &conds {
            if !self.play.templar.condition(cond, &scope)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `extra` plus the result under the task's `register` name.
    fn with_registered(&self, ran: &Ran, extra: Option<Map>) -> Map {
        let mut extra = extra.unwrap_or_default();
        if let Some(name) = self.task.keywords.get("register").and_then(Value::as_str) {
            extra.insert(
                Value::from(name),
                Value::map(ran.result.clone()).untrusted(),
            );
        }
        extra
    }

    /// One attempt: arguments templated, the action or module run, `changed_when`/`failed_when`.
    async fn attempt(&self, host: &mut HostState, scope: &Arc<Scope>, extra: Option<Map>) -> Ran {
        let args = match self.template_args(scope) {
            Ok(args) => args,
            Err(ran) => return ran,
        };
        let delegate = match self.delegate(host, scope) {
            Ok(delegate) => delegate,
            Err(err) => return self.failed_template(&err),
        };
        let module = oxible_playbook::short_name(&self.task.action.module);
        match self.async_mode(scope) {
            Ok(Some(_)) if NO_ASYNC.contains(&module) || actions::is_action(module) => {
                let mut result = Map::new();
                let msg = format!("This action ({module}) does not support async.");
                result.insert(Value::from("failed"), Value::from(true));
                result.insert(Value::from("msg"), Value::from(msg.as_str()));
                result.insert(Value::from("exception"), error_summary_of(&msg, "task"));
                return Ran {
                    status: Status::Failed,
                    result,
                };
            }
            Ok(_) => {}
            Err(err) => return self.failed_template(&err),
        }
        let mut ran = match module {
            "async_status" => self.async_status(&args).await,
            "include_vars" => self.include_vars(&args, host),
            "template" => self.template(&args, host, extra.clone()).await,
            "pause" => self.pause(&args, host).await,
            "add_host" => self.add_host(&args),
            "group_by" => self.group_by(&args, &host.name),
            "wait_for" => self.wait_for(&args, host, scope).await,
            _ => self.run_action(module, &args, scope, host).await,
        };
        if let Some(facts) = ran
            .result
            .get(&Value::from("ansible_facts"))
            .and_then(Value::as_map)
        {
            match module {
                "set_fact" => self.keep_facts(host, facts, delegate.as_deref()),
                // include_vars routes its variables itself; every other module's facts are
                // host facts.
                "include_vars" => {}
                _ => host.add_facts(facts),
            }
        }
        if let Some(delegate) = &delegate {
            self.mark_delegated(&mut ran.result, delegate);
        }
        // As Ansible's TaskExecutor, for every result an action returns (a module's skip too).
        default_failed(&mut ran.result);
        if ran.status != Status::Skipped
            && let Err(err) = self.apply_changed_failed_when(&mut ran, host, extra)
        {
            return self.failed_template(&err);
        }
        ran
    }

    /// A controller action, else the module on the target.
    async fn run_action(
        &self,
        module: &str,
        args: &Map,
        scope: &Arc<Scope>,
        host: &mut HostState,
    ) -> Ran {
        match actions::run(module, args, scope, self.play.templar, &mut host.pending) {
            Some(Ok(ran)) => ran,
            Some(Err(msg)) => failed(&msg),
            None => match self.target_settings(host, scope) {
                Ok(settings) => {
                    self.run_module(&self.task.action.module, host, args, settings)
                        .await
                }
                Err(failed) => failed,
            },
        }
    }

    /// The task's arguments templated one by one, `omit` dropped; a template error fails the
    /// task as ansible-core 2.19's "Finalization of task args" error, naming the argument and
    /// pointing at its value. Arguments are templated in sorted name order, as ansible-core's
    /// `ChainTemplar` does (so the first failing one is the one it reports: `_raw_params`
    /// before `creates`), and kept in the order written.
    fn template_args(&self, scope: &Arc<Scope>) -> Result<Map, Ran> {
        let given = &self.task.action.args;
        let mut order: Vec<usize> = (0..given.len()).collect();
        order.sort_by_cached_key(|&i| given.get_index(i).map(|(k, _)| k.py_str()));
        let mut templated: Vec<Option<Value>> = vec![None; given.len()];
        for i in order {
            let Some((key, value)) = given.get_index(i) else {
                continue;
            };
            match self.play.templar.template(value, scope) {
                Ok(value) => templated[i] = Some(value),
                Err(err) => return Err(self.failed_arg(key, value, &err)),
            }
        }
        let args: Map = given
            .keys()
            .zip(templated)
            .filter_map(|(key, value)| Some((key.clone(), value?)))
            .collect();
        Ok(without_omitted(&args))
    }

    /// An error an action raises while it runs (a source `AnsibleFileNotFound`, …): the
    /// result's `msg` is the error's text, and the output prints it as ansible-core 2.19 does,
    /// `Task failed: <msg>`, then the task's place and the error again as its cause.
    pub(crate) fn failed_raised(&self, msg: &str) -> Ran {
        let task_at = self.task.span.as_ref();
        let chain = vec![
            Value::from("Task failed.").with_span(task_at.cloned()),
            Value::from(msg),
        ];
        let mut summary = Map::new();
        summary.insert(Value::from("msg"), Value::from(msg));
        summary.insert(Value::from("context"), Value::from("task"));
        summary.insert(Value::from("chain"), Value::seq(chain));
        let mut ran = failed(msg);
        ran.result
            .insert(Value::from("exception"), Value::map(summary));
        ran
    }

    /// ansible-core 2.19's error for an argument `key` whose `value` did not template: its
    /// message, and the chain its output prints (the task; its action, when named elsewhere
    /// than where the task starts; the argument's value), each link at its own place.
    fn failed_arg(&self, key: &Value, value: &Value, err: &TemplateError) -> Ran {
        let fqcn = oxible_modules::qualified_name(&self.task.action.module);
        let outer = format!("Finalization of task args for '{fqcn}' failed");
        let cause = format!(
            "Error while resolving value for '{}': {}",
            key.py_str(),
            err.message
        );
        let msg = format!("{outer}: {cause}");
        let link = |text: String, span: Option<&Span>| Value::from(text).with_span(span.cloned());
        let (task_at, action_at) = (self.task.span.as_ref(), self.task.action.span.as_ref());
        let mut chain = match (task_at, action_at) {
            (Some(t), Some(a)) if (t.line(), t.col()) != (a.line(), a.col()) => vec![
                link("Task failed.".into(), task_at),
                link(format!("{outer}."), action_at),
            ],
            _ => vec![link(format!("Task failed: {outer}."), task_at)],
        };
        chain.push(link(cause, value.span.as_ref().or(task_at)));
        task_exception_chained(&msg, Some(chain))
    }

    /// A failed result for a template error, naming the task's file:line.
    pub fn failed_template(&self, err: &TemplateError) -> Ran {
        let diagnostic = err.diagnostic(self.task.span.clone());
        let place = diagnostic
            .span
            .as_ref()
            .map(|span| format!(" (task at {}:{})", span.path().display(), span.line()))
            .unwrap_or_default();
        failed(&format!("{}{place}", diagnostic.message))
    }

    /// The task's connection, `environment` (inherited ones first, the task's last),
    /// escalation and delegation on `host`, or the failed result saying why they cannot be
    /// had (a template error, an unknown become method).
    pub(crate) fn target_settings(
        &self,
        host: &HostState,
        scope: &Arc<Scope>,
    ) -> Result<TargetSettings, Ran> {
        self.settings(host, scope).map_err(|err| match err {
            SettingsError::Template(err) => self.failed_template(&err),
            SettingsError::BecomeMethod(name) => task_exception(&format!(
                "Invalid become method specified, could not find matching plugin: '{name}'. \
                 Valid become methods: {}.",
                BecomeMethod::NAMES.join(", ")
            )),
        })
    }

    fn settings(
        &self,
        host: &HostState,
        scope: &Arc<Scope>,
    ) -> Result<TargetSettings, SettingsError> {
        let mut env = Vec::new();
        let templar = self.play.templar;
        let layers = self
            .inherited
            .keywords
            .iter()
            .filter_map(|k| k.get("environment"))
            .chain(self.task.keywords.get("environment"));
        for layer in layers {
            let value = templar.template(layer, scope)?;
            let maps = match value.as_seq() {
                Some(items) => items.to_vec(),
                None => vec![value],
            };
            for map in maps.iter().filter_map(Value::as_map) {
                for (k, v) in map {
                    let key = k.py_str();
                    env.retain(|(existing, _): &(String, String)| *existing != key);
                    env.push((key, v.py_str()));
                }
            }
        }
        let become_ = self.become_settings(scope)?;
        // Only modules that drive Python tools (pip) use it: one that does not template
        // (`{{ ansible_playbook_python }}`, a controller-side name) leaves them to discovery
        // rather than failing every task.
        let python = scope
            .raw("ansible_python_interpreter")
            .and_then(|raw| self.play.templar.template(raw, scope).ok())
            .map(|value| value.py_str())
            .filter(|p| !p.is_empty() && !p.starts_with("auto"));
        let conn = match self.delegate(host, scope)? {
            Some(name) => self.delegated_connection(&name),
            None => self
                .play
                .connections
                .get(scope, self.play.options, templar, &host.name),
        };
        Ok(TargetSettings {
            async_mode: self.async_mode(scope)?,
            conn,
            env,
            become_,
            python,
        })
    }

    /// The task's `async` and `poll` keywords (templated): `None` unless `async` asks for a
    /// positive number of seconds; `poll` defaults to Ansible's 15.
    fn async_mode(&self, scope: &Arc<Scope>) -> Result<Option<AsyncMode>, TemplateError> {
        let number = |keyword: &str, default: u64| -> Result<u64, TemplateError> {
            let Some(raw) = self.keyword(keyword) else {
                return Ok(default);
            };
            let text = self.play.templar.template(raw, scope)?.py_str();
            text.trim().parse::<u64>().map_err(|_| TemplateError {
                kind: oxible_template::TemplateErrorKind::Evaluation,
                message: format!(
                    "the task's {keyword} must be a whole number of seconds, got '{text}'"
                ),
                template: String::new(),
                range: None,
            })
        };
        let limit = number("async", 0)?;
        Ok((limit > 0).then_some(AsyncMode {
            limit,
            poll: number("poll", async_jobs::DEFAULT_POLL)?,
        }))
    }

    /// The escalation the task asks for: `ansible_become*` variables, else the task's (and
    /// inherited) keywords, else `-b`/`--become-user`/`--become-method`; none when the target
    /// user is the one already logged in (Ansible without `become_allow_same_user`).
    fn become_settings(&self, scope: &Arc<Scope>) -> Result<Option<Become>, SettingsError> {
        let templar = self.play.templar;
        let options = &self.play.options.become_;
        let var = |names: &[&str]| -> Result<Option<Value>, TemplateError> {
            names
                .iter()
                .find_map(|name| scope.raw(name))
                .map(|value| templar.template(value, scope))
                .transpose()
        };
        let setting = |names: &[&str], keyword: &str| -> Result<Option<String>, TemplateError> {
            Ok(match var(names)? {
                Some(value) => Some(value.py_str()),
                None => match self.keyword(keyword) {
                    Some(value) => Some(templar.template(value, scope)?.py_str()),
                    None => None,
                },
            })
        };
        let enabled = match var(&["ansible_become"])? {
            Some(value) => truthy_value(&value),
            None => self.keyword("become").map_or(options.enabled, truthy_value),
        };
        if !enabled {
            return Ok(None);
        }
        let user = setting(&["ansible_become_user"], "become_user")?
            .or_else(|| options.user.clone())
            .unwrap_or_else(|| "root".to_string());
        let remote_user = var(&["ansible_user", "ansible_ssh_user"])?
            .map(|v| v.py_str())
            .or_else(|| self.keyword("remote_user").map(Value::py_str))
            .or_else(|| self.play.options.connect.remote_user.clone());
        let same_user = match remote_user {
            Some(remote) => remote == user,
            None => is_current_user(&user),
        };
        if same_user {
            return Ok(None);
        }
        let method = match setting(&["ansible_become_method"], "become_method")?
            .or_else(|| options.method.clone())
        {
            Some(name) => {
                BecomeMethod::from_name(&name).ok_or(SettingsError::BecomeMethod(name))?
            }
            None => BecomeMethod::default(),
        };
        let password = match var(&["ansible_become_password", "ansible_become_pass"])? {
            Some(value) => Some(value.py_str()),
            None => options.password.clone(),
        };
        Ok(Some(Become {
            method,
            user,
            password,
        }))
    }

    /// What a module (or an action's probe) sees of the target: the task's connection (the
    /// delegated host's, if delegated) with its settings; or the failed result saying why
    /// the settings make no connection (an unknown connection type, a connection variable
    /// that does not template): a task failure, as in Ansible; the host is only unreachable
    /// once connecting fails.
    pub(crate) fn target(&self, host: &HostState, settings: TargetSettings) -> Result<Target, Ran> {
        let conn = settings.conn.map_err(|reason| task_exception(&reason))?;
        Ok(Target {
            conn,
            check_mode: self.check_mode(),
            diff: self.play.options.diff,
            become_: settings.become_,
            env: settings.env,
            controller_search_path: self.search_path(),
            host: host.name.clone(),
            python: settings.python,
        })
    }

    /// Runs module `name` (the task's own, or the one an action hands its work to) on `host`.
    pub(crate) async fn run_module(
        &self,
        name: &str,
        host: &mut HostState,
        args: &Map,
        settings: TargetSettings,
    ) -> Ran {
        let Some(module) = oxible_modules::find(name) else {
            let hint = oxible_yaml::did_you_mean(
                oxible_playbook::short_name(name),
                oxible_modules::names(),
            )
            .map(|d| format!(" {d}"))
            .unwrap_or_default();
            return failed(&format!(
                "The module {name} was not found in configured module paths.{hint}"
            ));
        };
        let args = match Args::validate(module.name(), module.spec(), args) {
            Ok(args) => args,
            Err(err) => return failed(&err.to_string()),
        };
        let async_mode = settings.async_mode;
        let target = match self.target(host, settings) {
            Ok(target) => target,
            Err(failed) => return failed,
        };
        match async_mode {
            None => module_ran(module.run(&target, args).await),
            Some(mode) if mode.poll > 0 => {
                let job = async { module_ran(module.run(&target, args).await) };
                async_jobs::poll(job, mode, &host.name, &mut host.pending).await
            }
            Some(mode) => {
                // A job outlives the task: it owns its target.
                let job = async move { module_ran(module.run(&target, args).await) };
                let jid = async_jobs::new_jid();
                self.play.jobs.start(&jid, job, mode.limit);
                async_jobs::started(&jid)
            }
        }
    }

    /// `async_status`: the state of the job `jid` a `poll: 0` task started (`mode: cleanup`
    /// forgets it), as Ansible's action reports it.
    async fn async_status(&self, args: &Map) -> Ran {
        let jid = args
            .get(&Value::from("jid"))
            .map(Value::py_str)
            .unwrap_or_default();
        let mode = args.get(&Value::from("mode")).map(Value::py_str);
        let mut result = Map::new();
        result.insert(Value::from("ansible_job_id"), Value::from(jid.as_str()));
        if mode.as_deref() == Some("cleanup") {
            self.play.jobs.forget(&jid);
            result.insert(Value::from("erased"), Value::from(jid.as_str()));
            result.insert(Value::from("changed"), Value::from(false));
            return Ran {
                status: Status::Ok,
                result,
            };
        }
        match self.play.jobs.status(&jid).await {
            async_jobs::JobStatus::Unknown => {
                let mut ran = failed("could not find job");
                async_jobs::mark_job(&mut ran.result, &jid, true);
                async_jobs::empty_output(&mut ran.result);
                ran
            }
            async_jobs::JobStatus::Running => {
                async_jobs::mark_job(&mut result, &jid, false);
                result.insert(Value::from("changed"), Value::from(false));
                Ran {
                    status: Status::Ok,
                    result,
                }
            }
            async_jobs::JobStatus::Finished(mut ran) => {
                async_jobs::mark_job(&mut ran.result, &jid, true);
                ran
            }
        }
    }

    /// `changed_when` / `failed_when`, evaluated with the result registered under its name.
    fn apply_changed_failed_when(
        &self,
        ran: &mut Ran,
        host: &HostState,
        extra: Option<Map>,
    ) -> Result<(), TemplateError> {
        let changed_when = self.task.keywords.get("changed_when");
        let failed_when = self.task.keywords.get("failed_when");
        if changed_when.is_none() && failed_when.is_none() {
            return Ok(());
        }
        let scope = self.scope(host, Some(self.with_registered(ran, extra)));
        let templar = self.play.templar;
        if let Some(cond) = changed_when {
            let changed = templar.condition(cond, &scope)?;
            ran.result
                .insert(Value::from("changed"), Value::from(changed));
            if ran.status != Status::Failed {
                ran.status = if changed { Status::Changed } else { Status::Ok };
            }
        }
        if let Some(cond) = failed_when {
            let failed = templar.condition(cond, &scope)?;
            let module_failed = ran.status == Status::Failed;
            ran.result
                .insert(Value::from("failed_when_result"), Value::from(failed));
            if failed {
                ran.result.insert(Value::from("failed"), Value::from(true));
                if module_failed && !ran.result.contains_key(&Value::from("exception")) {
                    // The module's own failure stays the headline (`Module failed: <msg>`).
                    let mut summary = Map::new();
                    let msg = ran.result.get(&Value::from("msg")).cloned();
                    summary.insert(Value::from("msg"), msg.unwrap_or_else(|| Value::from("")));
                    summary.insert(Value::from("context"), Value::from("module"));
                    ran.result
                        .insert(Value::from("exception"), Value::map(summary));
                }
                ran.status = Status::Failed;
            } else {
                // As ansible-core 2.19: `failed: false`, and a note that a failure was hidden.
                ran.result.insert(Value::from("failed"), Value::from(false));
                if module_failed {
                    ran.result.insert(
                        Value::from("failed_when_suppressed_exception"),
                        Value::from("(traceback unavailable)"),
                    );
                }
                if ran.status == Status::Failed {
                    let changed = ran
                        .result
                        .get(&Value::from("changed"))
                        .and_then(Value::as_bool)
                        == Some(true);
                    ran.status = if changed { Status::Changed } else { Status::Ok };
                }
            }
        }
        Ok(())
    }

    /// Reports the final result, registers it, notifies handlers, counts it; `keywords` are
    /// the task's `ignore_errors`/`ignore_unreachable`/`no_log` as they came out for it.
    fn finish(
        &self,
        host: &mut HostState,
        ran: Ran,
        item: Option<Value>,
        emit: bool,
        keywords: ItemKeywords,
    ) {
        let ItemKeywords {
            ignore_errors,
            ignore_unreachable,
            ..
        } = keywords;
        let looped = self.task.looping.is_some() && item.is_none();
        if emit {
            self.emit(host, ran.status, ran.result.clone(), item, keywords);
        }
        if let Some(name) = self.task.keywords.get("register").and_then(Value::as_str) {
            let mut registered = as_registered(&ran.result, looped);
            registered.shift_remove(&Value::from(crate::delegate::DELEGATED_VARS));
            // As Ansible's strategy: the task's own `invocation` is not registered; a loop's
            // items keep theirs.
            registered.shift_remove(&Value::from("invocation"));
            host.set_facts
                .insert(Value::from(name), Value::map(registered).untrusted());
        }
        let name = host.name.clone();
        match ran.status {
            Status::Changed => self.notify(host),
            Status::Failed if ignore_errors => {}
            Status::Failed => {
                host.failed = true;
                self.record_failure(host, &as_registered(&ran.result, looped));
            }
            // `ignore_unreachable`: the host stays in the play, counted ok and ignored.
            Status::Unreachable if ignore_unreachable => {}
            Status::Unreachable => host.unreachable = true,
            _ => {}
        }
        let include = self.is_include();
        self.play.stats_mut(|stats| {
            let counters = stats.host(&name);
            match ran.status {
                // Includes count once per file included, when it is loaded.
                Status::Ok if include => {}
                Status::Ok => counters.ok += 1,
                Status::Changed => {
                    counters.ok += 1;
                    counters.changed += 1;
                }
                Status::Skipped => counters.skipped += 1,
                Status::Failed if ignore_errors => {
                    counters.ok += 1;
                    counters.ignored += 1;
                    if ran
                        .result
                        .get(&Value::from("changed"))
                        .and_then(Value::as_bool)
                        == Some(true)
                    {
                        counters.changed += 1;
                    }
                }
                Status::Failed => counters.failed += 1,
                Status::Unreachable if ignore_unreachable => {
                    counters.ok += 1;
                    counters.ignored += 1;
                }
                Status::Unreachable => counters.unreachable += 1,
            }
        });
    }

    fn emit(
        &self,
        host: &mut HostState,
        status: Status,
        result: Map,
        item: Option<Value>,
        keywords: ItemKeywords,
    ) {
        // A successful include is reported once its file is loaded (`included: …`).
        if self.is_include() && matches!(status, Status::Ok | Status::Changed) {
            return;
        }
        let ignored = status == Status::Failed && keywords.ignore_errors;
        let verbose_always = status != Status::Skipped
            && oxible_playbook::short_name(&self.task.action.module) == "debug";
        let result = self.shown(result, keywords.no_log);
        host.pending.push(Event::HostResult {
            host: host.name.clone(),
            status,
            result,
            item,
            ignored,
            verbose_always,
        });
    }

    /// Whether the task is a dynamic include (`include_tasks`, `include_role`).
    pub fn is_include(&self) -> bool {
        self.task.is("include_tasks") || self.task.is("include_role")
    }

    /// Keeps what a successful include asks for (its templated arguments, with the loop
    /// variables and label of the item) for the play to load and run after the task.
    fn queue_include(&self, host: &mut HostState, ran: &Ran, vars: Map, label: Option<Value>) {
        if !self.is_include() || ran.status != Status::Ok {
            return;
        }
        if let Some(args) = ran
            .result
            .get(&Value::from("include_args"))
            .and_then(Value::as_map)
        {
            host.includes.push(crate::host::IncludeRequest {
                args: args.clone(),
                vars,
                label,
            });
        }
    }

    /// Keeps `ansible_failed_task`/`ansible_failed_result` for a `rescue` section (Ansible sets
    /// them as non-persistent facts).
    fn record_failure(&self, host: &mut HostState, result: &Map) {
        let mut task = Map::new();
        task.insert(
            Value::from("name"),
            Value::from(self.task.name.clone().unwrap_or_default()),
        );
        task.insert(
            Value::from("action"),
            Value::from(self.task.action.module.as_str()),
        );
        task.insert(
            Value::from("args"),
            Value::map(self.task.action.args.clone()),
        );
        host.set_facts
            .insert(Value::from("ansible_failed_task"), Value::map(task));
        host.set_facts.insert(
            Value::from("ansible_failed_result"),
            Value::map(result.clone()).untrusted(),
        );
    }

    /// `result` as the user may see it: censored under `no_log` (a failure keeps its message
    /// in `exception`, as Ansible's error summary, for the error line).
    fn shown(&self, mut result: Map, no_log: bool) -> Map {
        if no_log {
            if result.get(&Value::from("failed")).and_then(Value::as_bool) == Some(true)
                && !result.contains_key(&Value::from("exception"))
            {
                result.insert(Value::from("exception"), error_summary(&result, false));
            }
            crate::censor::censor(&result)
        } else {
            result
        }
    }

    /// Keyword `key` (own or inherited) as a whole number, if it is one.
    pub fn keyword_number(&self, key: &str) -> Option<usize> {
        self.keyword(key)?.py_str().trim().parse().ok()
    }

    /// Whether keyword `key` (own or inherited) is set to a true value.
    /// A template (`ignore_errors: "{{ ansible_check_mode }}"`) is evaluated with `host`'s
    /// variables plus a loop item's (`item`: the loop variable, `index_var` …), or the play's
    /// when the decision is not one host's; a template that fails counts as false.
    pub fn truthy(&self, key: &str, host: Option<&HostState>, item: Option<&Map>) -> bool {
        let Some(value) = self.keyword(key) else {
            return false;
        };
        if !value
            .as_str()
            .is_some_and(|s| s.contains("{{") || s.contains("{%"))
        {
            return truthy_value(value);
        }
        let scope = match host {
            Some(host) => self.scope(host, item.cloned()),
            None => self.play_scope(),
        };
        self.play
            .templar
            .template(value, &scope)
            .is_ok_and(|v| truthy_value(&v))
    }

    /// The keywords Ansible templates again for each loop item, for `item` (a loop item's
    /// variables) or for the task without a loop (`None`).
    fn item_keywords(&self, host: &HostState, item: Option<&Map>) -> ItemKeywords {
        ItemKeywords {
            ignore_errors: self.truthy("ignore_errors", Some(host), item),
            ignore_unreachable: self.truthy("ignore_unreachable", Some(host), item),
            no_log: self.truthy("no_log", Some(host), item),
        }
    }

    fn notify(&self, host: &mut HostState) {
        let Some(notify) = self.task.keywords.get("notify") else {
            return;
        };
        let names: Vec<String> = match notify.as_seq() {
            Some(items) => items.iter().map(Value::py_str).collect(),
            None => vec![notify.py_str()],
        };
        host.notified.extend(names);
    }
}

/// What a module's outcome (or error) makes of the task.
fn module_ran(outcome: Result<oxible_modules::Outcome, oxible_modules::ModuleError>) -> Ran {
    match outcome {
        Ok(outcome) => {
            let status = match (outcome.failed, outcome.changed) {
                (true, _) => Status::Failed,
                (false, true) => Status::Changed,
                (false, false)
                    if outcome
                        .values
                        .get(&Value::from("skipped"))
                        .and_then(Value::as_bool)
                        == Some(true) =>
                {
                    Status::Skipped
                }
                _ => Status::Ok,
            };
            Ran {
                status,
                result: outcome.into_result(),
            }
        }
        Err(oxible_modules::ModuleError::Connection(err)) => connection_failure(&err),
        Err(err) => failed(&err.to_string()),
    }
}

/// `ignore_errors`, `ignore_unreachable` and `no_log` as they came out for one result: Ansible
/// templates them for every loop item, with the item's variables.
#[derive(Debug, Clone, Copy)]
struct ItemKeywords {
    ignore_errors: bool,
    ignore_unreachable: bool,
    no_log: bool,
}

impl ItemKeywords {
    /// A loop's summary before any item: what `add` narrows.
    const SUMMARY_START: Self = Self {
        ignore_errors: true,
        ignore_unreachable: true,
        no_log: false,
    };

    /// Folds one item into a loop's summary as ansible-core's TaskExecutor does: the failure
    /// is ignored only when every failed item ignores it (likewise unreachable items), and the
    /// summary is censored when any item is.
    fn add(&mut self, status: Status, item: Self) {
        if status == Status::Failed {
            self.ignore_errors &= item.ignore_errors;
        }
        if status == Status::Unreachable {
            self.ignore_unreachable &= item.ignore_unreachable;
        }
        self.no_log |= item.no_log;
    }
}

/// Ansible's error summary of a failed `result`: its message, and whether the executor (an
/// action) rather than the module decided the failure (`None`: the output decides).
fn error_summary(result: &Map, by_executor: bool) -> Value {
    let mut summary = Map::new();
    let msg = result
        .get(&Value::from("msg"))
        .cloned()
        .unwrap_or_else(|| Value::from(""));
    summary.insert(Value::from("msg"), msg);
    if by_executor {
        summary.insert(Value::from("context"), Value::from("action"));
    }
    Value::map(summary)
}

/// Whether a keyword value means true (`true`, `yes`, `on`, `1`), as Ansible's boolean.
pub(crate) fn truthy_value(value: &Value) -> bool {
    match &value.kind {
        ValueKind::Bool(b) => *b,
        ValueKind::Int(i) => *i != 0,
        ValueKind::Str(s) => matches!(s.to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1"),
        _ => false,
    }
}

/// Whether `user` is the user oxible runs as (the local connection's remote user).
fn is_current_user(user: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    (user == "root" && uid == Some(0)) || std::env::var("USER").is_ok_and(|current| current == user)
}

/// Sets `failed` when a result lacks it, as Ansible does (a non-zero `rc` means failed). An
/// action's own skip (only `changed`, `msg` and `skipped`, as unarchive's `creates` gives it)
/// keeps without: ansible-core's TaskExecutor returns an `AnsibleActionSkip` before it sets
/// `failed`, while a module's skipped result (command in check mode) and an action's plain
/// `{"skipped": true}` (raw in check mode) get it.
fn default_failed(result: &mut Map) {
    let action_skip = result.get(&Value::from("skipped")).and_then(Value::as_bool) == Some(true)
        && result.contains_key(&Value::from("msg"))
        && result
            .keys()
            .all(|k| matches!(k.as_str(), Some("changed" | "msg" | "skipped")));
    if result.contains_key(&Value::from("failed")) || action_skip {
        return;
    }
    let rc_failed = result
        .get(&Value::from("rc"))
        .is_some_and(|rc| !matches!(rc.py_str().as_str(), "0"));
    result.insert(Value::from("failed"), Value::from(rc_failed));
}

/// How a task retries: total attempts and the delay between them.
struct Retry {
    attempts: usize,
    delay: f64,
}

impl Retry {
    /// `until`/`retries`/`delay` of `run` (Ansible: `retries` defaults to 3 with `until`,
    /// `delay` to 5); `None` when the task runs once.
    fn of(run: &TaskRun<'_, '_>) -> Option<Self> {
        let keywords = &run.task.keywords;
        let number = |key: &str| {
            keywords
                .get(key)
                .and_then(|v| v.py_str().trim().parse::<f64>().ok())
        };
        let retries = match number("retries") {
            Some(r) => r.max(0.0) as usize,
            None if keywords.get("until").is_some() => 3,
            None => 0,
        };
        (retries > 0).then(|| Self {
            attempts: retries + 1,
            delay: number("delay").map_or(5.0, |d| if d < 0.0 { 1.0 } else { d }),
        })
    }
}

/// What the task's module runs with on the target besides its arguments.
pub(crate) struct TargetSettings {
    /// `async`/`poll`, when the task runs its module as a job.
    async_mode: Option<AsyncMode>,
    /// How the task reaches its host, or why it cannot.
    conn: Result<Arc<dyn oxible_connection::Connection>, String>,
    env: Vec<(String, String)>,
    become_: Option<Become>,
    /// `ansible_python_interpreter`, unless it asks for discovery (`auto*`).
    python: Option<String>,
}

/// Why a task's target settings could not be had.
enum SettingsError {
    /// A keyword or variable did not template.
    Template(TemplateError),
    /// `become_method` names no method oxible has.
    BecomeMethod(String),
}

impl From<TemplateError> for SettingsError {
    fn from(err: TemplateError) -> Self {
        Self::Template(err)
    }
}

/// Actions that refuse `async` in Ansible (their action plugins do not support it): the
/// controller actions (see `actions::is_action`) and these.
const NO_ASYNC: &[&str] = &[
    "template",
    "copy",
    "fetch",
    "unarchive",
    "include_vars",
    "pause",
    "add_host",
    "group_by",
    "async_status",
];

/// An error's summary as a result's `exception` (`msg`, and the `context` the output's
/// headline names: `task`, `action`).
pub(crate) fn error_summary_of(msg: &str, context: &str) -> Value {
    let mut summary = Map::new();
    summary.insert(Value::from("msg"), Value::from(msg));
    summary.insert(Value::from("context"), Value::from(context));
    Value::map(summary)
}

fn loop_not_list(value: &Value) -> TemplateError {
    TemplateError {
        kind: oxible_template::TemplateErrorKind::Evaluation,
        message: format!(
            "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
            value.py_str()
        ),
        template: String::new(),
        range: None,
    }
}

fn skipped(false_condition: &Value) -> Ran {
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(false));
    result.insert(Value::from("false_condition"), false_condition.clone());
    result.insert(
        Value::from("skip_reason"),
        Value::from("Conditional result was False"),
    );
    result.insert(Value::from("skipped"), Value::from(true));
    Ran {
        status: Status::Skipped,
        result,
    }
}

/// The result of a task whose connection failed: the host is unreachable, except when only
/// the escalation failed (wrong or missing become password), which fails the task.
pub(crate) fn connection_failure(err: &oxible_connection::ConnectionError) -> Ran {
    if let oxible_connection::ConnectionError::Become(reason) = err {
        return task_exception(reason);
    }
    // As ansible-core 2.19 words it: `Task failed: <the connection's reason>`.
    let reason = match err {
        oxible_connection::ConnectionError::Unreachable(reason) => reason.clone(),
        other => other.to_string(),
    };
    let mut result = Map::new();
    result.insert(
        Value::from("msg"),
        Value::from(format!("Task failed: {reason}")),
    );
    result.insert(Value::from("unreachable"), Value::from(true));
    result.insert(Value::from("changed"), Value::from(false));
    Ran {
        status: Status::Unreachable,
        result,
    }
}

/// `result` as a task variable sees it (`register`, `ansible_failed_result`): a failure carries
/// `exception: "(traceback unavailable)"` as in ansible-core 2.19, replacing the executor's
/// own error summary; a loop's summary (`looped`) does not, its failed items do.
fn as_registered(result: &Map, looped: bool) -> Map {
    let mut result = without_internal_keys(result);
    let failed = |r: &Map| r.get(&Value::from("failed")).and_then(Value::as_bool) == Some(true);
    let placeholder = |r: &mut Map| {
        r.insert(
            Value::from("exception"),
            Value::from("(traceback unavailable)"),
        );
    };
    if !looped {
        if failed(&result) {
            placeholder(&mut result);
        }
        return result;
    }
    if let Some(items) = result.get(&Value::from("results")).and_then(Value::as_seq) {
        let items = items
            .iter()
            .map(|item| match item.as_map() {
                Some(map) if failed(map) => {
                    let mut map = map.clone();
                    placeholder(&mut map);
                    Value::map(map)
                }
                _ => item.clone(),
            })
            .collect();
        result.insert(Value::from("results"), Value::seq(items));
    }
    result
}

/// `map` without the `_ansible_*` keys, at every depth: Ansible's strategy registers results
/// through `strip_internal_keys` (`_ansible_verbose_always` and the like are for the output).
fn without_internal_keys(map: &Map) -> Map {
    fn clean(value: &Value) -> Value {
        match (value.as_map(), value.as_seq()) {
            (Some(map), _) => Value::map(without_internal_keys(map)).with_span(value.span.clone()),
            (_, Some(items)) => {
                Value::seq(items.iter().map(clean).collect()).with_span(value.span.clone())
            }
            _ => value.clone(),
        }
    }
    map.iter()
        .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with("_ansible_")))
        .map(|(k, v)| (k.clone(), clean(v)))
        .collect()
}

/// Whether a conditional is written as one whole template (`when: "{{ x }}"`), which Ansible
/// still evaluates but deprecates.
fn is_whole_template(cond: &Value) -> bool {
    let Some(text) = cond.as_str() else {
        return false;
    };
    let text = text.trim();
    (text.starts_with("{{") && text.ends_with("}}"))
        || (text.starts_with("{%") && text.ends_with("%}"))
}

/// The result of a task that ran longer than its `timeout` keyword allows, as ansible-core
/// 2.19 reports it (`Task failed: Timed out after N second(s).`, with `timedout`).
fn timed_out(seconds: u64) -> Ran {
    let reason = format!("Timed out after {seconds} second(s).");
    let mut timedout = Map::new();
    timedout.insert(
        Value::from("frame"),
        Value::from("Configure `DISPLAY_TRACEBACK` to see a traceback on timeout errors."),
    );
    timedout.insert(
        Value::from("period"),
        Value::from(i64::try_from(seconds).unwrap_or(i64::MAX)),
    );
    let mut ran = task_exception(&reason);
    ran.result
        .insert(Value::from("timedout"), Value::map(timedout));
    ran
}

/// The failed result of an error raised while running a task (not a module's own failure),
/// as ansible-core 2.19 reports one: `Task failed: <reason>`, with the error's summary as
/// `exception` (shown as `(traceback unavailable)` when registered).
pub(crate) fn task_exception(reason: &str) -> Ran {
    task_exception_chained(reason, None)
}

/// [`task_exception`] whose output prints `chain`: the error's links (message and place
/// each, `<<< caused by >>>` between them) rather than the bare message.
fn task_exception_chained(reason: &str, chain: Option<Vec<Value>>) -> Ran {
    let mut summary = Map::new();
    summary.insert(Value::from("msg"), Value::from(reason));
    summary.insert(Value::from("context"), Value::from("task"));
    if let Some(chain) = chain {
        summary.insert(Value::from("chain"), Value::seq(chain));
    }
    let mut ran = failed(&format!("Task failed: {reason}"));
    ran.result
        .insert(Value::from("exception"), Value::map(summary));
    ran
}

/// A failed result with `msg`.
pub(crate) fn failed(msg: &str) -> Ran {
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(false));
    result.insert(Value::from("failed"), Value::from(true));
    result.insert(Value::from("msg"), Value::from(msg));
    Ran {
        status: Status::Failed,
        result,
    }
}
