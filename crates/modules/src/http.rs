//! HTTP on the target for `get_url` and `uri`: which client the target has (curl, else wget,
//! else the controller's curl with the file pushed over), the client command for one request,
//! and the response read back (status line, headers of the last response, final URL).
//!
//! Ansible runs these modules on the target with Python's urllib (`fetch_url`); oxible runs the
//! target's own client instead, so that requests still leave from the target. curl receives
//! everything the user wrote (URL, headers, credentials, body) through a config file on stdin
//! (`-K -`), never on its command line.

use oxible_yaml::{Map, Value};

use crate::{ArgSpec, ArgType, Args};

/// The request options `get_url` and `uri` share (from `url_argument_spec()` and the options
/// both modules add to it); each module adds its own `url`, `url_username` (their aliases
/// differ) and `force`.
pub(crate) const URL_SPEC: [ArgSpec; 14] = [
    ArgSpec::new("url_password", ArgType::Str).aliases(&["password"]),
    ArgSpec::new("timeout", ArgType::Int),
    ArgSpec::new("headers", ArgType::Dict),
    ArgSpec::new("validate_certs", ArgType::Bool),
    ArgSpec::new("force_basic_auth", ArgType::Bool),
    ArgSpec::new("use_proxy", ArgType::Bool),
    ArgSpec::new("http_agent", ArgType::Str),
    ArgSpec::new("client_cert", ArgType::Path),
    ArgSpec::new("client_key", ArgType::Path),
    ArgSpec::new("unredirected_headers", ArgType::List),
    ArgSpec::new("decompress", ArgType::Bool),
    ArgSpec::new("ciphers", ArgType::List),
    ArgSpec::new("use_netrc", ArgType::Bool),
    ArgSpec::new("use_gssapi", ArgType::Bool),
];

/// The HTTP client a request runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// curl on the target.
    Curl,
    /// wget on the target.
    Wget,
    /// Neither exists there: curl on the controller (the body is then pushed with `put_file`).
    Controller,
}

impl Tool {
    /// A shell snippet printing `T curl`, `T wget` or `T none`.
    pub fn detect_snippet() -> &'static str {
        "if command -v curl >/dev/null 2>&1; then echo 'T curl'; elif command -v wget >/dev/null 2>&1; then echo 'T wget'; else echo 'T none'; fi; "
    }

    /// The tool named by the line a [`Tool::detect_snippet`] printed in `stdout`.
    pub fn from_output(stdout: &str) -> Self {
        match stdout.lines().find(|l| l.starts_with("T ")).map(str::trim) {
            Some("T curl") => Tool::Curl,
            Some("T wget") => Tool::Wget,
            _ => Tool::Controller,
        }
    }
}

/// One request, as `fetch_url`'s parameters describe it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// The URL.
    pub url: String,
    /// `GET`, `HEAD`, `POST` …
    pub method: String,
    /// Request headers, in the order given.
    pub headers: Vec<(String, String)>,
    /// Seconds before giving up.
    pub timeout: i64,
    /// Check the server's certificate.
    pub validate_certs: bool,
    /// Follow redirects.
    pub follow: bool,
    /// `url_username` / `url_password`.
    pub user: Option<(String, String)>,
    /// Send the credentials without waiting for a 401 (`force_basic_auth`).
    pub force_basic_auth: bool,
    /// The `User-Agent`.
    pub agent: String,
    /// The body, when there is one.
    pub body: Option<Vec<u8>>,
    /// A file on the target sent as the body (`uri src=`).
    pub body_file: Option<String>,
}

/// Ansible's `url_argument_spec` parameters shared by `get_url` and `uri`.
impl Request {
    /// A request for `url` with the common url arguments of `args` (`headers`, `timeout`,
    /// `validate_certs`, credentials, `http_agent`).
    pub fn from_args(args: &Args, url: &str, method: &str, default_timeout: i64) -> Self {
        let mut headers = Vec::new();
        if let Some(Value {
            kind: oxible_yaml::ValueKind::Map(map),
            ..
        }) = args.get("headers")
        {
            headers = header_pairs(map);
        }
        let user = args.str("url_username").map(|u| {
            (
                u.to_string(),
                args.str("url_password").unwrap_or_default().to_string(),
            )
        });
        Self {
            url: url.to_string(),
            method: method.to_string(),
            headers,
            timeout: args.int("timeout").unwrap_or(default_timeout),
            validate_certs: args.bool("validate_certs", true),
            follow: true,
            user,
            force_basic_auth: args.bool("force_basic_auth", false),
            agent: args
                .str("http_agent")
                .unwrap_or("ansible-httpget")
                .to_string(),
            body: None,
            body_file: None,
        }
    }

