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
    /// A play starts (`PLAY [name]`).
    PlayStart {
        /// The play's display name.
        name: String,
    },
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
    /// Every host failed or left the play.
    NoHostsRemaining,
    /// A warning for the user.
    Warning(String),
    /// The run ended: per-host counters (`PLAY RECAP`).
    Recap(Stats),
}

/// Where events go (the default text output, JSON lines, a test recorder…).
pub trait EventSink: Send + Sync {
    /// Receives one event, in order.
    fn emit(&self, event: Event);
}
