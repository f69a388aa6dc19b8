//! Plays in batches of hosts (`serial`: numbers, percentages, lists whose last entry repeats)
//! and the failure rules that stop a play or the whole run, as Ansible's playbook executor and
//! linear strategy apply them: `any_errors_fatal` (and `run_once`) fail every host of the
//! batch when one fails; past `max_fail_percentage` the batch stops; a batch whose every host
//! failed ends the playbook; hosts that failed stay out of later plays.

use std::sync::atomic::Ordering;

use oxible_yaml::{Value, ValueKind};

use crate::events::Event;
use crate::host::HostState;
use crate::play::PlayRun;
use crate::task::{Flow, TaskRun};

/// `hosts` split into batches by the play's `serial` (all at once without it).
pub(crate) fn batches(serial: Option<&Value>, hosts: &[String]) -> Vec<Vec<String>> {
    let sizes: Vec<Value> = match serial {
        None => Vec::new(),
        Some(value) => match value.as_seq() {
            Some(items) => items.to_vec(),
            None => vec![value.clone()],
        },
    };
    let total = hosts.len();
    let mut left = hosts.to_vec();
    let mut out = Vec::new();
    let mut index = 0;
    while !left.is_empty() {
        let size = sizes.get(index).map_or(0, |size| batch_size(size, total));
        if size == 0 {
            out.push(std::mem::take(&mut left));
            break;
        }
        let rest = left.split_off(size.min(left.len()));
        out.push(std::mem::replace(&mut left, rest));
        index = (index + 1).min(sizes.len().saturating_sub(1));
    }
    out
}

/// One `serial` entry: a count, or `N%` of all the play's hosts (at least one).
fn batch_size(size: &Value, total: usize) -> usize {
    match &size.kind {
        ValueKind::Int(n) => usize::try_from(*n).unwrap_or(0),
        _ => {
            let text = size.py_str();
            match text.trim().strip_suffix('%') {
                Some(percent) => {
                    let percent: f64 = percent.trim().parse().unwrap_or(0.0);
                    ((percent / 100.0 * total as f64) as usize).max(1)
                }
                None => text.trim().parse().unwrap_or(0),
            }
        }
    }
}

impl PlayRun<'_> {
    /// After a task: `any_errors_fatal` (or `run_once`) turns one host's failure into every
    /// host's; past `max_fail_percentage` the batch stops (`Flow::EndPlay`, and the run with
    /// it). `before` says which hosts had already left before the task.
    pub(crate) fn after_task(
        &self,
        run: &TaskRun<'_, '_>,
        hosts: &mut [HostState],
        before: &[bool],
    ) -> Flow {
        let failed_now = hosts
            .iter()
            .zip(before)
            .any(|(h, gone)| !gone && (h.failed || h.unreachable));
        let fatal =
            run.truthy("any_errors_fatal", None, None) || run.truthy("run_once", None, None);
        if failed_now && fatal && !run.truthy("ignore_errors", None, None) {
            hosts
                .iter_mut()
                .filter(|h| h.active())
                .for_each(|h| h.failed = true);
        }
        let Some(limit) = self
            .play
            .keywords
            .get("max_fail_percentage")
            .and_then(|v| v.py_str().trim().parse::<f64>().ok())
        else {
            return Flow::Continue;
        };
        let failed = hosts.iter().filter(|h| h.failed).count();
        if failed as f64 / self.batch.len().max(1) as f64 <= limit / 100.0 {
            return Flow::Continue;
        }
        hosts
            .iter_mut()
            .filter(|h| h.active())
            .for_each(|h| h.failed = true);
        self.break_play.store(true, Ordering::Relaxed);
        // Ansible's linear strategy says it twice: once for the limit, once as every host
        // has now failed.
        self.sink.emit(Event::NoHostsRemaining);
        self.sink.emit(Event::NoHostsRemaining);
        Flow::EndPlay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn serial_numbers_percentages_and_lists() {
        let sizes = |serial: Option<Value>, n| {
            batches(serial.as_ref(), &names(n))
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(None, 3), vec![3]);
        assert_eq!(sizes(Some(Value::from(2)), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Some(Value::from("50%")), 5), vec![2, 2, 1]);
        assert_eq!(sizes(Some(Value::from("10%")), 3), vec![1, 1, 1]);
        let list = Value::seq(vec![Value::from(1), Value::from("50%")]);
        assert_eq!(sizes(Some(list), 4), vec![1, 2, 1]);
    }
}
