//! `alternatives` (community.general): a Debian/Red Hat alternatives group through
//! `update-alternatives`, as community.general's module drives it: `--display` is parsed
//! with the module's own patterns (mode, current path, link, candidates with priority, family
//! and subcommands); `present` installs the path (missing, other priority, other
//! subcommands), `selected` (the default) also `--set`s it, `auto` returns the group to auto
//! mode, `absent` `--remove`s the path. Result keys: `msg` (what was done), `diff` (the
//! alternative's state before and after, filled with `--diff`).

use std::sync::LazyLock;

use oxible_shell::quote;
use oxible_yaml::{Map, Value, ValueKind};
use regex::Regex;

use crate::system::{probe, section};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("name", ArgType::Str).required(),
    ArgSpec::new("path", ArgType::Path),
    ArgSpec::new("family", ArgType::Str),
    ArgSpec::new("link", ArgType::Path),
    ArgSpec::new("priority", ArgType::Int),
    ArgSpec::new("state", ArgType::Str).choices(&["present", "selected", "absent", "auto"]),
    ArgSpec::new("subcommands", ArgType::List).aliases(&["slaves"]),
];

module!(
    /// The `alternatives` module (`community.general.alternatives`).
    pub Alternatives = "alternatives", SPEC, run
);

/// A pattern of the module (multi-line mode), compiled once.
macro_rules! re {
    ($pattern:literal) => {
        LazyLock::new(|| Regex::new(concat!("(?m)", $pattern)).ok())
    };
}

static MODE: LazyLock<Option<Regex>> = re!(r"\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$");
static CURRENT: LazyLock<Option<Regex>> = re!(r"^\s*link currently points to (.*)$");
static LINK: LazyLock<Option<Regex>> = re!(r"^\s*link \w+ is (.*)$");
static SUB_LINK: LazyLock<Option<Regex>> = re!(r"^\s*(?:slave|follower) (\S+) is (.*)$");
static CANDIDATE: LazyLock<Option<Regex>> =
    re!(r"^(/.*)\s-\s(?:family\s(\S+)\s)?priority\s(\d+)((?:\s+(?:slave|follower).*)*)");
static SUB: LazyLock<Option<Regex>> = re!(r"^\s+(?:slave|follower) (.*): (.*)$");

/// A subcommand (slave link): name, path, link.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sub {
    name: String,
    path: String,
    link: Option<String>,
}

impl Sub {
    fn value(&self) -> Value {
        let mut m = Map::new();
        m.insert(Value::from("name"), Value::from(self.name.as_str()));
        m.insert(Value::from("path"), Value::from(self.path.as_str()));
        m.insert(
            Value::from("link"),
            self.link.as_deref().map_or_else(Value::null, Value::from),
        );
        Value::map(m)
    }
}

/// One installed candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    path: String,
    priority: i64,
    family: String,
    subs: Vec<Sub>,
}

/// What `update-alternatives --display` says about the group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Display {
    mode: Option<String>,
    current: Option<String>,
    link: Option<String>,
    candidates: Vec<Candidate>,
}

/// Parses `--display` output as the module does; `wanted_subs` fill in the subcommand links
/// when the output names none.
fn parse(text: &str, wanted_subs: Option<&[Sub]>) -> Display {
    let mut d = Display::default();
    let find = |r: &LazyLock<Option<Regex>>| -> Option<String> {
        r.as_ref()?
            .captures(text)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    };
    d.mode = find(&MODE);
    if d.mode.is_none() {
        return d;
    }
    d.current = find(&CURRENT);
    d.link = find(&LINK);
    let mut sub_links: Vec<(String, String)> = SUB_LINK
        .as_ref()
        .map(|r| {
            r.captures_iter(text)
                .map(|c| (c[1].to_string(), c[2].to_string()))
                .collect()
        })
        .unwrap_or_default();
    if sub_links.is_empty()
        && let Some(subs) = wanted_subs
    {
        sub_links = subs
            .iter()
            .map(|s| (s.name.clone(), s.link.clone().unwrap_or_default()))
            .collect();
    }
    let (Some(cand), Some(sub)) = (CANDIDATE.as_ref(), SUB.as_ref()) else {
        return d;
    };
    for c in cand.captures_iter(text) {
        let path = c[1].to_string();
        let subs = sub
            .captures_iter(c.get(4).map_or("", |m| m.as_str()))
            .filter(|s| &s[2] != "(null)")
            .map(|s| Sub {
                name: s[1].to_string(),
                path: s[2].to_string(),
                link: sub_links
                    .iter()
                    .rev()
                    .find(|(n, _)| n == &s[1])
                    .map(|(_, l)| l.clone()),
            })
            .collect();
        let candidate = Candidate {
            path: path.clone(),
            priority: c[3].parse().unwrap_or(0),
            family: c.get(2).map_or("", |m| m.as_str()).to_string(),
            subs,
        };
        // A later entry for the same path replaces the earlier one, as a dict does.
        match d.candidates.iter_mut().find(|x| x.path == path) {
            Some(slot) => *slot = candidate,
            None => d.candidates.push(candidate),
        }
    }
    d
}

