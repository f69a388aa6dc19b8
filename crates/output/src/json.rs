//! `--output json`: one JSON object per event, one per line (the schema is in docs/output.md and
//! is a stability boundary: fields are only ever added).

use std::io::Write;
use std::sync::Mutex;

use oxible_executor::{Event, EventSink, Status};
use oxible_yaml::{Map, Value};

/// Version of the event schema, in every line as `"v"`; bumped only on incompatible changes.
pub const SCHEMA_VERSION: i64 = 1;

/// Writes each event as one JSON line.
pub struct JsonLines<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLines<W> {
    /// Events written to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }
}

/// The `status` field's text.
fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Changed => "changed",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::Unreachable => "unreachable",
    }
}

/// The JSON object for `event`, or `None` for events the schema does not (yet) carry.
fn encode(event: &Event) -> Option<Map> {
    let mut fields: Vec<(&str, Value)> = Vec::new();
    let kind = match event {
        Event::PlaybookStart { path, plays } => {
            fields.push(("path", Value::from(path.display().to_string())));
            fields.push((
                "plays",
                Value::from(i64::try_from(*plays).unwrap_or(i64::MAX)),
            ));
            "playbook_start"
        }
        Event::PlayStart { name, hosts } => {
            fields.push(("name", Value::from(name.as_str())));
            let hosts = hosts.iter().map(|h| Value::from(h.as_str())).collect();
            fields.push(("hosts", Value::seq(hosts)));
            "play_start"
        }
        Event::NoHostsMatched => "no_hosts_matched",
        Event::TaskStart {
            name,
            handler,
            origin,
            ..
        } => {
            fields.push(("name", Value::from(name.as_str())));
            fields.push(("handler", Value::from(*handler)));
            let path = origin
                .as_ref()
                .map(|s| Value::from(format!("{}:{}", s.path().display(), s.line())))
                .unwrap_or_else(Value::null);
            fields.push(("path", path));
            "task_start"
        }
        Event::HostResult {
            host,
            status,
            result,
            item,
            ignored,
            ..
        } => {
            fields.push(("host", Value::from(host.as_str())));
            fields.push(("status", Value::from(status_name(*status))));
            fields.push(("item", item.clone().unwrap_or_else(Value::null)));
            fields.push(("ignored", Value::from(*ignored)));
            fields.push(("result", Value::map(result.clone())));
            "host_result"
        }
        Event::TaskRetry {
            host,
            task,
            retries_left,
            result,
        } => {
            fields.push(("host", Value::from(host.as_str())));
            fields.push(("task", Value::from(task.as_str())));
            let left = i64::try_from(*retries_left).unwrap_or(i64::MAX);
            fields.push(("retries_left", Value::from(left)));
            fields.push(("result", Value::map(result.clone())));
            "task_retry"
        }
        Event::Included { name, hosts, item } => {
            fields.push(("name", Value::from(name.as_str())));
            let hosts = hosts.iter().map(|h| Value::from(h.as_str())).collect();
            fields.push(("hosts", Value::seq(hosts)));
            fields.push(("item", item.clone().unwrap_or_else(Value::null)));
            "included"
        }
        Event::NoHostsRemaining => "no_hosts_remaining",
        Event::Warning { message, .. } => {
            fields.push(("message", Value::from(message.as_str())));
            "warning"
        }
        Event::Display(text) => {
            fields.push(("text", Value::from(text.as_str())));
            "display"
        }
        Event::Deprecation { message, origin } => {
            fields.push(("message", Value::from(message.as_str())));
            let path = origin
                .as_ref()
                .map(|span| Value::from(format!("{}:{}", span.path().display(), span.line())))
                .unwrap_or_else(Value::null);
            fields.push(("path", path));
            "deprecation"
        }
        Event::Recap(stats) => {
            let hosts = stats
                .0
                .iter()
                .map(|(host, s)| {
                    let counters: Map = [
                        ("ok", s.ok),
                        ("changed", s.changed),
                        ("unreachable", s.unreachable),
                        ("failed", s.failed),
                        ("skipped", s.skipped),
                        ("rescued", s.rescued),
                        ("ignored", s.ignored),
                    ]
                    .into_iter()
                    .map(|(k, n)| (Value::from(k), Value::from(i64::from(n))))
                    .collect();
                    (Value::from(host.as_str()), Value::map(counters))
                })
                .collect();
            fields.push(("hosts", Value::map(hosts)));
            "recap"
        }
        _ => return None,
    };
    let mut object = Map::new();
    object.insert(Value::from("v"), Value::from(SCHEMA_VERSION));
    object.insert(Value::from("event"), Value::from(kind));
    for (key, value) in fields {
        object.insert(Value::from(key), value);
    }
    Some(object)
}

impl<W: Write + Send> EventSink for JsonLines<W> {
    fn emit(&self, event: Event) {
        let Some(object) = encode(&event) else {
            return;
        };
        let line = Value::map(object).py_json(None, false);
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A closed stdout must not stop the run.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Shared;
    use oxible_executor::{HostStats, Stats};

    /// The schema is a stability boundary: these lines may only ever gain fields.
    #[test]
    fn schema_is_pinned() {
        let out = Shared::default();
        let sink = JsonLines::new(out.clone());
        let mut result = Map::new();
        result.insert(Value::from("changed"), Value::from(true));
        let mut stats = Stats::default();
        *stats.host("h") = HostStats {
            ok: 1,
            changed: 1,
            ..HostStats::default()
        };
        for event in [
            Event::PlaybookStart {
                path: "site.yml".into(),
                plays: 1,
            },
            Event::PlayStart {
                name: "all".into(),
                hosts: vec!["h".into()],
            },
            Event::NoHostsMatched,
            Event::TaskStart {
                name: "t".into(),
                handler: false,
                origin: None,
                action: false,
                diff: false,
            },
            Event::HostResult {
                host: "h".into(),
                status: Status::Changed,
                result,
                item: Some(Value::from("a")),
                ignored: false,
                verbose_always: false,
            },
            Event::NoHostsRemaining,
            Event::Warning {
                message: "w".into(),
                origin: None,
            },
            Event::Recap(stats),
        ] {
            sink.emit(event);
        }
        assert_eq!(
            out.text(),
            [
                r#"{"v": 1, "event": "playbook_start", "path": "site.yml", "plays": 1}"#,
                r#"{"v": 1, "event": "play_start", "name": "all", "hosts": ["h"]}"#,
                r#"{"v": 1, "event": "no_hosts_matched"}"#,
                r#"{"v": 1, "event": "task_start", "name": "t", "handler": false, "path": null}"#,
                r#"{"v": 1, "event": "host_result", "host": "h", "status": "changed", "item": "a", "ignored": false, "result": {"changed": true}}"#,
                r#"{"v": 1, "event": "no_hosts_remaining"}"#,
                r#"{"v": 1, "event": "warning", "message": "w"}"#,
                r#"{"v": 1, "event": "recap", "hosts": {"h": {"ok": 1, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0}}}"#,
                "",
            ]
            .join("\n")
        );
    }
}
