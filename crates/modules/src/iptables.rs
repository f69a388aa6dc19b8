//! `iptables`: one rule present or absent in a chain (checked with `iptables -C`, then `-A`,
//! `-I` or `-D`), a chain's policy, a flush, or a chain created/deleted with
//! `chain_management`, as ansible-core's module does it; the rule's words are built in the
//! module's order, so `rule` in the result reads the same.

use oxible_shell::quote;
use oxible_yaml::Value;

use crate::system::{probe, section};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("table", ArgType::Str).choices(&["filter", "nat", "mangle", "raw", "security"]),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("action", ArgType::Str).choices(&["append", "insert"]),
    ArgSpec::new("ip_version", ArgType::Str).choices(&["ipv4", "ipv6", "both"]),
    ArgSpec::new("chain", ArgType::Str),
    ArgSpec::new("rule_num", ArgType::Str),
    ArgSpec::new("protocol", ArgType::Str),
    ArgSpec::new("wait", ArgType::Str),
    ArgSpec::new("source", ArgType::Str),
    ArgSpec::new("to_source", ArgType::Str),
    ArgSpec::new("destination", ArgType::Str),
    ArgSpec::new("to_destination", ArgType::Str),
    ArgSpec::new("match", ArgType::List),
    ArgSpec::new("tcp_flags", ArgType::Dict),
    ArgSpec::new("jump", ArgType::Str),
    ArgSpec::new("gateway", ArgType::Str),
    ArgSpec::new("log_prefix", ArgType::Str),
    ArgSpec::new("log_level", ArgType::Str).choices(&[
        "0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit", "error", "warning",
        "notice", "info", "debug",
    ]),
    ArgSpec::new("goto", ArgType::Str),
    ArgSpec::new("in_interface", ArgType::Str),
    ArgSpec::new("out_interface", ArgType::Str),
    ArgSpec::new("fragment", ArgType::Str),
    ArgSpec::new("set_counters", ArgType::Str),
    ArgSpec::new("source_port", ArgType::Str),
    ArgSpec::new("destination_port", ArgType::Str),
    ArgSpec::new("destination_ports", ArgType::List),
    ArgSpec::new("to_ports", ArgType::Str),
    ArgSpec::new("set_dscp_mark", ArgType::Str),
    ArgSpec::new("set_dscp_mark_class", ArgType::Str),
    ArgSpec::new("comment", ArgType::Str),
    ArgSpec::new("ctstate", ArgType::List),
    ArgSpec::new("src_range", ArgType::Str),
    ArgSpec::new("dst_range", ArgType::Str),
    ArgSpec::new("match_set", ArgType::Str),
    ArgSpec::new("match_set_flags", ArgType::Str)
        .choices(&["src", "dst", "src,dst", "dst,src", "src,src", "dst,dst"]),
    ArgSpec::new("limit", ArgType::Str),
    ArgSpec::new("limit_burst", ArgType::Str),
    ArgSpec::new("uid_owner", ArgType::Str),
    ArgSpec::new("gid_owner", ArgType::Str),
    ArgSpec::new("reject_with", ArgType::Str),
    ArgSpec::new("icmp_type", ArgType::Str),
    ArgSpec::new("syn", ArgType::Str).choices(&["ignore", "match", "negate"]),
    ArgSpec::new("flush", ArgType::Bool),
    ArgSpec::new("policy", ArgType::Str).choices(&["ACCEPT", "DROP", "QUEUE", "RETURN"]),
    ArgSpec::new("chain_management", ArgType::Bool),
    ArgSpec::new("numeric", ArgType::Bool),
];

module!(
    /// The `iptables` module.
    pub Iptables = "iptables", SPEC, run
);

/// The module's parameters, with `jump` defaulted to `LOG` for logging options.
struct Params<'a> {
    args: &'a Args,
    jump: Option<String>,
}

impl Params<'_> {
    fn s(&self, name: &str) -> Option<String> {
        if name == "jump" {
            return self.jump.clone();
        }
        self.args.str(name).map(str::to_string)
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.args.strings(name)
    }
}

/// `flag value`, or `! flag value` for a value starting with `!` (the module's append_param).
fn param(rule: &mut Vec<String>, value: Option<String>, flag: &str) {
    if let Some(v) = value {
        match v.strip_prefix('!') {
            Some(rest) => rule.extend(["!".into(), flag.into(), rest.into()]),
            None => rule.extend([flag.into(), v]),
        }
    }
}

fn match_flag(rule: &mut Vec<String>, value: Option<&str>, flag: &str, negatable: bool) {
    match value {
        Some("match") => rule.push(flag.into()),
        Some("negate") if negatable => rule.extend(["!".into(), flag.into()]),
        _ => {}
    }
}