/// The `subcommands` argument as subcommands (each needs name, path and link).
fn wanted_subs(args: &Args) -> Result<Option<Vec<Sub>>, String> {
    let Some(items) = args.get("subcommands").and_then(Value::as_seq) else {
        return Ok(None);
    };
    let mut subs = Vec::new();
    for item in items {
        let ValueKind::Map(_) = &item.kind else {
            return Err(format!(
                "Elements value for option 'subcommands' is of type {} and we were unable to convert to dict",
                item.type_name()
            ));
        };
        let field = |k: &str| item.get(k).filter(|v| !v.is_null()).map(Value::py_str);
        let mut missing: Vec<&str> = ["link", "name", "path"]
            .into_iter()
            .filter(|k| field(k).is_none())
            .collect();
        missing.sort_unstable();
        if !missing.is_empty() {
            return Err(format!(
                "missing required arguments: {} found in subcommands",
                missing.join(", ")
            ));
        }
        subs.push(Sub {
            name: field("name").unwrap_or_default(),
            path: field("path").unwrap_or_default(),
            link: field("link"),
        });
    }
    Ok(Some(subs))
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if args.get("path").is_none() && args.get("family").is_none() {
        return Ok(Outcome::failure(
            "one of the following is required: path, family",
        ));
    }
    let wanted = match wanted_subs(&args) {
        Ok(w) => w,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let name = args.str("name").unwrap_or_default().to_string();
    let path = args.str("path").map(str::to_string);
    let family = args.str("family").map(str::to_string);
    let state = args.str("state").unwrap_or("selected");
    let mut script = section("UA", "command -v update-alternatives || echo @@missing");
    script.push_str(&section(
        "DISPLAY",
        &format!(
            "LC_ALL=C update-alternatives --display {} 2>/dev/null || echo \"@@rc=$?\"",
            quote(&name)
        ),
    ));
    if let Some(p) = &path {
        script.push_str(&section(
            "EXISTS",
            &format!("[ -e {} ] && echo yes", quote(p)),
        ));
    }
    let found = probe(target, &script).await?;
    let ua = found
        .get("UA")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if ua.contains("@@missing") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"update-alternatives\" in paths: \
             /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ));
    }
    let text = found.get("DISPLAY").cloned().unwrap_or_default();
    let d = if text.contains("@@rc=") {
        Display::default()
    } else {
        parse(&text, wanted.as_deref())
    };
    let current = |p: &str| d.candidates.iter().find(|c| c.path == p);
    let cur = path.as_deref().and_then(current);
    let priority = args
        .int("priority")
        .or(cur.map(|c| c.priority))
        .unwrap_or(50);
    let subs: Option<Vec<Sub>> = wanted
        .clone()
        .or_else(|| cur.map(|c| c.subs.clone()).filter(|s| !s.is_empty()));
    let link = args.str("link").map(str::to_string).or(d.link.clone());

    let mut before = Map::new();
    let mut after = Map::new();
    let put = |m: &mut Map, k: &str, v: Value| {
        m.insert(Value::from(k), v);
    };
    let opt = |v: &Option<String>| v.as_deref().map_or_else(Value::null, Value::from);
    // The module fills `before` only when `--display` described the group.
    if target.diff && d.mode.is_some() {
        match cur {
            Some(c) => {
                put(&mut before, "state", Value::from("present"));
                put(&mut before, "path", opt(&path));
                put(&mut before, "priority", Value::from(c.priority));
                put(&mut before, "link", opt(&d.link));
                if !c.subs.is_empty() {
                    put(&mut before, "subcommands", subs_value(&c.subs));
                }
                if d.mode.as_deref() == Some("manual") && d.current != path {
                    put(&mut before, "state", Value::from("selected"));
                }
            }
            None => put(&mut before, "state", Value::from("absent")),
        }
    }

    let ua_cmd = |rest: Vec<String>| {
        let mut cmd = vec![ua.clone()];
        cmd.extend(rest);
        cmd
    };
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    let present = state != "absent";
    if present {
        if let Some(p) = &path {
            let same_subs = |c: &Candidate, w: &[Sub]| {
                let key = |s: &Sub| (s.name.clone(), s.path.clone(), s.link.clone());
                c.subs.iter().all(|s| w.iter().any(|x| key(x) == key(s)))
                    && w.iter().all(|s| c.subs.iter().any(|x| key(x) == key(s)))
            };
            let needs_install = match cur {
                None => true,
                Some(c) => {
                    args.int("priority").is_some_and(|p| p != c.priority)
                        || wanted.as_deref().is_some_and(|w| !same_subs(c, w))
                }
            };
            if needs_install {
                if !found.get("EXISTS").is_some_and(|e| e.contains("yes")) {
                    return Ok(Outcome::failure(format!(
                        "Specified path {p} does not exist"
                    )));
                }
                let Some(link) = &link else {
                    return Ok(Outcome::failure(
                        "Needed to install the alternative, but unable to do so as we are missing the link",
                    ));
                };
                let mut cmd = vec![
                    "--install".to_string(),
                    link.clone(),
                    name.clone(),
                    p.clone(),
                    priority.to_string(),
                ];
                if let Some(f) = &family {
                    cmd.extend(["--family".to_string(), f.clone()]);
                }
                if let Some(w) = &wanted {
                    for s in w {
                        cmd.extend([
                            "--slave".to_string(),
                            s.link.clone().unwrap_or_default(),
                            s.name.clone(),
                            s.path.clone(),
                        ]);
                    }
                }
                commands.push(ua_cmd(cmd));
                messages.push(format!("Install alternative '{p}' for '{name}'."));
                if target.diff {
                    put(&mut after, "state", Value::from("present"));
                    put(&mut after, "path", Value::from(p.as_str()));
                    put(&mut after, "family", opt(&family));
                    put(&mut after, "priority", Value::from(priority));
                    put(&mut after, "link", Value::from(link.as_str()));
                    if let Some(s) = &subs {
                        put(&mut after, "subcommands", subs_value(s));
                    }
                }
            }
        }
        let same_path = path.is_some() && d.current == path;
        let same_family = d
            .current
            .as_deref()
            .and_then(current)
            .is_some_and(|c| Some(c.family.as_str()) == family.as_deref());
        if state == "selected" && !(same_path || same_family) {
            let arg = path.clone().or(family.clone()).unwrap_or_default();
            commands.push(ua_cmd(vec!["--set".into(), name.clone(), arg.clone()]));
            messages.push(format!("Set alternative '{arg}' for '{name}'."));
            if target.diff {
                put(&mut after, "state", Value::from("selected"));
            }
        }
        if state == "auto" && d.mode.as_deref() == Some("manual") {
            commands.push(ua_cmd(vec!["--auto".into(), name.clone()]));
            messages.push(format!("Set alternative to auto for '{name}'."));
            if target.diff {
                put(&mut after, "state", Value::from("present"));
            }
        }
    } else if let Some(p) = path.as_deref().filter(|p| current(p).is_some()) {
        commands.push(ua_cmd(vec!["--remove".into(), name.clone(), p.to_string()]));
        messages.push(format!("Remove alternative '{p}' from '{name}'."));
        if target.diff {
            put(&mut after, "state", Value::from("absent"));
        }
    }

    let mut outcome = Outcome::changed(!commands.is_empty());
    if !commands.is_empty() && !target.check_mode {
        // Each command stops the module when it fails, as run_command(check_rc=True) does.
        let mut script = String::new();
        for cmd in &commands {
            script.push_str(&format!(
                "out=$(LC_ALL=C {} 2>&1) || {{ rc=$?; printf '%s\\n%s' \"$rc\" \"$out\"; exit 1; }}\n",
                oxible_shell::join(cmd)
            ));
        }
        let out = target.run(&script, None, None).await?;
        if out.rc != 0 {
            let text = out.stdout_text();
            let (rc, detail) = text.split_once('\n').unwrap_or(("1", ""));
            let mut failure = Outcome::failure(detail.trim_end().to_string());
            failure.set("rc", rc.trim().parse::<i64>().unwrap_or(1));
            return Ok(failure);
        }
    }
    let mut diff = Map::new();
    diff.insert(Value::from("before"), Value::map(before));
    diff.insert(Value::from("after"), Value::map(after));
    outcome.diff = Some(Value::map(diff));
    outcome.set("msg", messages.join(" "));
    Ok(outcome)
}

