//! Ansible's `default` stdout callback, line for line.

use std::io::Write;
use std::sync::Mutex;

use oxible_executor::{Event, EventSink, HostStats, Stats, Status};
use oxible_yaml::{Map, Span, Value};

use crate::origin::origin_block;

/// Width Ansible lays banners out for when stdout is not a terminal.
const COLUMNS: usize = 79;

/// Renders events as ansible-playbook's default output on a writer (stdout in the CLI).
pub struct DefaultOutput<W: Write + Send> {
    out: Mutex<W>,
    verbosity: u8,
    /// Where the running task is written and whether it is a controller action.
    current: Mutex<(Option<Span>, bool)>,
}

impl<W: Write + Send> DefaultOutput<W> {
    /// Output to `out` at `verbosity` (the number of `-v`).
    pub fn new(out: W, verbosity: u8) -> Self {
        Self {
            out: Mutex::new(out),
            verbosity,
            current: Mutex::new((None, false)),
        }
    }

    fn write(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A closed stdout (`| head`) must not stop the run.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

impl<W: Write + Send> DefaultOutput<W> {
    /// `[ERROR]: Task failed: …` and the task's origin, printed before `fatal:`.
    fn error_block(&self, result: &Map) {
        let (origin, action) = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let msg = result
            .get(&Value::from("msg"))
            .map(Value::py_str)
            .unwrap_or_default();
        let kind = if action { "Action" } else { "Module" };
        let mut lines = vec![format!("[ERROR]: Task failed: {kind} failed: {msg}")];
        if let Some(span) = &origin {
            lines.extend(origin_block(span));
        }
        lines.push(String::new());
        self.write(&lines.join("\n"));
    }
}

/// `\nTITLE ****…` padded with stars to Ansible's width.
fn banner(title: &str) -> String {
    let stars = COLUMNS.saturating_sub(title.chars().count()).max(3);
    format!("\n{title} {}", "*".repeat(stars))
}

/// The result as the callback dumps it: internal keys dropped, `changed` dropped for `debug`.
fn cleaned(result: &Map, debug: bool) -> Value {
    let hidden = [
        "invocation",
        "ansible_loop_var",
        "item",
        "ansible_index_var",
        "ansible_loop",
        "failed",
    ];
    let mut out = Map::new();
    for (key, value) in result {
        let name = key.py_str();
        if name.starts_with("_ansible")
            || hidden.contains(&name.as_str())
            || (debug && name == "changed")
        {
            continue;
        }
        out.insert(key.clone(), value.clone());
    }
    Value::map(out)
}

fn recap_line(host: &str, s: &HostStats) -> String {
    let field = |name: &str, n: u32| format!("{name}={:<4}", n);
    format!(
        "{host:<26} : {} {} {} {} {} {} {}",
        field("ok", s.ok),
        field("changed", s.changed),
        field("unreachable", s.unreachable),
        field("failed", s.failed),
        field("skipped", s.skipped),
        field("rescued", s.rescued),
        field("ignored", s.ignored)
    )
}

impl<W: Write + Send> EventSink for DefaultOutput<W> {
    fn emit(&self, event: Event) {
        match event {
            Event::PlayStart { name } => self.write(&banner(&format!("PLAY [{name}]"))),
            Event::TaskStart {
                name,
                handler,
                origin,
                action,
            } => {
                let kind = if handler { "RUNNING HANDLER" } else { "TASK" };
                self.write(&banner(&format!("{kind} [{name}]")));
                *self
                    .current
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = (origin, action);
            }
            Event::HostResult {
                host,
                status,
                result,
                item,
                ignored,
                verbose_always,
            } => {
                let label = item
                    .map(|i| format!(" (item={})", i.py_str()))
                    .unwrap_or_default();
                let body = cleaned(&result, verbose_always);
                let dump = |indent| body.py_json(indent, true);
                let line = match status {
                    Status::Ok | Status::Changed | Status::Skipped => {
                        let word = match status {
                            Status::Ok => "ok",
                            Status::Changed => "changed",
                            _ => "skipping",
                        };
                        let arrow = if label.is_empty() { "" } else { " =>" };
                        if verbose_always && status != Status::Skipped {
                            format!("{word}: [{host}]{arrow}{label} => {}", dump(Some(4)))
                        } else if self.verbosity > 0 {
                            format!("{word}: [{host}]{arrow}{label} => {}", dump(None))
                        } else {
                            format!("{word}: [{host}]{arrow}{label}")
                        }
                    }
                    Status::Failed if !label.is_empty() => {
                        format!("failed: [{host}]{label} => {}", dump(None))
                    }
                    Status::Failed => {
                        self.error_block(&result);
                        format!("fatal: [{host}]: FAILED! => {}", dump(None))
                    }
                    Status::Unreachable => {
                        format!("fatal: [{host}]: UNREACHABLE! => {}", dump(None))
                    }
                };
                self.write(&line);
                if ignored {
                    self.write("...ignoring");
                }
            }
            Event::NoHostsRemaining => self.write(&banner("NO MORE HOSTS LEFT")),
            Event::Warning(message) => self.write(&format!("[WARNING]: {message}")),
            Event::Recap(Stats(hosts)) => {
                self.write(&banner("PLAY RECAP"));
                for (host, stats) in &hosts {
                    self.write(&recap_line(host, stats));
                }
                self.write("");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            recap_line("localhost", &stats),
            "localhost                  : ok=11   changed=3    unreachable=0    failed=0    skipped=1    rescued=1    ignored=1   "
        );
    }
}
