//! `uri`: one HTTP request from the target, as Ansible's module makes it there.
//!
//! The request runs with the target's curl (wget, else the controller's curl, when it has
//! none) in one round trip with `creates`/`removes` checked first; the result is built as
//! Ansible's: the response headers as keys (lower case, `-` as `_`), `status`, `msg`
//! (`OK (<n> bytes)` or `HTTP Error <code>: <reason>`), `url`, `redirected`, `elapsed`,
//! `cookies`, `json` for JSON answers and `content` with `return_content`; a status outside
//! `status_code` fails with Ansible's message. With `dest`, the body is written there
//! atomically (beside it first), and the file attributes applied.

use std::collections::HashMap;

use oxible_yaml::{Map, Value, ValueKind};

use crate::fs::{self, Attrs, Install, ProbeOutput, Source, Stat, Want};
use crate::http::{self, Fetched, Request, Tool};
use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("url", ArgType::Str).required(),
        ArgSpec::new("dest", ArgType::Path),
        ArgSpec::new("url_username", ArgType::Str).aliases(&["user", "username"]),
        ArgSpec::new("body", ArgType::Raw),
        ArgSpec::new("body_format", ArgType::Str).choices(&[
            "form-urlencoded",
            "json",
            "raw",
            "form-multipart",
        ]),
        ArgSpec::new("src", ArgType::Path),
        ArgSpec::new("method", ArgType::Str),
        ArgSpec::new("return_content", ArgType::Bool),
        ArgSpec::new("follow_redirects", ArgType::Str)
            .choices(&["all", "no", "none", "safe", "urllib2", "yes"]),
        ArgSpec::new("creates", ArgType::Path),
        ArgSpec::new("removes", ArgType::Path),
        ArgSpec::new("status_code", ArgType::List),
        ArgSpec::new("unix_socket", ArgType::Path),
        ArgSpec::new("remote_src", ArgType::Bool),
        ArgSpec::new("ca_path", ArgType::Path),
        ArgSpec::new("force", ArgType::Bool),
    ];
    fs::with_common::<30, 39>(crate::args::concat::<16, 30>(own, &http::URL_SPEC))
};

module!(
    /// The `uri` module.
    pub Uri = "uri", SPEC, run
);

/// Python's `urllib.parse.quote_plus`.
fn quote_plus(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Ansible's `form_urlencoded`: a dict or list of pairs as `k=v&…` (lists repeat the key).
fn form_urlencoded(body: &Value) -> String {
    let pairs: Vec<(Value, Value)> = match &body.kind {
        ValueKind::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ValueKind::Seq(items) => items
            .iter()
            .filter_map(|item| match &item.kind {
                ValueKind::Seq(pair) if pair.len() == 2 => Some((pair[0].clone(), pair[1].clone())),
                _ => None,
            })
            .collect(),
        _ => return body.py_str(),
    };
    let mut out = Vec::new();
    for (key, values) in pairs {
        let values = match &values.kind {
            ValueKind::Seq(items) => items.to_vec(),
            _ => vec![values],
        };
        for value in values {
            if matches!(value.kind, ValueKind::Null) {
                continue;
            }
            out.push(format!(
                "{}={}",
                quote_plus(&key.py_str()),
                quote_plus(&value.py_str())
            ));
        }
    }
    out.join("&")
}

/// A JSON document as a value (`None` when it is not JSON).
fn parse_json(text: &str) -> Option<Value> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(json_value(&json))
}

/// A parsed JSON document as a value, objects keeping their key order (as Python's `json`).
pub(crate) fn json_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::null(),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::new(ValueKind::Float(n.as_f64().unwrap_or_default())),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => Value::seq(items.iter().map(json_value).collect()),
        serde_json::Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(Value::from(k.as_str()), json_value(v));
            }
            Value::map(out)
        }
    }
}

/// Whether a `Content-Type` is JSON (`json`/`javascript`, or a `+json` suffix).
fn is_json_type(content_type: &str) -> bool {
    let main = content_type.split(';').next().unwrap_or_default().trim();
    let Some((_, sub)) = main.split_once('/') else {
        return false;
    };
    let sub = sub.rsplit('+').next().unwrap_or(sub).to_ascii_lowercase();
    sub == "json" || sub == "javascript"
}

