//! `wait_for`: polls the target (one shell probe a second, as Ansible's `sleep`) until a path
//! exists (holding `search_regex`) or is gone, or a TCP port accepts or refuses connections,
//! failing after `timeout` seconds with Ansible's messages. Ports are probed with bash's
//! `/dev/tcp`, else `nc -z`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxible_modules::Target;
use oxible_shell::quote;
use oxible_template::Scope;
use oxible_yaml::{Map, Value};

use crate::events::Status;
use crate::host::HostState;
use crate::task::{Ran, TaskRun, failed};

/// What is waited for.
enum Subject {
    /// A file on the target.
    Path(String),
    /// A TCP port on `host`.
    Port { host: String, port: u16 },
}

impl TaskRun<'_, '_> {
    /// Runs `wait_for` with templated `args` on `host`.
    pub(crate) async fn wait_for(
        &self,
        args: &Map,
        host: &mut HostState,
        scope: &Arc<Scope>,
    ) -> Ran {
        let arg = |key: &str| args.get(&Value::from(key)).map(Value::py_str);
        let number = |key: &str, default: u64| {
            arg(key)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map_or(default, |n| n.max(0.0) as u64)
        };
        let state = arg("state").unwrap_or_else(|| "started".into());
        let subject = match (arg("path"), arg("port")) {
            (Some(_), Some(_)) => {
                return failed_after(
                    "port and path parameter can not both be passed to wait_for",
                    0,
                );
            }
            (Some(path), None) => Some(Subject::Path(path)),
            (None, Some(port)) => match port.trim().parse() {
                Ok(port) => Some(Subject::Port {
                    host: arg("host").unwrap_or_else(|| "127.0.0.1".into()),
                    port,
                }),
                Err(_) => return failed(&format!("port: '{port}' is not a valid port")),
            },
            (None, None) => None,
        };
        let regex = match arg("search_regex").map(|r| regex::Regex::new(&format!("(?m){r}"))) {
            Some(Ok(re)) => Some(re),
            Some(Err(err)) => return failed(&format!("Invalid regular expression: {err}")),
            None => None,
        };
        let waiting_for_absence = match state.as_str() {
            "started" | "present" => false,
            "stopped" if matches!(subject, Some(Subject::Path(_))) => {
                return failed_after(
                    "state=stopped should only be used for checking a port in the wait_for module",
                    0,
                );
            }
            "absent" | "stopped" => true,
            other => {
                return failed(&format!(
                    "wait_for: state={other} is not supported by oxible"
                ));
            }
        };
        let settings = match self.target_settings(host, scope) {
            Ok(settings) => settings,
            Err(failed) => return failed,
        };
        let target = match self.target(host, settings) {
            Ok(target) => target,
            Err(failed) => return failed,
        };
        let timeout = number("timeout", 300);
        let connect_timeout = number("connect_timeout", 5);
        let pause = Duration::from_secs(number("sleep", 1));
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(number("delay", 0))).await;
        let Some(subject) = subject else {
            tokio::time::sleep(Duration::from_secs(timeout)).await;
            return done(args, &state, Vec::new(), start);
        };
        let end = start + Duration::from_secs(timeout);
        while Instant::now() < end {
            let probe = match probe(&target, &subject, connect_timeout).await {
                Ok(probe) => probe,
                Err(unreachable) => return unreachable,
            };
            match (waiting_for_absence, probe) {
                (true, None) => return done(args, &state, Vec::new(), start),
                (false, Some(content)) => match &regex {
                    None => return done(args, &state, Vec::new(), start),
                    Some(re) => {
                        if let Some(caps) = re.captures(&content) {
                            let groups = caps
                                .iter()
                                .skip(1)
                                .map(|g| g.map_or_else(Value::null, |m| Value::from(m.as_str())))
                                .collect();
                            return done(args, &state, groups, start);
                        }
                    }
                },
                _ => {}
            }
            tokio::time::sleep(pause).await;
        }
        let elapsed = start.elapsed().as_secs();
        let message = match (&subject, waiting_for_absence, arg("search_regex")) {
            (Subject::Port { host, port }, true, _) => {
                format!("Timeout when waiting for {host}:{port} to stop.")
            }
            (Subject::Path(path), true, _) => {
                format!("Timeout when waiting for {path} to be absent.")
            }
            (Subject::Port { host, port }, false, Some(re)) => {
                format!("Timeout when waiting for search string {re} in {host}:{port}")
            }
            (Subject::Port { host, port }, false, None) => {
                format!("Timeout when waiting for {host}:{port}")
            }
            (Subject::Path(path), false, Some(re)) => {
                format!("Timeout when waiting for search string {re} in {path}")
            }
            (Subject::Path(path), false, None) => format!("Timeout when waiting for file {path}"),
        };
        failed_after(&arg("msg").unwrap_or(message), elapsed)
    }
}

/// One look at the target: the file's content or what the port sent (`Some`), or `None` when
/// the file is missing or the port refuses.
async fn probe(
    target: &Target,
    subject: &Subject,
    connect_timeout: u64,
) -> Result<Option<String>, Ran> {
    let script = match subject {
        Subject::Path(path) => {
            let path = quote(path);
            format!("[ -e {path} ] || exit 1; cat {path} 2>/dev/null; exit 0")
        }
        Subject::Port { host, port } => {
            let dev = quote(&format!("/dev/tcp/{host}/{port}"));
            let host = quote(host);
            format!(
                "if command -v bash >/dev/null 2>&1; then \
                 timeout {connect_timeout} bash -c \"exec 3<>{dev} && (timeout 1 cat <&3 || true)\" 2>/dev/null; \
                 else nc -z -w {connect_timeout} {host} {port}; fi"
            )
        }
    };
    match target.run(&script, None, None).await {
        Ok(out) if out.rc == 0 => Ok(Some(out.stdout_text())),
        Ok(_) => Ok(None),
        Err(err) => Err(crate::task::connection_failure(&err)),
    }
}

/// The success result.
fn done(args: &Map, state: &str, groups: Vec<Value>, start: Instant) -> Ran {
    let arg = |key: &str| {
        args.get(&Value::from(key))
            .cloned()
            .unwrap_or_else(Value::null)
    };
    let mut result = Map::new();
    result.insert(Value::from("changed"), Value::from(false));
    result.insert(
        Value::from("elapsed"),
        Value::from(start.elapsed().as_secs() as i64),
    );
    result.insert(Value::from("match_groupdict"), Value::map(Map::new()));
    result.insert(Value::from("match_groups"), Value::seq(groups));
    result.insert(Value::from("path"), arg("path"));
    result.insert(Value::from("port"), arg("port"));
    result.insert(Value::from("search_regex"), arg("search_regex"));
    result.insert(Value::from("state"), Value::from(state));
    Ran {
        status: Status::Ok,
        result,
    }
}

/// A failure after `elapsed` seconds.
fn failed_after(msg: &str, elapsed: u64) -> Ran {
    let mut ran = failed(msg);
    ran.result
        .insert(Value::from("elapsed"), Value::from(elapsed as i64));
    ran
}