    /// The client command writing the body to the shell word `out` and the response headers
    /// to `hdr` (wget prints them on stderr, which its caller redirects); curl prints `~s <status> <final url>` on stdout. With curl the returned
    /// bytes are its config, to be fed on stdin.
    pub fn command(
        &self,
        tool: Tool,
        out: &str,
        hdr: &str,
        body: Option<&str>,
    ) -> (String, Vec<u8>) {
        match tool {
            Tool::Curl | Tool::Controller => self.curl(out, hdr, body),
            Tool::Wget => (self.wget(out, body), Vec::new()),
        }
    }

    /// A script running this request on the target with `tool` (curl or wget): `out_setup`
    /// sets the shell variable `out` to the file receiving the body (left in place); prints
    /// the sections `rc`, `w` (curl's status line), `err` and `hdr`. The bytes go to stdin.
    pub fn script(&self, tool: Tool, out_setup: &str) -> (String, Vec<u8>) {
        use crate::system::section;
        let file_word = self.body_file.as_deref().map(oxible_shell::quote);
        let body_word = match &file_word {
            Some(word) => Some(word.as_str()),
            None => self.body.as_ref().map(|_| "\"$b\""),
        };
        let (command, config) = self.command(tool, "\"$out\"", "\"$hdr\"", body_word);
        let mut script = format!(
            "LC_ALL=C; export LC_ALL; {out_setup} || exit 1; hdr=$(mktemp) && err=$(mktemp) || exit 1; "
        );
        let command = if tool == Tool::Wget {
            format!("{command} 2>\"$hdr\"")
        } else {
            format!("{command} 2>\"$err\"")
        };
        let mut stdin = Vec::new();
        match (&self.body, tool) {
            (Some(body), Tool::Curl) => {
                script.push_str(&format!(
                    "cfg=$(mktemp) && b=$(mktemp) || exit 1; dd bs=1 count={} of=\"$cfg\" 2>/dev/null; cat > \"$b\"; ",
                    config.len()
                ));
                stdin.extend_from_slice(&config);
                stdin.extend_from_slice(body);
                script.push_str(&format!(
                    "w=$({}); rc=$?; ",
                    command.replacen("-K -", "-K \"$cfg\"", 1)
                ));
            }
            (Some(body), _) => {
                script.push_str("cfg=; b=$(mktemp) || exit 1; cat > \"$b\"; ");
                stdin.extend_from_slice(body);
                script.push_str(&format!("w=$({command}); rc=$?; "));
            }
            (None, _) => {
                script.push_str("cfg=; b=; ");
                stdin = config;
                script.push_str(&format!("w=$({command}); rc=$?; "));
            }
        }
        script.push_str(&section("rc", "echo $rc"));
        script.push_str(&section("w", "printf '%s\\n' \"$w\""));
        script.push_str(&section("err", "cat \"$err\""));
        script.push_str(&section("hdr", "cat \"$hdr\""));
        script.push_str("rm -f \"$hdr\" \"$err\" ${cfg:+\"$cfg\"} ${b:+\"$b\"}\n");
        (script, stdin)
    }

    fn curl(&self, out: &str, hdr: &str, body: Option<&str>) -> (String, Vec<u8>) {
        let mut config = String::new();
        let mut opt = |name: &str, value: &str| {
            config.push_str(&format!("{name} = \"{}\"\n", curl_escape(value)));
        };
        opt("url", &self.url);
        opt("user-agent", &self.agent);
        for (name, value) in &self.headers {
            opt("header", &format!("{name}: {value}"));
        }
        if let Some((user, password)) = &self.user {
            opt("user", &format!("{user}:{password}"));
        }
        let mut command = format!(
            "curl -K - -sS -g --http1.1 -o {out} -D {hdr} -w '~s %{{http_code}} %{{url_effective}}\\n' --max-time {}",
            self.timeout.max(1)
        );
        if self.user.is_some() {
            command.push_str(if self.force_basic_auth {
                " --basic"
            } else {
                " --anyauth"
            });
        }
        if !self.validate_certs {
            command.push_str(" -k");
        }
        if self.follow {
            command.push_str(" -L --max-redirs 50");
        }
        match self.method.as_str() {
            "HEAD" => command.push_str(" -I"),
            "GET" => {}
            other => command.push_str(&format!(" -X {}", oxible_shell::quote(other))),
        }
        if let Some(body) = body {
            command.push_str(&format!(" --data-binary @{body}"));
        }
        (command, config.into_bytes())
    }