/// Python's `str(list_of_ints)`.
fn py_int_list(codes: &[i64]) -> String {
    let items: Vec<String> = codes.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if target.check_mode {
        // Ansible's uri action refuses check mode before anything runs.
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some("This action (uri) does not support check mode.".into());
        outcome.set("skipped", true);
        return Ok(outcome);
    }
    let url = args.str("url").unwrap_or_default().to_string();
    let masked = http::mask_url(&url);
    args.exclusive(&["body", "src"])?;
    let method = args.str("method").unwrap_or("GET").to_uppercase();
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
        return Ok(Outcome::failure(
            "Parameter 'method' needs to be a single word in uppercase, like GET or POST.",
        ));
    }
    let mut status_codes = Vec::new();
    match args.get("status_code").map(|v| &v.kind) {
        None => status_codes.push(200),
        Some(ValueKind::Seq(items)) => {
            for item in items.iter() {
                match item.py_str().trim().parse::<i64>() {
                    Ok(code) => status_codes.push(code),
                    Err(_) => {
                        return Err(ModuleError::Args(format!(
                            "Elements value for option 'status_code' is of type {} and we were unable to convert to int",
                            item.type_name()
                        )));
                    }
                }
            }
        }
        Some(_) => status_codes.push(200),
    }
    let mut request = Request::from_args(&args, &url, &method, 30);
    let has_header = |request: &Request, name: &str| {
        request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let format = args.str("body_format").unwrap_or("raw");
    if let Some(body) = args.get("body") {
        let text = match format {
            "json" => {
                if !has_header(&request, "content-type") {
                    request
                        .headers
                        .push(("Content-Type".into(), "application/json".into()));
                }
                match &body.kind {
                    ValueKind::Str(s) | ValueKind::Unsafe(s) => s.to_string(),
                    _ => body.py_json(None, false),
                }
            }
            "form-urlencoded" => {
                if !has_header(&request, "content-type") {
                    request.headers.push((
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                }
                form_urlencoded(body)
            }
            "form-multipart" => {
                return Ok(Outcome::failure(
                    "body_format form-multipart is not supported by oxible",
                ));
            }
            _ => body.py_str(),
        };
        request.body = Some(text.into_bytes());
    } else if format == "json" && !has_header(&request, "content-type") {
        request
            .headers
            .push(("Content-Type".into(), "application/json".into()));
    } else if format == "form-urlencoded" && !has_header(&request, "content-type") {
        request.headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    request.body_file = args.str("src").map(str::to_string);
    request.follow = match args.str("follow_redirects").unwrap_or("safe") {
        "all" | "yes" => true,
        "none" | "no" => false,
        _ => method == "GET" || method == "HEAD",
    };
    let dest = args.str("dest").map(str::to_string);
    let attrs = Attrs::from_args(&args)?;

    // creates/removes, then the request, in one command.
    let q = oxible_shell::quote;
    let mut guard = String::from("LC_ALL=C; export LC_ALL; ");
    if let Some(creates) = args.str("creates") {
        guard.push_str(&format!(
            "if [ -e {} ]; then echo '@skip creates'; exit 0; fi; ",
            q(creates)
        ));
    }
    if let Some(removes) = args.str("removes") {
        guard.push_str(&format!(
            "if ! [ -e {} ]; then echo '@skip removes'; exit 0; fi; ",
            q(removes)
        ));
    }
    let mut dest_info = String::new();
    if let Some(dest) = &dest {
        let qd = q(dest);
        dest_info = format!(
            "{}{}if [ -f {qd} ]; then IMS=$(LC_ALL=C date -u -r {qd} '+%a, %d %b %Y %H:%M:%S GMT'); fi; ",
            fs::ids_snippet(&attrs),
            fs::probe_snippet(
                &qd,
                Want {
                    sha1: true,
                    ..Want::default()
                }
            ),
        );
    }
    let stage = match &dest {
        Some(dest) => format!(
            "if [ -d {0} ]; then sd={0}; else sd=$(dirname -- {0}); fi; out=$(mktemp \"$sd/.oxible_uri.XXXXXX\")",
            q(dest)
        ),
        None => "out=$(mktemp)".to_string(),
    };
    let start = std::time::Instant::now();
    let (mut script, stdin) = request.script(Tool::Curl, &stage);
    if dest.is_some() {
        script = script.replacen(
            "curl -K - ",
            "curl -K - ${IMS:+-H \"If-Modified-Since: $IMS\"} ",
            1,
        );
        script.push_str(&section("file", "printf '%s\\n' \"$out\""));
        script.push_str(&section("body", "cat \"$out\""));
    } else {
        script.push_str(&section("body", "cat \"$out\"; rm -f \"$out\""));
    }
    let full = format!(
        "{guard}{dest_info}command -v curl >/dev/null 2>&1 || {{ echo '@nocurl'; exit 0; }}; {script}"
    );
    let out = target.run(&full, None, Some(stdin)).await?;
    let text = out.stdout_text();
    if let Some(line) = text.lines().find(|l| l.starts_with("@skip ")) {
        let mut outcome = Outcome::changed(false);
        let msg = if line.ends_with("creates") {
            format!(
                "skipped, since '{}' exists",
                args.str("creates").unwrap_or_default()
            )
        } else {
            format!(
                "skipped, since '{}' does not exist",
                args.str("removes").unwrap_or_default()
            )
        };
        outcome.set("stdout", msg);
        return Ok(outcome);
    }
    let dest_probe = ProbeOutput::parse(crate::system::head(&text).as_bytes());
    let (fetched, body, staged) = if text.lines().any(|l| l == "@nocurl") {
        let mut request = request.clone();
        if let Some(st) = dest_probe.first().followed().filter(|st| st.is_reg()) {
            request
                .headers
                .push(("If-Modified-Since".into(), http::http_date(st.mtime as i64)));
        }
        fallback(target, &request).await?
    } else {
        let parts = sections(&text);
        let fetched = Fetched::from_sections(&parts, Tool::Curl, &url);
        let body = parts.get("body").cloned().unwrap_or_default().into_bytes();
        let staged = parts.get("file").map(|f| f.trim().to_string());
        (fetched, body, staged)
    };
    let elapsed = start.elapsed().as_secs() as i64;
    let response = &fetched.response;
    let status = response.status;

    let mut outcome = Outcome::changed(false);
    let ok = (200..300).contains(&status);
    if status == -1 {
        outcome.set("url", masked.as_str());
    } else {
        for (name, value) in &response.headers {
            let key = name.replace('-', "_").to_lowercase();
            if let Some(previous) = outcome.values.get(&Value::from(key.as_str())).cloned() {
                // Repeated headers are joined as Python's HTTPMessage does.
                outcome.set(&key, format!("{}, {value}", previous.py_str()));
            } else {
                outcome.set(&key, value.as_str());
            }
        }
        if let Some(location) = response.header("location") {
            outcome.set("location", http::join_url(&masked, location));
        }
        outcome.set("url", response.url.as_str());
        if ok {
            let cookies = cookies(&response.headers);
            let cookie_string: Vec<String> =
                cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut map = Map::new();
            for (k, v) in &cookies {
                map.insert(Value::from(k.as_str()), Value::from(v.as_str()));
            }
            outcome
                .set("cookies", Value::map(map))
                .set("cookies_string", cookie_string.join("; "));
        }
    }
    let msg = if status == -1 {
        fetched.failure_msg()
    } else if ok {
        response.ok_msg()
    } else {
        response.error_msg()
    };
    outcome
        .set("redirected", response.url != masked && status != -1)
        .set("elapsed", elapsed)
        .set("status", status);
    let content_type = response.header("content-type").unwrap_or_default();
    let maybe_json = is_json_type(content_type);
    let return_content = args.bool("return_content", false);
    let accepted = status_codes.contains(&status);
    let content = String::from_utf8_lossy(&body).into_owned();
    if maybe_json
        && status != -1
        && let Some(json) = parse_json(&content)
    {
        outcome.set("json", json);
    }

    if let Some(dest) = &dest {
        if accepted && status != 304 && status != -1 {
            let probe = dest_probe.first();
            let is_dir = probe.followed().is_some_and(Stat::is_dir);
            let path = if is_dir {
                let name = response
                    .header("content-disposition")
                    .and_then(http::disposition_filename)
                    .unwrap_or_else(|| "index.html".into());
                format!("{}/{name}", dest.trim_end_matches('/'))
            } else {
                dest.clone()
            };
            let current = if is_dir {
                fs::probe_path(target, &path, Want::default(), &Attrs::default())
                    .await?
                    .first()
            } else {
                probe
            };
            let old = current.followed().filter(|st| st.is_reg()).cloned();
            let perm = old
                .as_ref()
                .map(Stat::perm)
                .unwrap_or(0o666 & !dest_probe.umask);
            let st = Stat {
                st_mode: 0o100_000 | perm,
                ..old.clone().unwrap_or_default()
            };
            let after = match attrs.plan(&path, &st, &dest_probe, &mut fs::Diff::default()) {
                Ok(after) => after,
                Err(msg) => return Ok(Outcome::failure(msg)),
            };
            let installed = fs::install(
                target,
                Install {
                    after,
                    ..Install::new(
                        path.clone(),
                        // Staged beside dest by curl, else (fallback) sent from here.
                        match staged {
                            Some(staged) => Source::Staged(staged),
                            None => Source::Bytes(body.clone()),
                        },
                        perm,
                        old.as_ref().map(|st| (st.uid, st.gid)),
                    )
                },
            )
            .await;
            let installed = match installed {
                Ok(installed) => installed,
                Err(ModuleError::Failed(msg)) => return Ok(Outcome::failure(msg)),
                Err(e) => return Err(e),
            };
            outcome.changed = true;
            outcome.set("path", path);
            fs::add_path_info(&mut outcome, &installed.probe);
        } else {
            if let Some(staged) = staged {
                target
                    .run(
                        &format!("rm -f -- {}", oxible_shell::quote(&staged)),
                        None,
                        None,
                    )
                    .await?;
            }
            outcome.set("path", dest.as_str());
            fs::add_path_info(&mut outcome, &dest_probe.first());
        }
    }

    if !accepted {
        let failure = format!(
            "Status code was {status} and not {}: {msg}",
            py_int_list(&status_codes)
        );
        if return_content {
            outcome.set("content", content);
        }
        outcome.failed = true;
        outcome.msg = Some(failure);
        return Ok(outcome);
    }
    if return_content {
        outcome.set("content", content);
    }
    outcome.msg = Some(msg);
    Ok(outcome)
}

/// The target has no curl: wget there, else curl on the controller.
async fn fallback(
    target: &Target,
    request: &Request,
) -> Result<(Fetched, Vec<u8>, Option<String>), ModuleError> {
    let out = target.run(Tool::detect_snippet(), None, None).await?;
    let tool = Tool::from_output(&out.stdout_text());
    if tool == Tool::Controller {
        let (fetched, body) = http::controller_fetch(request).map_err(ModuleError::Failed)?;
        return Ok((fetched, body, None));
    }
    let (mut script, stdin) = request.script(tool, "out=$(mktemp)");
    script.push_str(&section("body", "cat \"$out\"; rm -f \"$out\""));
    let out = target.run(&script, None, Some(stdin)).await?;
    let parts = sections(&out.stdout_text());
    let fetched = Fetched::from_sections(&parts, tool, &request.url);
    let body = parts.get("body").cloned().unwrap_or_default().into_bytes();
    Ok((fetched, body, None))
}

/// The cookies `Set-Cookie` headers set: name and value, in order.
fn cookies(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        if name != "set-cookie" {
            continue;
        }
        let pair = value.split(';').next().unwrap_or_default();
        if let Some((k, v)) = pair.split_once('=') {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            match seen.get(&k) {
                Some(&i) => out[i].1 = v,
                None => {
                    seen.insert(k.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_like_python() {
        let mut map = Map::new();
        map.insert(Value::from("a b"), Value::from("x&y"));
        map.insert(
            Value::from("l"),
            Value::seq(vec![Value::from(1), Value::from("2")]),
        );
        assert_eq!(form_urlencoded(&Value::map(map)), "a+b=x%26y&l=1&l=2");
        assert_eq!(py_int_list(&[200, 201]), "[200, 201]");
        assert!(is_json_type("application/vnd.api+json; charset=utf-8"));
        assert!(!is_json_type("text/plain"));
        assert_eq!(
            http::join_url("http://h:1/a/b", "/c"),
            "http://h:1/c".to_string()
        );
    }
}
