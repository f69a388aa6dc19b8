//! `service_facts`: `ansible_facts.services`, each service's `name`, `state`, `source` (and
//! `status` from systemd), as Ansible's module gathers them from SysV's `service --status-all`
//! and systemd's `systemctl list-units`/`list-unit-files`, in one command.
//!
//! Not done: upstart, chkconfig, OpenRC, AIX, BSD service managers.

use oxible_yaml::{Map, Value};

use crate::{Args, ModuleError, Outcome, Target};

/// Lists SysV services (as Ansible, only without chkconfig and OpenRC), then systemd's when
/// systemd runs (its canaries, or PID 1 named `systemd`); unit files that `list-units` does
/// not show get their `ActiveState`. Every line is tagged: `V` SysV, `U` unit, `F` unit file,
/// `S` status and state of a unit file.
const SCRIPT: &str = r#"LC_ALL=C; export LC_ALL
if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 && ! command -v rc-status >/dev/null 2>&1; then
  service --status-all 2>/dev/null | sed 's/^/V /'
fi
if command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ] || [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }; then
  units=$(systemctl list-units --no-pager --type service --all --plain 2>/dev/null)
  printf '%s\n' "$units" | sed 's/^/U /'
  systemctl list-unit-files --no-pager --type service --all 2>/dev/null | while read -r name status _; do
    case $name in *.service*) ;; *) continue ;; esac
    printf 'F %s %s\n' "$name" "$status"
    printf '%s\n' "$units" | grep -q "^ *$name " || printf 'S %s %s %s\n' "$name" "$status" "$(systemctl show "$name" --property=ActiveState 2>/dev/null | sed 's/^ActiveState=//')"
  done
fi
"#;

/// systemd states that stick as a service's `status`.
const BAD_STATES: [&str; 3] = ["not-found", "masked", "failed"];

module!(
    /// The `service_facts` module.
    pub ServiceFacts = "service_facts", &[], run
);

async fn run(target: &Target, _args: Args) -> Result<Outcome, ModuleError> {
    let out = target.run(SCRIPT, None, None).await?;
    let services = parse(&out.stdout_text());
    if services.is_empty() {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some("Failed to find any services. This can be due to privileges or some other configuration issue.".into());
        outcome.set("skipped", true);
        return Ok(outcome);
    }
    let mut facts = Map::new();
    facts.insert(Value::from("services"), Value::map(services));
    let mut outcome = Outcome::changed(false);
    outcome.set("ansible_facts", Value::map(facts));
    Ok(outcome)
}

fn service(name: &str, state: &str, status: Option<&str>, source: &str) -> Value {
    let mut map = Map::new();
    map.insert(Value::from("name"), Value::from(name));
    map.insert(Value::from("state"), Value::from(state));
    if let Some(status) = status {
        map.insert(Value::from("status"), Value::from(status));
    }
    map.insert(Value::from("source"), Value::from(source));
    Value::map(map)
}

/// The services the script's tagged lines describe, later sources overriding earlier ones.
fn parse(text: &str) -> Map {
    let mut services = Map::new();
    for line in text.lines() {
        let Some((tag, rest)) = line.split_once(' ') else {
            continue;
        };
        match tag {
            "V" => {
                let rest = rest.trim_start();
                let state = match rest.get(..4) {
                    Some("[ + ") => "running",
                    Some("[ - ") => "stopped",
                    _ => continue,
                };
                let Some(name) = rest[4..]
                    .strip_prefix(']')
                    .map(str::trim_start)
                    .filter(|n| !n.is_empty())
                else {
                    continue;
                };
                services.insert(Value::from(name), service(name, state, None, "sysv"));
            }
            "U" if rest.contains(".service") => {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let [name, _, active, sub, ..] = fields.as_slice() else {
                    continue;
                };
                let head = &fields[..fields.len() - 1];
                let status = BAD_STATES
                    .into_iter()
                    .find(|bad| head.contains(bad))
                    .unwrap_or(active);
                let state = if *sub == "running" {
                    "running"
                } else {
                    "stopped"
                };
                services.insert(
                    Value::from(*name),
                    service(name, state, Some(status), "systemd"),
                );
            }
            "F" => {
                let Some((name, status)) = rest.split_once(' ') else {
                    continue;
                };
                let key = Value::from(name);
                let Some(mut entry) = services.get(&key).and_then(Value::as_map).cloned() else {
                    continue;
                };
                let field = Value::from("status");
                let bad = entry
                    .get(&field)
                    .and_then(Value::as_str)
                    .is_some_and(|s| BAD_STATES.contains(&s));
                if !bad {
                    entry.insert(field, Value::from(status));
                    services.insert(key, Value::map(entry));
                }
            }
            "S" => {
                let mut fields = rest.splitn(3, ' ');
                let (Some(name), Some(status)) = (fields.next(), fields.next()) else {
                    continue;
                };
                let state = fields.next().filter(|s| !s.is_empty()).unwrap_or("unknown");
                services.insert(
                    Value::from(name),
                    service(name, state, Some(status), "systemd"),
                );
            }
            _ => {}
        }
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sysv_and_systemd() {
        let services = parse(
            "V  [ + ]  cron\nV  [ - ]  dbus\nV  [ ? ]  hwclock.sh\n\
             U cron.service loaded active running Regular background program\n\
             U gone.service not-found inactive dead gone.service\n\
             F cron.service enabled\nF gone.service enabled\nF x.service disabled\nS x.service disabled inactive\n",
        );
        let get = |name: &str, key: &str| {
            services
                .get(&Value::from(name))
                .and_then(Value::as_map)
                .and_then(|m| m.get(&Value::from(key)))
                .map(Value::py_str)
        };
        assert_eq!(get("dbus", "state").as_deref(), Some("stopped"));
        assert_eq!(get("hwclock.sh", "state"), None);
        assert_eq!(get("cron", "source").as_deref(), Some("sysv"));
        assert_eq!(get("cron.service", "state").as_deref(), Some("running"));
        assert_eq!(get("cron.service", "status").as_deref(), Some("enabled"));
        assert_eq!(get("gone.service", "status").as_deref(), Some("not-found"));
        assert_eq!(get("x.service", "state").as_deref(), Some("inactive"));
        assert_eq!(get("x.service", "status").as_deref(), Some("disabled"));
    }
}
