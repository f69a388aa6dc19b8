//! Ansible's `default` stdout callback, line for line.
//!
//! What each verbosity adds, as ansible-playbook 2.19 prints it:
//! - 0: banners, one status line per host (`ok: [h]`), `debug` and other always-verbose
//!   results dumped with an indent of 4, failures dumped on one line, the recap.
//! - `-v`: every result dumped on one line (`ok: [h] => {...}`).
//! - `-vv`: `PLAYBOOK: file` and `N plays in file` first, `task path: file:line` under each
//!   task banner.
//! - `-vvv`: results dumped with an indent of 4, `invocation` and `diff` kept in them.
//! - `-vvvv`: nothing more here (Ansible adds connection-plugin chatter oxible does not have).

use std::io::Write;
use std::sync::Mutex;

use oxible_executor::{Event, EventSink, HostStats, Stats, Status};
use oxible_yaml::{Map, Span, Value};

use crate::console::{Colour, Console, paint};
use crate::origin::with_origin;

/// Width Ansible lays banners out for when stdout is not a terminal.
const COLUMNS: usize = 79;

/// Keys `debug` results lose when they have no `msg` (Ansible's `_hide_in_debug`).
const HIDE_IN_DEBUG: &[&str] = &[
    "changed",
    "failed",
    "skipped",
    "invocation",
    "skip_reason",
    "ansible_loop_var",
    "ansible_index_var",
    "ansible_loop",
];

/// Keys a `debug` result with `msg` keeps (Ansible's `_DEBUG_ALLOWED_KEYS`).
const DEBUG_ALLOWED: &[&str] = &["msg", "exception", "warnings", "deprecations"];

/// Renders events as ansible-playbook's default output on a writer (stdout in the CLI).
pub struct DefaultOutput<W: Write + Send> {
    console: Mutex<Console<W>>,
    verbosity: u8,
    state: Mutex<RunState>,
}

/// What the callback remembers between events.
#[derive(Default)]
struct RunState {
    /// Where the running task is written.
    origin: Option<Span>,
    /// Whether the running task is a controller action (`debug`, `fail` …).
    action: bool,
    /// Whether the running task shows file differences.
    diff: bool,
    /// The running task's banner title, for the status line.
    task: String,
    /// Hosts of the current play.
    hosts: usize,
    /// Hosts the running task has finished on.
    done: usize,
    /// Errors and warnings shown so far: Ansible's display shows each distinct one once per
    /// run (`Display._deduplicate`), so a failure on many hosts prints one `[ERROR]` block.
    shown: std::collections::HashSet<String>,
}

impl<W: Write + Send> DefaultOutput<W> {
    /// Plain output to `out` (warnings to the process's stderr) at `verbosity` (the number of
    /// `-v`): no colours, no status line.
    pub fn new(out: W, verbosity: u8) -> Self {
        Self::with_console(Console::new(out, Box::new(std::io::stderr())), verbosity)
    }

    /// Output to `out` with warnings and the status line on stderr, coloured as Ansible would
    /// (`ANSIBLE_NOCOLOR`, `NO_COLOR`, `ANSIBLE_FORCE_COLOR`, stdout a terminal), with the live
    /// status line when stderr is a terminal.
    pub fn terminal(out: W, verbosity: u8) -> Self {
        Self::with_console(Console::stdio(out), verbosity)
    }

    fn with_console(console: Console<W>, verbosity: u8) -> Self {
        Self {
            console: Mutex::new(console),
            verbosity,
            state: Mutex::new(RunState::default()),
        }
    }

