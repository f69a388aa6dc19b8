//! What the executor reports while it runs: a closed set of events (Ansible's `v2_*` callback
//! methods), sent to an [`EventSink`]. The executor never prints; sinks render.

use oxible_yaml::{Map, Span, Value};

use crate::stats::Stats;

/// How a task ended on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran, changed nothing.
    Ok,
    /// Ran and changed the target.
    Changed,
    /// Not run (`when` false, or nothing to do).
    Skipped,
    /// Failed.
    Failed,
    /// The host could not be reached.
    Unreachable,
}

/// One event of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A playbook file starts (`PLAYBOOK: site.yml` at `-vv`).
    PlaybookStart {
        /// The playbook's path as given.
        path: std::path::PathBuf,
        /// How many plays it holds.
        plays: usize,
    },
    /// A play starts (`PLAY [name]`).
    PlayStart {
        /// The play's display name.
        name: String,
        /// The hosts it runs on, in order.
        hosts: Vec<String>,
    },
    /// The play's host pattern matched no host (`skipping: no hosts matched`).
    NoHostsMatched,
    /// A task or handler starts (`TASK [name]`, `RUNNING HANDLER [name]`).
    TaskStart {
        /// The task's display name (role-prefixed).
        name: String,
        /// Whether it is a handler.
        handler: bool,
        /// Where the task is written, for error reports.
        origin: Option<Span>,
        /// Whether the task runs a controller action (`debug`, `fail` …) rather than a module.
        action: bool,
        /// Whether file differences are shown for it (`--diff` or the task's `diff:`).
        diff: bool,
    },
    /// A task (or one loop item) finished on a host.
    HostResult {
        /// The host.
        host: String,
        /// How it ended.
        status: Status,
        /// The result dict (what `register` stores).
        result: Map,
        /// The loop item's label, for a loop item's result.
        item: Option<Value>,
        /// A failure that `ignore_errors` turned into `...ignoring`.
        ignored: bool,
        /// Print the result even at verbosity 0 (`debug` does).
        verbose_always: bool,
    },
    /// A task failed its `until` condition on a host and runs again
    /// (`FAILED - RETRYING: [host]: task (N retries left).`).
    TaskRetry {
        /// The host.
        host: String,
        /// The task's display name.
        task: String,
        /// Attempts left.
        retries_left: usize,
        /// The attempt's result (censored under `no_log`).
        result: Map,
    },
    /// `include_tasks`/`include_role` brought in a file or role for some hosts
    /// (`included: <file> for <hosts>`).
    Included {
        /// The included file's path, or the role's name.
        name: String,
        /// The hosts that included it, in play order.
        hosts: Vec<String>,
        /// The loop item's label, for an include in a loop.
        item: Option<Value>,
    },
    /// A line an action shows while it runs (`pause`'s `Pausing for 1 seconds`).
    Display(String),
    /// Every host failed or left the play.
    NoHostsRemaining,
    /// A warning for the user (Ansible's `[WARNING]`): what, and where when it is about a
    /// place in the playbook.
    Warning {
        /// The message.
        message: String,
        /// Where the playbook says what the warning is about.
        origin: Option<Span>,
    },
    /// A deprecated feature in use (Ansible's `[DEPRECATION WARNING]`): what, and where.
    Deprecation {
        /// The message, ending with the version that removes the feature.
        message: String,
        /// Where the playbook uses it.
        origin: Option<Span>,
    },
    /// The run ended: per-host counters (`PLAY RECAP`).
    Recap(Stats),
}

/// Where events go (the default text output, JSON lines, a test recorder…).
pub trait EventSink: Send + Sync {
    /// Receives one event, in order.
    fn emit(&self, event: Event);
}
