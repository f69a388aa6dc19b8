//! `async`/`poll` and `async_status`: a module run as a job with a time limit, either waited
//! for while its progress is shown (`poll` > 0, Ansible's `ASYNC POLL`/`ASYNC OK` lines) or
//! left running (`poll: 0`) for a later `async_status` task to look up by its `jid`.
//!
//! Ansible starts such a job on the target under `async_wrapper` (Python) and polls a results
//! file there. oxible's modules are controller code driving the target's shell, so a job is a
//! task of the controller's runtime instead: same results, same `jid` lookups, no file on the
//! target. A job left running is waited for before the run ends (Ansible's keeps running on
//! the target after ansible-playbook exits).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use oxible_yaml::{Map, Value};
use tokio::task::JoinHandle;

use crate::events::{Event, Status};
use crate::task::Ran;

/// A task's `async` (its time limit in seconds) and `poll` (seconds between checks; 0 leaves
/// the job running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsyncMode {
    /// The job's time limit.
    pub limit: u64,
    /// Seconds between progress checks; 0: fire and forget.
    pub poll: u64,
}

/// Ansible's default `poll` (`DEFAULT_POLL_INTERVAL`).
pub(crate) const DEFAULT_POLL: u64 = 15;

/// A job of the run: still running, or its result.
enum Job {
    Running(JoinHandle<Ran>),
    Done(Ran),
}

/// What `async_status` finds for a jid.
pub(crate) enum JobStatus {
    /// No job has that id.
    Unknown,
    /// The job is still running.
    Running,
    /// The job's result.
    Finished(Ran),
}

/// The run's jobs started with `poll: 0`, by jid.
#[derive(Default)]
pub(crate) struct AsyncJobs {
    jobs: Mutex<HashMap<String, Job>>,
}

impl AsyncJobs {
    /// Starts `job` in the background under `jid`, cut off after `limit` seconds.
    pub fn start(&self, jid: &str, job: impl Future<Output = Ran> + Send + 'static, limit: u64) {
        let handle = tokio::spawn(async move {
            match tokio::time::timeout(Duration::from_secs(limit), job).await {
                Ok(ran) => ran,
                Err(_) => crate::task::failed(&format!(
                    "Job reached maximum time limit of {limit} seconds."
                )),
            }
        });
        self.lock().insert(jid.to_string(), Job::Running(handle));
    }

    /// The job `jid`'s state; a finished job keeps its result for later lookups.
    pub async fn status(&self, jid: &str) -> JobStatus {
        let Some(job) = self.lock().remove(jid) else {
            return JobStatus::Unknown;
        };
        let ran = match job {
            Job::Running(handle) if !handle.is_finished() => {
                self.lock().insert(jid.to_string(), Job::Running(handle));
                return JobStatus::Running;
            }
            Job::Running(handle) => joined(handle.await),
            Job::Done(ran) => ran,
        };
        self.lock().insert(
            jid.to_string(),
            Job::Done(Ran {
                status: ran.status,
                result: ran.result.clone(),
            }),
        );
        JobStatus::Finished(ran)
    }

    /// Forgets the job `jid` (`async_status mode=cleanup`); whether there was one.
    pub fn forget(&self, jid: &str) -> bool {
        self.lock().remove(jid).is_some()
    }