    fn console(&self) -> std::sync::MutexGuard<'_, Console<W>> {
        self.console
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RunState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, text: &str, colour: Option<Colour>) {
        self.console().line(text, colour, false);
    }

    fn banner(&self, title: &str) {
        self.write(&banner(title), None);
    }

    /// Shows the running task and how many hosts finished it.
    fn update_status(&self) {
        let text = {
            let state = self.state();
            if state.task.is_empty() {
                String::new()
            } else {
                format!("{} ({}/{} hosts)", state.task, state.done, state.hosts)
            }
        };
        self.console().set_status(text);
    }

    /// `[ERROR]: Task failed: …` and the task's origin, printed before `fatal:`/`failed:`.
    fn error_block(&self, result: &Map) {
        let (origin, action) = {
            let state = self.state();
            (state.origin.clone(), state.action)
        };
        let failed_when = result
            .get(&Value::from("failed_when_result"))
            .and_then(Value::as_bool)
            == Some(true);
        // The executor's error summary (`exception`: a censored failure's message, or a
        // failure the executor decided) wins over the result's own `msg`.
        let summary = result
            .get(&Value::from("exception"))
            .and_then(Value::as_map);
        let field = |key: &str| summary.and_then(|s| s.get(&Value::from(key)));
        let msg = field("msg")
            .or_else(|| result.get(&Value::from("msg")))
            .map(Value::py_str)
            .unwrap_or_default();
        let context = field("context").map(Value::py_str);
        let by_action = context.as_deref() == Some("action");
        // A module that failed on its own keeps its headline under a true `failed_when`.
        let by_module = context.as_deref() == Some("module");
        let failed_when = failed_when && !by_module;
        let kind = if (action || failed_when || by_action) && !by_module {
            "Action"
        } else {
            "Module"
        };
        // An action's own exception (`AnsibleActionFail`): `Task failed: <msg>`.
        let by_task = field("context").map(Value::py_str).as_deref() == Some("task");
        let headline = if by_task && !msg.is_empty() {
            format!("[ERROR]: Task failed: {msg}")
        } else if failed_when || msg.is_empty() {
            format!("[ERROR]: Task failed: {kind} failed.")
        } else {
            format!("[ERROR]: Task failed: {kind} failed: {msg}")
        };
        match field("chain").and_then(Value::as_seq) {
            Some(chain) => self.chained_error(headline, chain),
            None => self.error(headline, origin.as_ref()),
        }
    }

    /// An error with its causes, as ansible-core 2.19 prints a chained exception: the
    /// headline, then each link of `chain` (its text, at its own origin), the links separated
    /// by `<<< caused by >>>`.
    fn chained_error(&self, headline: String, chain: &[Value]) {
        let mut lines = vec![headline];
        for (i, link) in chain.iter().enumerate() {
            lines.push(String::new());
            if i > 0 {
                lines.extend(["<<< caused by >>>".into(), String::new()]);
            }
            lines.extend(with_origin(link.py_str(), link.span.as_ref()));
        }
        self.show_error(lines);
    }

    /// `[ERROR]: Task failed: <reason>` and the task's origin, printed before `UNREACHABLE!`.
    fn unreachable_block(&self, result: &Map) {
        let origin = self.state().origin.clone();
        let msg = result
            .get(&Value::from("msg"))
            .map(Value::py_str)
            .unwrap_or_default();
        self.error(format!("[ERROR]: {msg}"), origin.as_ref());
    }

    /// An `[ERROR]: …` headline with the origin's file:line and snippet and a blank line,
    /// shown once per run (Ansible repeats it for no host after the first).
    fn error(&self, headline: String, origin: Option<&Span>) {
        self.show_error(with_origin(headline, origin));
    }

    /// `lines` and a blank line, in the error colour, unless the same text was shown already.
    fn show_error(&self, mut lines: Vec<String>) {
        lines.push(String::new());
        let text = lines.join("\n");
        if self.state().shown.insert(text.clone()) {
            self.write(&text, Some(Colour::Error));
        }
    }

    /// `[WARNING]: …` on stderr for each warning a result carries, and
    /// `[DEPRECATION WARNING]: …` for each of its `deprecations`.
    fn result_warnings(&self, result: &Map) {
        if let Some(warnings) = result.get(&Value::from("warnings")).and_then(Value::as_seq) {
            for warning in warnings {
                self.warning(&warning.py_str(), None);
            }
        }
        let deprecations = result
            .get(&Value::from("deprecations"))
            .and_then(Value::as_seq);
        for deprecation in deprecations.into_iter().flatten() {
            let field = |key: &str| {
                deprecation
                    .as_map()
                    .and_then(|d| d.get(&Value::from(key)))
                    .filter(|v| !v.is_null())
                    .map(Value::py_str)
            };
            let Some(msg) = field("msg").or_else(|| deprecation.as_str().map(str::to_string))
            else {
                continue;
            };
            let text = match (field("version"), field("collection_name")) {
                (Some(version), collection) => {
                    let from = match collection.as_deref() {
                        None | Some("ansible.builtin") => "ansible-core".to_string(),
                        Some(name) => name.to_string(),
                    };
                    format!("{msg} This feature will be removed from {from} version {version}.")
                }
                (None, _) => msg,
            };
            self.deprecation(&text, None);
        }
    }

    /// `[DEPRECATION WARNING]: …` and where, on stderr, each once; the first is preceded by
    /// Ansible's hint on turning them off.
    fn deprecation(&self, message: &str, origin: Option<&Span>) {
        let text = headed(format!("[DEPRECATION WARNING]: {message}"), origin);
        if !self.state().shown.insert(text.clone()) {
            return;
        }
        self.warning(
            "Deprecation warnings can be disabled by setting `deprecation_warnings=False` in ansible.cfg.",
            None,
        );
        self.console().line(&text, Some(Colour::Deprecate), true);
    }

    /// A `[WARNING]`, with the playbook excerpt of `origin` (and a blank line after it), once
    /// per text as Ansible's display.
    fn warning(&self, message: &str, origin: Option<&Span>) {
        let text = headed(format!("[WARNING]: {message}"), origin);
        if !self.state().shown.insert(text.clone()) {
            return;
        }
        self.console().line(&text, Some(Colour::Warn), true);
    }

    /// The result as ` => {...}` when this verbosity (or the result) asks for it.
    fn dump_suffix(&self, result: &Map, debug: bool, verbose: bool) -> String {
        if verbose {
            format!(" => {}", self.dump(result, debug))
        } else {
            String::new()
        }
    }

    /// Whether results are shown (`_run_is_verbose`): `-v`, or the result asks to be, unless
    /// it asks not to be (`_ansible_verbose_override`, as gathered facts do).
    fn verbose(&self, result: &Map, debug: bool) -> bool {
        (self.verbosity > 0 || verbose_always(result, debug))
            && !flag(result, "_ansible_verbose_override")
    }

    /// The result as Ansible's `_dump_results` prints it.
    fn dump(&self, result: &Map, debug: bool) -> String {
        let indent = (verbose_always(result, debug) || self.verbosity > 2).then_some(4);
        Value::map(displayed(result, debug, self.verbosity)).py_json(indent, true)
    }

    fn host_result(
        &self,
        host: &str,
        status: Status,
        result: &Map,
        item: Option<&Value>,
        ignored: bool,
        debug: bool,
    ) {
        let host = &host_label(host, result);
        let verbose = self.verbose(result, debug);
        // The task-level result of a loop: its items were shown one by one already. A module's
        // own `results` (dnf's list of texts or package dicts, or an empty one) is no loop:
        // loop items carry `ansible_loop_var` (or, under `no_log`, only the censored marker).
        let loop_summary = item.is_none()
            && result
                .get(&Value::from("results"))
                .and_then(Value::as_seq)
                .is_some_and(|items| {
                    !items.is_empty()
                        && items.iter().all(|i| {
                            i.as_map().is_some_and(|m| {
                                m.contains_key(&Value::from("ansible_loop_var"))
                                    || m.contains_key(&Value::from("censored"))
                            })
                        })
                });
        // A change's diff comes first (ansible-core's `v2_on_file_diff` runs before
        // `v2_runner_on_ok`), then the result's warnings, then the status line.
        if status == Status::Changed
            && !loop_summary
            && self.state().diff
            && let Some(diff) = result.get(&Value::from("diff"))
        {
            let text = crate::diff::render(diff);
            if !text.is_empty() {
                self.write(text.strip_suffix('\n').unwrap_or(&text), None);
            }
        }
        self.result_warnings(result);
        let mut summary = result.clone();
        summary.shift_remove(&Value::from("results"));
        let label = item.map(Value::py_str);
        match (status, &label) {
            (Status::Ok | Status::Changed, _) if loop_summary => {}
            (Status::Ok | Status::Changed, label) => {
                let (word, colour) = if status == Status::Changed {
                    ("changed", Colour::Changed)
                } else {
                    ("ok", Colour::Ok)
                };
                let label = label
                    .as_ref()
                    .map(|l| format!(" => (item={l})"))
                    .unwrap_or_default();
                let dump = self.dump_suffix(result, debug, verbose);
                self.write(&format!("{word}: [{host}]{label}{dump}"), Some(colour));
            }
            (Status::Skipped, Some(label)) => {
                let dump = self.dump_suffix(result, debug, verbose);
                self.write(
                    &format!("skipping: [{host}] => (item={label}) {dump}"),
                    Some(Colour::Skip),
                );
            }
            (Status::Skipped, None) => {
                let dump = self.dump_suffix(&summary, debug, verbose);
                self.write(&format!("skipping: [{host}]{dump}"), Some(Colour::Skip));
            }
            (Status::Failed, _) if loop_summary => {}
            (Status::Failed, label) => {
                self.error_block(result);
                let head = match label {
                    Some(label) => format!("failed: [{host}] (item={label})"),
                    None => format!("fatal: [{host}]: FAILED!"),
                };
                let dump = self.dump(result, debug);
                self.write(&format!("{head} => {dump}"), Some(Colour::Error));
            }
            (Status::Unreachable, _) => {
                self.unreachable_block(result);
                let dump = self.dump(result, debug);
                self.write(
                    &format!("fatal: [{host}]: UNREACHABLE! => {dump}"),
                    Some(Colour::Unreachable),
                );
            }
        }
        // Loop items never say `...ignoring`: the task's result does, once.
        if ignored && item.is_none() {
            self.write("...ignoring", Some(Colour::Skip));
        }
        if item.is_none() {
            self.state().done += 1;
            self.update_status();
        }
    }

    fn recap(&self, stats: &Stats) {
        self.banner("PLAY RECAP");
        let colour = self.console().colour;
        let mut hosts: Vec<(&String, &HostStats)> = stats.0.iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(b.0));
        for (host, counters) in hosts {
            self.write(&recap_line(host, counters, colour), None);
        }
        self.write("", None);
    }
}

