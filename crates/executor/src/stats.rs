//! Per-host counters for `PLAY RECAP`, counted as Ansible's `AggregateStats` counts them.

use indexmap::IndexMap;

/// The counters of one host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Tasks that ran without change (changed ones count here too, as in Ansible).
    pub ok: u32,
    /// Tasks that changed something.
    pub changed: u32,
    /// Times the host was unreachable.
    pub unreachable: u32,
    /// Failed tasks (not rescued, not ignored).
    pub failed: u32,
    /// Skipped tasks.
    pub skipped: u32,
    /// Failures handled by a `rescue` section.
    pub rescued: u32,
    /// Failures ignored with `ignore_errors`.
    pub ignored: u32,
}

/// The counters of every host, in the order hosts were first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats(pub IndexMap<String, HostStats>);

impl Stats {
    /// The counters of `host`, created on first use.
    pub fn host(&mut self, host: &str) -> &mut HostStats {
        self.0.entry(host.to_string()).or_default()
    }

    /// ansible-playbook's exit code for these results: 4 when a host was unreachable, 2 when
    /// one failed, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.0.values().any(|s| s.unreachable > 0) {
            4
        } else if self.0.values().any(|s| s.failed > 0) {
            2
        } else {
            0
        }
    }
}