fn csv(rule: &mut Vec<String>, values: &[String], flag: &str) {
    if !values.is_empty() {
        rule.extend([flag.into(), values.join(",")]);
    }
}

fn module_match(rule: &mut Vec<String>, on: bool, name: &str) {
    if on {
        rule.extend(["-m".into(), name.into()]);
    }
}

/// The module's construct_rule: the rule's words in its order.
fn construct_rule(p: &Params) -> Vec<String> {
    let mut rule = Vec::new();
    let matches = p.list("match");
    let jump = p.s("jump");
    let jump_lower = jump.as_deref().map(str::to_lowercase);
    param(&mut rule, p.s("protocol"), "-p");
    param(&mut rule, p.s("source"), "-s");
    param(&mut rule, p.s("destination"), "-d");
    for m in &matches {
        param(&mut rule, Some(m.clone()), "-m");
    }
    if let Some(flags) = p.args.get("tcp_flags").and_then(Value::as_map) {
        let get = |k: &str| {
            flags
                .get(&Value::from(k))
                .and_then(Value::as_seq)
                .map(|s| s.iter().map(Value::py_str).collect::<Vec<_>>())
        };
        if let (Some(f), Some(s)) = (get("flags"), get("flags_set")) {
            rule.extend(["--tcp-flags".into(), f.join(","), s.join(",")]);
        }
    }
    param(&mut rule, jump.clone(), "-j");
    if jump_lower.as_deref() == Some("tee") {
        param(&mut rule, p.s("gateway"), "--gateway");
    }
    param(&mut rule, p.s("log_prefix"), "--log-prefix");
    param(&mut rule, p.s("log_level"), "--log-level");
    param(&mut rule, p.s("to_destination"), "--to-destination");
    let dports = p.list("destination_ports");
    module_match(&mut rule, !dports.is_empty(), "multiport");
    csv(&mut rule, &dports, "--dports");
    param(&mut rule, p.s("to_source"), "--to-source");
    param(&mut rule, p.s("goto"), "-g");
    param(&mut rule, p.s("in_interface"), "-i");
    param(&mut rule, p.s("out_interface"), "-o");
    param(&mut rule, p.s("fragment"), "-f");
    param(&mut rule, p.s("set_counters"), "-c");
    param(&mut rule, p.s("source_port"), "--source-port");
    param(&mut rule, p.s("destination_port"), "--destination-port");
    param(&mut rule, p.s("to_ports"), "--to-ports");
    let not_dscp = jump_lower.as_deref() != Some("dscp");
    param(&mut rule, p.s("set_dscp_mark"), "--set-dscp");
    if p.s("set_dscp_mark").is_some() && not_dscp {
        rule.extend(["-j".into(), "DSCP".into()]);
    }
    param(&mut rule, p.s("set_dscp_mark_class"), "--set-dscp-class");
    if p.s("set_dscp_mark_class").is_some() && not_dscp {
        rule.extend(["-j".into(), "DSCP".into()]);
    }
    match_flag(&mut rule, p.args.str("syn"), "--syn", true);
    let ctstate = p.list("ctstate");
    let has = |m: &str| matches.iter().any(|x| x == m);
    if has("conntrack") {
        csv(&mut rule, &ctstate, "--ctstate");
    } else if has("state") {
        csv(&mut rule, &ctstate, "--state");
    } else if !ctstate.is_empty() {
        module_match(&mut rule, true, "conntrack");
        csv(&mut rule, &ctstate, "--ctstate");
    }
    let (src_range, dst_range) = (p.s("src_range"), p.s("dst_range"));
    if has("iprange") || src_range.is_some() || dst_range.is_some() {
        module_match(&mut rule, !has("iprange"), "iprange");
        param(&mut rule, src_range, "--src-range");
        param(&mut rule, dst_range, "--dst-range");
    }
    let match_set = p.s("match_set");
    if has("set") || match_set.is_some() {
        module_match(&mut rule, !has("set"), "set");
        param(&mut rule, match_set, "--match-set");
        if let Some(flags) = p.s("match_set_flags") {
            rule.push(flags);
        }
    }
    let (limit, burst) = (p.s("limit"), p.s("limit_burst"));
    module_match(&mut rule, limit.is_some() || burst.is_some(), "limit");
    param(&mut rule, limit, "--limit");
    param(&mut rule, burst, "--limit-burst");
    for (key, flag) in [("uid_owner", "--uid-owner"), ("gid_owner", "--gid-owner")] {
        let value = p.s(key);
        module_match(&mut rule, value.is_some(), "owner");
        match_flag(&mut rule, value.as_deref(), flag, true);
        param(&mut rule, value, flag);
    }
    if jump.is_none() {
        for (key, target) in [
            ("reject_with", "REJECT"),
            ("set_dscp_mark_class", "DSCP"),
            ("set_dscp_mark", "DSCP"),
        ] {
            if p.s(key).is_some() {
                rule.extend(["-j".into(), target.into()]);
            }
        }
    }
    param(&mut rule, p.s("reject_with"), "--reject-with");
    let icmp_flag = match p.args.str("ip_version").unwrap_or("ipv4") {
        "ipv6" => "--icmpv6-type",
        "both" => "--icmp-type --icmpv6-type",
        _ => "--icmp-type",
    };
    param(&mut rule, p.s("icmp_type"), icmp_flag);
    let comment = p.s("comment");
    module_match(&mut rule, comment.is_some(), "comment");
    param(&mut rule, comment, "--comment");
    rule
}