    /// Waits for every job still running (each ends by its time limit at the latest).
    pub async fn wait_all(&self) {
        let running: Vec<JoinHandle<Ran>> = self
            .lock()
            .drain()
            .filter_map(|(_, job)| match job {
                Job::Running(handle) => Some(handle),
                Job::Done(_) => None,
            })
            .collect();
        for handle in running {
            let _ = handle.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A job's result, or a failure saying the job itself broke.
fn joined(outcome: Result<Ran, tokio::task::JoinError>) -> Ran {
    outcome.unwrap_or_else(|e| crate::task::failed(&format!("the async job ended abnormally: {e}")))
}

/// A new job id in Ansible's shape (`j<digits>.<pid>`).
pub(crate) fn new_jid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
    let unique = (nanos.wrapping_mul(6_364_136_223_846_793_005)
        + COUNTER.fetch_add(1, Ordering::Relaxed))
        % 1_000_000_000_000;
    format!("j{unique}.{}", std::process::id())
}

/// Adds the keys Ansible's async machinery adds to a job's result.
pub(crate) fn mark_job(result: &mut Map, jid: &str, finished: bool) {
    result.insert(Value::from("ansible_job_id"), Value::from(jid));
    result.insert(Value::from("finished"), Value::from(finished));
    result.insert(Value::from("started"), Value::from(true));
}

/// Adds the empty `stdout`/`stderr` (and their lines) Ansible's async_status reports for a
/// job without a result.
pub(crate) fn empty_output(result: &mut Map) {
    for key in ["stderr", "stdout"] {
        result.insert(Value::from(key), Value::from(""));
        result.insert(Value::from(format!("{key}_lines")), Value::seq(Vec::new()));
    }
}

/// The result of starting a job with `poll: 0`: it started, it has not finished, and the
/// task counts as changed, as in Ansible.
pub(crate) fn started(jid: &str) -> Ran {
    let mut result = Map::new();
    mark_job(&mut result, jid, false);
    result.insert(Value::from("changed"), Value::from(true));
    result.insert(Value::from("failed"), Value::from(false));
    Ran {
        status: Status::Changed,
        result,
    }
}

/// Runs `job` while checking it every `mode.poll` seconds, as Ansible's poll loop: an
/// `ASYNC POLL` line for every check that finds it running, `ASYNC OK`/`ASYNC FAILED` at the
/// end, Ansible's "async task did not complete within the requested time" once the checks
/// have used up `mode.limit`. The lines go to `pending`, the host's events.
pub(crate) async fn poll(
    job: impl Future<Output = Ran>,
    mode: AsyncMode,
    host: &str,
    pending: &mut Vec<Event>,
) -> Ran {
    let jid = new_jid();
    let period = Duration::from_secs(mode.poll);
    let start = tokio::time::Instant::now();
    tokio::pin!(job);
    let mut checks = 0u64;
    let ran = loop {
        let next_check = start + period * u32::try_from(checks + 1).unwrap_or(u32::MAX);
        tokio::select! {
            ran = &mut job => break Some(ran),
            () = tokio::time::sleep_until(next_check) => {
                checks += 1;
                pending.push(Event::Display(format!(
                    "ASYNC POLL on {host}: jid={jid} started=True finished=False"
                )));
                if checks * mode.poll >= mode.limit {
                    break None;
                }
            }
        }
    };
    let Some(mut ran) = ran else {
        pending.push(Event::Display(format!("ASYNC FAILED on {host}: jid={jid}")));
        return timed_out(&jid, mode.limit);
    };
    let verdict = if ran.status == Status::Failed {
        "FAILED"
    } else {
        "OK"
    };
    pending.push(Event::Display(format!(
        "ASYNC {verdict} on {host}: jid={jid}"
    )));
    mark_job(&mut ran.result, &jid, true);
    ran
}

/// Ansible's result for a polled job that outlived its time limit.
fn timed_out(jid: &str, limit: u64) -> Ran {
    let mut job = Map::new();
    mark_job(&mut job, jid, false);
    empty_output(&mut job);
    let msg = format!("async task did not complete within the requested time - {limit}s");
    let mut ran = crate::task::failed(&msg);
    ran.result
        .insert(Value::from("async_result"), Value::map(job));
    ran.result.insert(
        Value::from("exception"),
        crate::task::error_summary_of(&msg, "action"),
    );
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Ran {
        Ran {
            status: Status::Changed,
            result: Map::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_polled_job_shows_each_check_that_finds_it_running() {
        let mut pending = Vec::new();
        let mode = AsyncMode { limit: 10, poll: 2 };
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ok()
        };
        let ran = poll(slow, mode, "h1", &mut pending).await;
        let lines: Vec<String> = pending
            .iter()
            .map(|e| match e {
                Event::Display(line) => line.split(": jid").next().unwrap_or_default().into(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            ["ASYNC POLL on h1", "ASYNC POLL on h1", "ASYNC OK on h1"]
        );
        assert_eq!(
            ran.result.get(&Value::from("finished")),
            Some(&Value::from(true))
        );

        pending.clear();
        let endless = std::future::pending::<Ran>();
        let ran = poll(endless, AsyncMode { limit: 3, poll: 2 }, "h1", &mut pending).await;
        assert_eq!(pending.len(), 3, "two checks, then the failure line");
        assert_eq!(ran.status, Status::Failed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_left_running_is_found_by_its_jid() {
        let jobs = AsyncJobs::default();
        jobs.start(
            "j1.1",
            async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                ok()
            },
            60,
        );
        jobs.start("j2.1", std::future::pending(), 1);
        assert!(matches!(jobs.status("j1.1").await, JobStatus::Running));
        assert!(matches!(jobs.status("nope").await, JobStatus::Unknown));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            matches!(jobs.status("j1.1").await, JobStatus::Finished(r) if r.status == Status::Changed)
        );
        assert!(
            matches!(jobs.status("j2.1").await, JobStatus::Finished(r) if r.status == Status::Failed)
        );
        assert!(jobs.forget("j1.1"));
        assert!(matches!(jobs.status("j1.1").await, JobStatus::Unknown));
    }
}