    fn wget(&self, out: &str, body: Option<&str>) -> String {
        let q = oxible_shell::quote;
        let mut command = format!(
            "wget -q -S --content-on-error -O {out} --timeout={} -U {}",
            self.timeout.max(1),
            q(&self.agent)
        );
        for (name, value) in &self.headers {
            command.push_str(&format!(" --header={}", q(&format!("{name}: {value}"))));
        }
        if let Some((user, password)) = &self.user {
            command.push_str(&format!(" --user={} --password={}", q(user), q(password)));
            if self.force_basic_auth {
                command.push_str(" --auth-no-challenge");
            }
        }
        if !self.validate_certs {
            command.push_str(" --no-check-certificate");
        }
        if !self.follow {
            command.push_str(" --max-redirect=0");
        }
        if self.method != "GET" {
            command.push_str(&format!(" --method={}", q(&self.method)));
        }
        if let Some(body) = body {
            command.push_str(&format!(" --body-file={body}"));
        }
        format!("{command} {}", q(&self.url))
    }
}

/// `headers` as (name, text) pairs, values printed as Python's `str()` does.
pub(crate) fn header_pairs(map: &Map) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.py_str(), v.py_str())).collect()
}

/// A value inside a double-quoted curl config string.
fn curl_escape(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// One response in a header dump: status, reason, headers.
type Block = (i64, String, Vec<(String, String)>);

/// What came back.
#[derive(Debug, Clone, Default)]
pub(crate) struct Response {
    /// The status code; -1 when no response was read.
    pub status: i64,
    /// The reason phrase (`Not Found`).
    pub reason: String,
    /// The last response's headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The URL of the last response (after redirects).
    pub url: String,
    /// Whether a redirect was followed.
    pub redirected: bool,
}

impl Response {
    /// Reads the header dump (`curl -D` / `wget -S`'s stderr) and curl's `@s` line; `url` is
    /// the one asked for.
    pub fn parse(headers: &str, status_line: Option<&str>, url: &str) -> Self {
        let mut blocks: Vec<Block> = Vec::new();
        for raw in headers.lines() {
            let line = raw.trim_end_matches('\r').trim_start();
            if line.starts_with("HTTP/") {
                let mut parts = line.splitn(3, ' ');
                parts.next();
                let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
                let reason = parts.next().unwrap_or_default().to_string();
                blocks.push((code, reason, Vec::new()));
            } else if let Some((name, value)) = line.split_once(':')
                && let Some(block) = blocks.last_mut()
            {
                block
                    .2
                    .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        // 1xx interim responses are not answers.
        blocks.retain(|b| !(100..200).contains(&b.0));
        let mut response = Response {
            status: -1,
            url: url.to_string(),
            ..Response::default()
        };
        if let Some(last) = blocks.last() {
            response.status = last.0;
            response.reason = last.1.clone();
            response.headers = last.2.clone();
        }
        response.redirected = blocks.len() > 1;
        if let Some(line) = status_line.and_then(|l| l.strip_prefix("~s ")) {
            let mut parts = line.splitn(2, ' ');
            let code: i64 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
            if code > 0 && response.status < 0 {
                response.status = code;
            }
            if let Some(effective) = parts.next().filter(|u| !u.is_empty()) {
                response.url = effective.trim().to_string();
            }
        } else {
            // wget: follow the Location headers of the redirects.
            for block in &blocks[..blocks.len().saturating_sub(1)] {
                if let Some((_, location)) = block.2.iter().find(|(n, _)| n == "location") {
                    response.url = join_url(&response.url, location);
                }
            }
        }
        response
    }

    /// A header of the last response (`name` lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `fetch_url`'s `msg` for a success: `OK (<content-length> bytes)`.
    pub fn ok_msg(&self) -> String {
        format!(
            "OK ({} bytes)",
            self.header("content-length").unwrap_or("unknown")
        )
    }

    /// `fetch_url`'s `msg` for an HTTP error: `HTTP Error 404: Not Found`.
    pub fn error_msg(&self) -> String {
        format!("HTTP Error {}: {}", self.status, self.reason)
    }
}

/// `location` resolved against `base` (absolute URLs, absolute paths, relative paths).
pub(crate) fn join_url(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    if location.starts_with('/') {
        return format!("{}{location}", &base[..host_end]);
    }
    let path_end = base
        .rfind('/')
        .filter(|i| *i >= host_end)
        .unwrap_or(host_end);
    format!("{}/{location}", &base[..path_end])
}

/// The file name part of a URL's path (`index.html` when empty), as `url_filename`.
pub(crate) fn url_filename(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "index.html".to_string(),
    }
}

/// The `filename` parameter of a `Content-Disposition` header (its base name).
pub(crate) fn disposition_filename(header: &str) -> Option<String> {
    for param in header.split(';').skip(1) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("filename") {
            let value = value.trim().trim_matches('"');
            let base = value.rsplit('/').next().unwrap_or(value);
            if !base.is_empty() {
                return Some(base.to_string());
            }
        }
    }
    None
}

/// The target command computing `algorithm`'s digest (`sha256` → `sha256sum`).
pub(crate) fn digest_tool(algorithm: &str) -> Option<&'static str> {
    Some(match algorithm.to_ascii_lowercase().as_str() {
        "md5" => "md5sum",
        "sha1" => "sha1sum",
        "sha224" => "sha224sum",
        "sha256" => "sha256sum",
        "sha384" => "sha384sum",
        "sha512" => "sha512sum",
        _ => return None,
    })
}