/// The host as results name it: `h1 -> localhost` for a delegated task (Ansible's
/// `host_label`), with the delegated host's address when it differs from its name.
fn host_label(host: &str, result: &Map) -> String {
    let Some(delegated) = result
        .get(&Value::from("_ansible_delegated_vars"))
        .and_then(Value::as_map)
    else {
        return host.to_string();
    };
    let field = |key: &str| delegated.get(&Value::from(key)).map(Value::py_str);
    let Some(target) = field("ansible_delegated_host") else {
        return host.to_string();
    };
    match field("ansible_host") {
        Some(address) if address != target => format!("{host} -> {target}({address})"),
        _ => format!("{host} -> {target}"),
    }
}

/// Whether `result[key]` is `true`.
fn flag(result: &Map, key: &str) -> bool {
    result.get(&Value::from(key)).and_then(Value::as_bool) == Some(true)
}

/// Whether the result carries `_ansible_verbose_always`, as `debug`'s own results do. A result
/// `no_log` censored lost it, and so did a failure of the task itself (its arguments did not
/// template, it timed out), which the `debug` action never saw.
fn verbose_always(result: &Map, debug: bool) -> bool {
    let censored = result.contains_key(&Value::from("censored"));
    let failed_by_task = result
        .get(&Value::from("exception"))
        .and_then(Value::as_map)
        .and_then(|s| s.get(&Value::from("context")))
        .and_then(Value::as_str)
        == Some("task");
    (debug && !censored && !failed_by_task) || flag(result, "_ansible_verbose_always")
}

