//! `pause`: waits `seconds` or `minutes` (at least one second), or for the user to press
//! enter at a `prompt`. Runs once for all hosts, as Ansible's (its `BYPASS_HOST_LOOP`).
//! Without a terminal on stdin a prompt cannot be answered: the task fails saying so (Ansible
//! would warn and go on without the answer).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use oxible_yaml::py_datetime;
use oxible_yaml::{Map, Value, ValueKind};

use crate::events::{Event, Status};
use crate::host::HostState;
use crate::task::{Ran, TaskRun, failed, truthy_value};

impl TaskRun<'_, '_> {
    /// Runs `pause` with templated `args`; its messages are shown before its result.
    pub(crate) async fn pause(&self, args: &Map, host: &mut HostState) -> Ran {
        let arg = |key: &str| args.get(&Value::from(key));
        let number = |key: &str| -> Result<Option<f64>, String> {
            arg(key)
                .map(|v| {
                    v.py_str().trim().parse::<f64>().map(f64::trunc).map_err(|_| {
                        format!("argument '{key}' is of type str and we were unable to convert to int")
                    })
                })
                .transpose()
        };
        let (minutes, seconds) = match (number("minutes"), number("seconds")) {
            (Ok(m), Ok(s)) => (m, s),
            (Err(msg), _) | (_, Err(msg)) => return failed(&msg),
        };
        if minutes.is_some() && seconds.is_some() {
            return failed("parameters are mutually exclusive: minutes|seconds");
        }
        let echo = arg("echo").is_none_or(truthy_value);
        let hidden = if echo { "" } else { " (output is hidden)" };
        let wait = minutes.map(|m| m * 60.0).or(seconds).map(|s| s.max(1.0));
        let started = Instant::now();
        let start = py_datetime(std::time::SystemTime::now());
        let mut user_input = String::new();
        match wait {
            Some(secs) => {
                host.pending.push(Event::Display(format!(
                    "Pausing for {secs} seconds{hidden}"
                )));
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            }
            None => {
                if !std::io::stdin().is_terminal() {
                    return failed(
                        "pause: cannot prompt for input, stdin is not a terminal (give seconds or minutes to pause without a prompt)",
                    );
                }
                let text = arg("prompt").map_or_else(
                    || "Press enter to continue, Ctrl+C to interrupt".to_string(),
                    Value::py_str,
                );
                self.play.sink.emit(Event::Display(format!(
                    "[{}]\n{text}{hidden}:",
                    self.display_name()
                )));
                user_input = tokio::task::spawn_blocking(|| {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map(|_| line)
                })
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
                .trim_end_matches('\n')
                .to_string();
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let (amount, unit) = if minutes.is_some() {
            (elapsed / 60.0, "minutes")
        } else {
            (elapsed, "seconds")
        };
        let amount = Value::new(ValueKind::Float((amount * 100.0).round() / 100.0)).py_str();
        let mut result = Map::new();
        let mut set = |key: &str, value: Value| {
            result.insert(Value::from(key), value);
        };
        set("changed", Value::from(false));
        set("rc", Value::from(0));
        set("stderr", Value::from(""));
        set("stdout", Value::from(format!("Paused for {amount} {unit}")));
        set("start", Value::from(start));
        set(
            "stop",
            Value::from(py_datetime(std::time::SystemTime::now())),
        );
        set("delta", Value::from(elapsed as i64));
        set("echo", Value::from(echo));
        set("user_input", Value::from(user_input));
        Ran {
            status: Status::Ok,
            result,
        }
    }
}