fn subs_value(subs: &[Sub]) -> Value {
    Value::seq(subs.iter().map(Sub::value).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISPLAY: &str = "oxtool - manual mode\n  link best version is /usr/local/bin/oxtool-two\n  \
        link currently points to /usr/local/bin/oxtool-one\n  link oxtool is /usr/bin/oxtool\n  \
        slave oxtool.1.gz is /usr/share/man/man1/oxtool.1.gz\n\
        /usr/local/bin/oxtool-one - priority 10\n  slave oxtool.1.gz: /tmp/one.1.gz\n\
        /usr/local/bin/oxtool-two - priority 20\n  slave oxtool.1.gz: (null)\n";

    #[test]
    fn display_output_parses_like_the_module() {
        let d = parse(DISPLAY, None);
        assert_eq!(d.mode.as_deref(), Some("manual"));
        assert_eq!(d.current.as_deref(), Some("/usr/local/bin/oxtool-one"));
        assert_eq!(d.link.as_deref(), Some("/usr/bin/oxtool"));
        assert_eq!(d.candidates.len(), 2);
        assert_eq!(d.candidates[0].priority, 10);
        assert_eq!(
            d.candidates[0].subs,
            [Sub {
                name: "oxtool.1.gz".into(),
                path: "/tmp/one.1.gz".into(),
                link: Some("/usr/share/man/man1/oxtool.1.gz".into())
            }]
        );
        assert!(d.candidates[1].subs.is_empty());
    }
}