/// `\nTITLE ****…` padded with stars to Ansible's width.
fn banner(title: &str) -> String {
    let stars = COLUMNS.saturating_sub(title.chars().count()).max(3);
    format!("\n{title} {}", "*".repeat(stars))
}

/// `headline` followed by the playbook excerpt of `origin` and a blank line, as Ansible's
/// warnings and deprecations about a place in the playbook end.
fn headed(headline: String, origin: Option<&Span>) -> String {
    let mut lines = with_origin(headline, origin);
    if origin.is_some() {
        lines.push(String::new());
    }
    lines.join("\n")
}

/// What of a result the callback shows: status keys (`failed`, `skipped`) and internal
/// `_ansible*` keys dropped (Ansible's `as_callback_task_result`), `debug` results reduced to
/// what was asked (`_clean_results`), `invocation` and `diff` dropped below `-vvv` and
/// `exception`/`warnings`/`deprecations` always (`_dump_results`).
fn displayed(result: &Map, debug: bool, verbosity: u8) -> Map {
    let has_msg = result.contains_key(&Value::from("msg"));
    result
        .iter()
        .filter(|(key, _)| {
            let name = key.py_str();
            let name = name.as_str();
            let internal = name.starts_with("_ansible")
                || ["failed", "skipped", "exception", "warnings", "deprecations"].contains(&name)
                || (verbosity < 3 && ["invocation", "diff"].contains(&name));
            let debug_hidden = debug
                && (name == "invocation"
                    || if has_msg {
                        !DEBUG_ALLOWED.contains(&name) && !name.starts_with('_')
                    } else {
                        HIDE_IN_DEBUG.contains(&name)
                    });
            !internal && !debug_hidden
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// One `PLAY RECAP` line, coloured as Ansible's `hostcolor`/`colorize` when `colour`.
fn recap_line(host: &str, s: &HostStats, colour: bool) -> String {
    let field = |name: &str, n: u32, c: Colour| {
        let text = format!("{name}={n:<4}");
        if n != 0 {
            paint(&text, Some(c), colour)
        } else {
            text
        }
    };
    let host = if colour {
        let c = if s.failed != 0 || s.unreachable != 0 {
            Colour::Error
        } else if s.changed != 0 {
            Colour::Changed
        } else {
            Colour::Ok
        };
        format!("{:<37}", paint(host, Some(c), true))
    } else {
        format!("{host:<26}")
    };
    format!(
        "{host} : {} {} {} {} {} {} {}",
        field("ok", s.ok, Colour::Ok),
        field("changed", s.changed, Colour::Changed),
        field("unreachable", s.unreachable, Colour::Unreachable),
        field("failed", s.failed, Colour::Error),
        field("skipped", s.skipped, Colour::Skip),
        field("rescued", s.rescued, Colour::Ok),
        field("ignored", s.ignored, Colour::Warn)
    )
}

impl<W: Write + Send> EventSink for DefaultOutput<W> {
    fn emit(&self, event: Event) {
        match event {
            Event::PlaybookStart { path, plays } if self.verbosity > 1 => {
                let base = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.banner(&format!("PLAYBOOK: {base}"));
                self.write(
                    &format!("{plays} plays in {}", path.display()),
                    Some(Colour::Verbose),
                );
            }
            Event::PlayStart { name, hosts } => {
                self.state().hosts = hosts.len();
                let title = if name.trim().is_empty() {
                    "PLAY".to_string()
                } else {
                    format!("PLAY [{}]", name.trim())
                };
                self.banner(&title);
            }
            Event::NoHostsMatched => self.write("skipping: no hosts matched", Some(Colour::Skip)),
            Event::TaskStart {
                name,
                handler,
                origin,
                action,
                diff,
            } => {
                let kind = if handler { "RUNNING HANDLER" } else { "TASK" };
                let title = format!("{kind} [{}]", name.trim());
                self.banner(&title);
                if self.verbosity > 1
                    && let Some(span) = &origin
                {
                    let path = std::path::absolute(span.path())
                        .unwrap_or_else(|_| span.path().to_path_buf());
                    self.write(
                        &format!("task path: {}:{}", path.display(), span.line()),
                        Some(Colour::Debug),
                    );
                }
                {
                    let mut state = self.state();
                    state.origin = origin;
                    state.diff = diff;
                    state.action = action;
                    state.task = title;
                    state.done = 0;
                }
                self.update_status();
            }
            Event::HostResult {
                host,
                status,
                result,
                item,
                ignored,
                verbose_always,
            } => self.host_result(
                &host,
                status,
                &result,
                item.as_ref(),
                ignored,
                verbose_always,
            ),
            Event::TaskRetry {
                host,
                task,
                retries_left,
                result,
            } => {
                let mut line =
                    format!("FAILED - RETRYING: [{host}]: {task} ({retries_left} retries left).");
                if self.verbosity > 2 || flag(&result, "_ansible_verbose_always") {
                    line.push_str(&format!("Result was: {}", self.dump(&result, false)));
                }
                self.write(&line, Some(Colour::Debug));
            }
            Event::Included { name, hosts, item } => {
                let label = item
                    .map(|i| format!(" => (item={})", i.py_str()))
                    .unwrap_or_default();
                self.write(
                    &format!("included: {name} for {}{label}", hosts.join(", ")),
                    Some(Colour::Skip),
                );
            }
            Event::NoHostsRemaining => self.banner("NO MORE HOSTS LEFT"),
            Event::Warning { message, origin } => self.warning(&message, origin.as_ref()),
            Event::Deprecation { message, origin } => self.deprecation(&message, origin.as_ref()),
            Event::Display(text) => self.write(&text, None),
            Event::Recap(stats) => {
                self.state().task.clear();
                self.update_status();
                self.recap(&stats);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Shared;

    fn map(pairs: &[(&str, Value)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect()
    }

    fn render(verbosity: u8, events: Vec<Event>) -> String {
        let out = Shared::default();
        let sink = DefaultOutput::with_console(
            Console::new(out.clone(), Box::new(Shared::default())),
            verbosity,
        );
        for event in events {
            sink.emit(event);
        }
        out.text()
    }

    fn result(host: &str, status: Status, result: Map, item: Option<Value>) -> Event {
        Event::HostResult {
            host: host.into(),
            status,
            result,
            item,
            ignored: false,
            verbose_always: false,
        }
    }

    #[test]
    fn banners_and_recap_match_ansible() {
        assert_eq!(banner("PLAY [localhost]").len(), 81);
        assert!(banner("TASK [say]").starts_with("\nTASK [say] ****"));
        let stats = HostStats {
            ok: 11,
            changed: 3,
            skipped: 1,
            rescued: 1,
            ignored: 1,
            ..HostStats::default()
        };
        assert_eq!(
            recap_line("localhost", &stats, false),
            "localhost                  : ok=11   changed=3    unreachable=0    failed=0    skipped=1    rescued=1    ignored=1   "
        );
        assert!(recap_line("h", &stats, true).starts_with("\x1b[0;33mh\x1b[0m "));
    }

    #[test]
    fn item_lines_match_ansible() {
        let skipped = map(&[
            ("changed", false.into()),
            ("skipped", true.into()),
            ("item", 1.into()),
        ]);
        let changed = map(&[("changed", true.into()), ("item", 2.into())]);
        let events = || {
            vec![
                result("h", Status::Skipped, skipped.clone(), Some(1.into())),
                result("h", Status::Changed, changed.clone(), Some(2.into())),
            ]
        };
        assert_eq!(
            render(0, events()),
            "skipping: [h] => (item=1) \nchanged: [h] => (item=2)\n"
        );
        assert_eq!(
            render(1, events()),
            "skipping: [h] => (item=1)  => {\"changed\": false, \"item\": 1}\nchanged: [h] => (item=2) => {\"changed\": true, \"item\": 2}\n"
        );
    }

    #[test]
    fn debug_results_keep_only_what_was_asked() {
        let shown = displayed(
            &map(&[
                ("msg", "hi".into()),
                ("changed", false.into()),
                ("item", "a".into()),
                ("_ansible_no_log", false.into()),
            ]),
            true,
            0,
        );
        assert_eq!(Value::map(shown).py_json(None, true), r#"{"msg": "hi"}"#);
    }

    #[test]
    fn loop_summaries_print_only_skips_and_ignoring() {
        let item = map(&[("item", "a".into()), ("ansible_loop_var", "item".into())]);
        let summary = map(&[
            ("changed", true.into()),
            ("results", Value::seq(vec![Value::map(item)])),
        ]);
        let mut failed = result("h", Status::Failed, summary.clone(), None);
        if let Event::HostResult { ignored, .. } = &mut failed {
            *ignored = true;
        }
        assert_eq!(
            render(0, vec![result("h", Status::Changed, summary, None), failed]),
            "...ignoring\n"
        );
        // A module's own `results` (dnf's) is no loop summary.
        let own = map(&[
            ("changed", true.into()),
            (
                "results",
                Value::seq(vec!["Installed: a-1-1.noarch".into()]),
            ),
        ]);
        assert_eq!(
            render(0, vec![result("h", Status::Changed, own, None)]),
            "changed: [h]\n"
        );
    }

    #[test]
    fn verbosity_two_adds_playbook_banner_and_task_paths() {
        let text = render(
            2,
            vec![Event::PlaybookStart {
                path: "dir/site.yml".into(),
                plays: 1,
            }],
        );
        assert!(text.starts_with("\nPLAYBOOK: site.yml ***"), "{text}");
        assert!(text.ends_with("\n1 plays in dir/site.yml\n"), "{text}");
        assert_eq!(
            render(
                1,
                vec![Event::PlaybookStart {
                    path: "site.yml".into(),
                    plays: 1
                }]
            ),
            ""
        );
    }
}