/// What a request run by [`Request::script`] (or on the controller) gave back.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fetched {
    /// The response (status -1 when none).
    pub response: Response,
    /// The client's exit code.
    pub rc: i32,
    /// The client's error text.
    pub error: String,
}

impl Fetched {
    /// Reads the sections a [`Request::script`] printed.
    pub fn from_sections(
        sections: &std::collections::HashMap<String, String>,
        tool: Tool,
        url: &str,
    ) -> Self {
        let get = |name: &str| sections.get(name).map(String::as_str).unwrap_or_default();
        let rc = get("rc").trim().parse().unwrap_or(-1);
        let w = get("w").lines().find(|l| l.starts_with("~s "));
        let response = Response::parse(get("hdr"), w, url);
        let error = match tool {
            Tool::Wget => get("hdr")
                .lines()
                .filter(|l| !l.starts_with(' ') && !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => get("err").trim().to_string(),
        };
        Self {
            response,
            rc,
            error,
        }
    }

    /// Ansible's message when no response came (`fetch_url`'s status -1).
    pub fn failure_msg(&self) -> String {
        let error = self.error.trim().trim_start_matches("curl: ");
        format!("Request failed: {error}")
    }
}

/// Runs `request` with curl on the controller (the fallback when the target has no client):
/// what came back, and the body.
pub(crate) fn controller_fetch(request: &Request) -> Result<(Fetched, Vec<u8>), String> {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("oxible-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let unique = format!("{:?}", std::thread::current().id())
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>();
    let out = dir.join(format!("body-{unique}"));
    let hdr = dir.join(format!("hdr-{unique}"));
    let body_file = dir.join(format!("req-{unique}"));
    let body_word = match &request.body {
        Some(body) => {
            std::fs::write(&body_file, body).map_err(|e| e.to_string())?;
            Some("\"$req\"")
        }
        None => None,
    };
    let (command, config) = request.command(Tool::Controller, "\"$out\"", "\"$hdr\"", body_word);
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("out", &out)
        .env("hdr", &hdr)
        .env("req", &body_file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("curl on the controller: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&config);
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let body = std::fs::read(&out).unwrap_or_default();
    let headers = std::fs::read_to_string(&hdr).unwrap_or_default();
    for file in [&out, &hdr, &body_file] {
        let _ = std::fs::remove_file(file);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let w = stdout.lines().find(|l| l.starts_with("~s "));
    Ok((
        Fetched {
            response: Response::parse(&headers, w, &request.url),
            rc: output.status.code().unwrap_or(-1),
            error: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        },
        body,
    ))
}

/// Ansible's `mask_url`: the password of `user:password@` written `********`.
pub(crate) fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let netloc_end = rest.find('/').unwrap_or(rest.len());
    let netloc = &rest[..netloc_end];
    match netloc.rsplit_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:********@{host}{}", &rest[netloc_end..])
        }
        _ => url.to_string(),
    }
}

/// An HTTP date (`Thu, 01 Jan 1970 00:00:00 GMT`) for seconds since the epoch.
pub(crate) fn http_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_last_response_after_redirect() {
        let dump = "HTTP/1.0 301 Moved Permanently\r\nLocation: /b\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 12\r\nContent-Disposition: attachment; filename=\"x.tgz\"\r\n\r\n";
        let r = Response::parse(dump, Some("~s 200 http://h/b"), "http://h/a");
        assert_eq!((r.status, r.reason.as_str()), (200, "OK"));
        assert_eq!(r.url, "http://h/b");
        assert!(r.redirected);
        assert_eq!(r.ok_msg(), "OK (12 bytes)");
        assert_eq!(
            disposition_filename(r.header("content-disposition").unwrap_or_default()).as_deref(),
            Some("x.tgz")
        );
        let wget = "  HTTP/1.1 302 Found\n  Location: sub/c\n  HTTP/1.1 404 Not Found\n";
        let r = Response::parse(wget, None, "http://h/d/a");
        assert_eq!(r.url, "http://h/d/sub/c");
        assert_eq!(r.error_msg(), "HTTP Error 404: Not Found");
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
    }

    #[test]
    fn file_names_like_ansible() {
        assert_eq!(url_filename("http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
        assert_eq!(curl_escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