/// The module's push_arguments: `bin -t table action chain [rule_num] [-w wait] [rule]`.
fn command(bin: &str, args: &Args, action: &str, rule: Option<&[String]>) -> Vec<String> {
    let mut cmd = vec![
        bin.to_string(),
        "-t".into(),
        args.str("table").unwrap_or("filter").into(),
        action.into(),
    ];
    if let Some(chain) = args.str("chain") {
        cmd.push(chain.into());
    }
    if action == "-I"
        && let Some(n) = args.str("rule_num")
    {
        cmd.push(n.into());
    }
    if let Some(w) = args.str("wait") {
        cmd.extend(["-w".into(), w.into()]);
    }
    if let Some(rule) = rule {
        cmd.extend(rule.iter().cloned());
    }
    cmd
}

fn join(cmd: &[String]) -> String {
    cmd.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// What one shell command printed.
struct Ran {
    rc: i64,
    stdout: String,
    stderr: String,
}

async fn run_cmd(target: &Target, cmd: &[String]) -> Result<Ran, ModuleError> {
    let out = target.run(&join(cmd), None, None).await?;
    Ok(Ran {
        rc: i64::from(out.rc),
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
    })
}

/// Ansible's `run_command(check_rc=True)` failure.
fn command_failure(cmd: &[String], ran: &Ran) -> Outcome {
    let mut outcome = Outcome::failure(ran.stderr.trim_end());
    outcome
        .set("cmd", join(cmd))
        .set("rc", ran.rc)
        .set("stdout", ran.stdout.as_str())
        .set("stderr", ran.stderr.as_str());
    outcome
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    args.exclusive(&["set_dscp_mark", "set_dscp_mark_class"])?;
    args.exclusive(&["flush", "policy"])?;
    let flush = args.bool("flush", false);
    if !flush && args.get("chain").is_none() {
        return Err(ModuleError::Args(
            "flush is False but all of the following are missing: chain".into(),
        ));
    }
    for key in ["set_dscp_mark", "set_dscp_mark_class"] {
        if args.get(key).is_some() && args.get("jump").is_none() {
            return Err(ModuleError::Args(format!(
                "missing parameter(s) required by '{key}': jump"
            )));
        }
    }
    if args.str("jump").is_some_and(|j| j == "TEE" || j == "tee") && args.get("gateway").is_none() {
        let jump = args.str("jump").unwrap_or_default();
        return Err(ModuleError::Args(format!(
            "jump is {jump} but all of the following are missing: gateway"
        )));
    }
    let ip_version = args.str("ip_version").unwrap_or("ipv4").to_string();
    let state = args.str("state").unwrap_or("present").to_string();
    let mut params = Params {
        args: &args,
        jump: args.str("jump").map(str::to_string),
    };
    let rule_text = construct_rule(&params).join(" ");
    let mut outcome = Outcome::changed(false);
    outcome
        .set("ip_version", ip_version.as_str())
        .set("table", args.str("table").unwrap_or("filter"))
        .set("chain", args.get("chain").cloned().unwrap_or(Value::null()))
        .set("flush", flush)
        .set("rule", rule_text.as_str())
        .set("state", state.as_str())
        .set("chain_management", args.bool("chain_management", false))
        .set("wait", args.get("wait").cloned().unwrap_or(Value::null()));
    let bins: &[&str] = match ip_version.as_str() {
        "both" => &["iptables", "ip6tables"],
        "ipv6" => &["ip6tables"],
        _ => &["iptables"],
    };
    let mut found = Vec::new();
    for bin in bins {
        let script = format!(
            "{}{}",
            section(
                "path",
                "printf '%s\\n' \"$PATH\"; for d in /sbin /usr/sbin /usr/local/sbin; do [ -e $d ] && echo $d; done"
            ),
            section("bin", &format!("command -v {bin}")),
        );
        let s = probe(target, &script).await?;
        match s.get("bin").map(|b| b.trim()).filter(|b| !b.is_empty()) {
            Some(path) => found.push(path.to_string()),
            None => {
                let mut lines = s.get("path").map(|p| p.lines()).into_iter().flatten();
                let mut paths: Vec<String> = lines
                    .next()
                    .unwrap_or_default()
                    .split(':')
                    .map(str::to_string)
                    .collect();
                for d in lines {
                    if !paths.iter().any(|p| p == d) {
                        paths.push(d.to_string());
                    }
                }
                return Ok(Outcome::failure(format!(
                    "Failed to find required executable \"{bin}\" in paths: {}",
                    paths.join(":")
                )));
            }
        }
    }
    let mut any_changed = false;
    for bin in &found {
        if args.get("log_prefix").is_some() || args.get("log_level").is_some() {
            match params.jump.as_deref() {
                None => params.jump = Some("LOG".into()),
                Some("LOG") => {}
                Some(_) => {
                    return Ok(Outcome::failure(
                        "Logging options can only be used with the LOG jump target.",
                    ));
                }
            }
        }
        let version = run_cmd(target, &[bin.clone(), "--version".into()]).await?;
        if version.rc != 0 {
            return Ok(command_failure(
                &[bin.clone(), "--version".into()],
                &version,
            ));
        }
        let rule = construct_rule(&params);
        let listing = |numeric: bool| {
            let mut cmd = command(bin, &args, "-L", None);
            if numeric {
                cmd.push("--numeric".into());
            }
            cmd
        };
        let mut todo: Option<Vec<String>> = None;
        let changed;
        if flush {
            changed = true;
            todo = Some(command(bin, &args, "-F", None));
        } else if let Some(policy) = args.str("policy") {
            let cmd = listing(args.bool("numeric", false));
            let ran = run_cmd(target, &cmd).await?;
            if ran.rc != 0 {
                return Ok(command_failure(&cmd, &ran));
            }
            let head = ran.stdout.split('\n').next().unwrap_or_default();
            let current = head
                .split_once("(policy ")
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(p, _)| p.to_string())
                .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase()));
            let Some(current) = current else {
                return Ok(Outcome::failure("Can't detect current policy"));
            };
            changed = current != policy;
            let mut cmd = command(bin, &args, "-P", None);
            cmd.push(policy.into());
            todo = changed.then_some(cmd);
        } else if rule.is_empty() {
            let ran = run_cmd(target, &listing(args.bool("numeric", false))).await?;
            let present = ran.rc == 0;
            let manage = args.bool("chain_management", false);
            if state == "absent" {
                changed = present;
                if present && manage {
                    todo = Some(command(bin, &args, "-X", None));
                }
            } else {
                changed = !present;
                if !present && manage {
                    todo = Some(command(bin, &args, "-N", None));
                }
            }
        } else {
            let ran = run_cmd(target, &command(bin, &args, "-C", Some(&rule))).await?;
            let present = ran.rc == 0;
            let want = state == "present";
            changed = present != want;
            if changed {
                let action = match (want, args.str("action")) {
                    (false, _) => "-D",
                    (true, Some("insert")) => "-I",
                    (true, _) => "-A",
                };
                todo = Some(command(bin, &args, action, Some(&rule)));
            }
        }
        any_changed |= changed;
        outcome.changed = any_changed;
        if let Some(cmd) = todo.filter(|_| !target.check_mode) {
            let ran = run_cmd(target, &cmd).await?;
            if ran.rc != 0 {
                return Ok(command_failure(&cmd, &ran));
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxible_yaml::Map;

    fn rule(pairs: &[(&str, Value)]) -> String {
        let mut raw = Map::new();
        for (k, v) in pairs {
            raw.insert(Value::from(*k), v.clone());
        }
        let args = Args::validate("iptables", SPEC, &raw).unwrap();
        let p = Params {
            args: &args,
            jump: args.str("jump").map(str::to_string),
        };
        construct_rule(&p).join(" ")
    }

    #[test]
    fn rules_are_built_in_the_modules_order() {
        assert_eq!(
            rule(&[
                ("chain", "INPUT".into()),
                ("protocol", "tcp".into()),
                ("destination_port", "22".into()),
                (
                    "ctstate",
                    Value::seq(vec!["NEW".into(), "ESTABLISHED".into()])
                ),
                ("jump", "ACCEPT".into()),
                ("comment", "ssh in".into()),
            ]),
            "-p tcp -j ACCEPT --destination-port 22 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment ssh in"
        );
        assert_eq!(
            rule(&[("chain", "INPUT".into()), ("source", "!10.0.0.1".into())]),
            "! -s 10.0.0.1"
        );
    }
}
