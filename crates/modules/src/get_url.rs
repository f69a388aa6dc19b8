//! `get_url`: downloads a URL to a file on the target, as Ansible's module does there.
//!
//! One probe (the client the target has, `dest`'s stat, SHA-1 and the `checksum` algorithm's
//! digest, its parent, the ids of `owner`/`group`), then the download with curl or wget into a
//! temp file beside `dest` (its checksums computed in the same command), then either an atomic
//! rename over `dest` (keeping the old file's mode and owner, as `atomic_move`) or the temp
//! file's removal, with `mode`/`owner`/`group` applied last. As Ansible: an existing `dest`
//! without `force` is asked for with `If-Modified-Since` (a 304 changes nothing), and with a
//! matching `checksum` nothing is downloaded at all; check mode sends a `HEAD` request.
//! When the target has neither curl nor wget, the controller's curl downloads and the file is
//! pushed with the connection's `put_file`.

use std::collections::HashMap;

use oxible_yaml::Value;

use crate::fs::{self, Attrs, Install, Probe, ProbeOutput, Source, Stat, Want};
use crate::http::{self, Fetched, Request, Tool};
use crate::system::{section, sections};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &{
    let own = [
        ArgSpec::new("url", ArgType::Str).required(),
        ArgSpec::new("dest", ArgType::Path).required(),
        ArgSpec::new("backup", ArgType::Bool),
        ArgSpec::new("checksum", ArgType::Str),
        ArgSpec::new("tmp_dest", ArgType::Path),
        ArgSpec::new("force", ArgType::Bool).aliases(&["thirsty"]),
        ArgSpec::new("url_username", ArgType::Str).aliases(&["username"]),
    ];
    fs::with_common::<21, 30>(crate::args::concat::<7, 21>(own, &http::URL_SPEC))
};

module!(
    /// The `get_url` module.
    pub GetUrl = "get_url", SPEC, run
);

/// SHA-1 of nothing: what a `HEAD` request's body hashes to (check mode's `checksum_src`).
const EMPTY_SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

/// `<algorithm>:<digest or URL>` split, the digest normalized as Ansible does.
fn split_checksum(text: &str) -> Option<(String, String)> {
    let (algorithm, value) = text.split_once(':')?;
    Some((algorithm.to_string(), value.to_string()))
}

/// Ansible's normalization of an expected digest: non-word characters dropped, lower case.
fn normalize_digest(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase()
}

/// The digest for `filename` in a checksum file (GNU `<digest>  <name>` or BSD
/// `ALGO (<name>) = <digest>` lines; a lone digest applies to any file), as
/// `parse_digest_lines`.
fn digest_from_listing(filename: &str, text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() == 1 && lines[0].split_whitespace().count() == 1 {
        return Some(lines[0].to_string());
    }
    for line in lines {
        let (digest, path) = if let Some((head, digest)) = line.rsplit_once(") = ")
            && let Some((_, path)) = head.split_once('(')
        {
            (digest.trim(), path)
        } else if let Some((digest, rest)) = line.split_once(char::is_whitespace) {
            let rest = rest.trim_start();
            let rest = rest
                .strip_prefix('*')
                .or_else(|| rest.strip_prefix("./"))
                .unwrap_or(rest);
            (digest, rest.trim_start_matches(['.', '/']))
        } else {
            continue;
        };
        if path == filename {
            return Some(digest.to_string());
        }
    }
    None
}

fn dirname(path: &str) -> String {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/".into(),
        Some(at) => path[..at].to_string(),
        None => ".".into(),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// A shell snippet printing `D <digest>` of `path_word` with `tool` when it is a readable file.
fn digest_snippet(tag: &str, path_word: &str, tool: &str) -> String {
    format!(
        "[ -f {path_word} ] && [ -r {path_word} ] && printf '{tag} %s\\n' \"$({tool} < {path_word} | cut -d' ' -f1)\"; "
    )
}

/// The first line of `text` starting with `tag ` (its rest).
fn tagged<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(tag).and_then(|r| r.strip_prefix(' ')))
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let url = args.str("url").unwrap_or_default().to_string();
    let mut dest = args.str("dest").unwrap_or_default().to_string();
    let attrs = Attrs::from_args(&args)?;
    let mut force = args.bool("force", false);
    let mut result = Outcome::changed(false);
    let masked = http::mask_url(&url);
    result
        .set("checksum_dest", Value::null())
        .set("checksum_src", Value::null())
        .set("dest", dest.as_str())
        .set("elapsed", 0)
        .set("url", masked.as_str());
    let fail = |mut result: Outcome, msg: String| {
        result.failed = true;
        result.msg = Some(msg);
        Ok(result)
    };

    let checksum = args.str("checksum").filter(|c| !c.is_empty());
    let mut expected: Option<(String, String)> = None;
    if let Some(text) = checksum {
        let Some(pair) = split_checksum(text) else {
            return fail(
                result,
                "The checksum parameter has to be in format <algorithm>:<checksum>".into(),
            );
        };
        expected = Some(pair);
    }
    let digest_tool = match &expected {
        Some((algorithm, _)) => match http::digest_tool(algorithm) {
            Some(tool) => Some(tool),
            None => {
                return fail(
                    result,
                    format!("Could not hash file with unsupported algorithm '{algorithm}'"),
                );
            }
        },
        None => None,
    };

    // One probe: client, dest, its digest, its parent, tmp_dest, ids.
    let qd = oxible_shell::quote(&dest);
    let mut script = format!(
        "LC_ALL=C; export LC_ALL; {}{}{}{}",
        fs::ids_snippet(&attrs),
        Tool::detect_snippet(),
        fs::probe_snippet(&qd, Want::default()),
        fs::probe_snippet(&oxible_shell::quote(&dirname(&dest)), Want::default()),
    );
    script.push_str(&format!(
        "[ -f {qd} ] && [ -r {qd} ] && printf 'H %s\\n' \"$(sha1sum < {qd} | cut -d' ' -f1)\"; "
    ));
    if let Some(tool) = digest_tool {
        script.push_str(&digest_snippet("D", &qd, tool));
    }
    if let Some(tmp_dest) = args.str("tmp_dest") {
        script.push_str(&fs::probe_snippet(
            &oxible_shell::quote(tmp_dest),
            Want::default(),
        ));
    }
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    let ids = ProbeOutput::parse(&out.stdout);
    let tool = Tool::from_output(&text);
    let mut records = ids.records.clone().into_iter();
    let dest_probe = records.next().unwrap_or_default();
    let parent = records.next().unwrap_or_default();
    let tmp_probe = records.next();
    let dest_is_dir = dest_probe.followed().is_some_and(Stat::is_dir);

    // The expected digest, read from a checksum file when given as a URL.
    if let Some((_, value)) = &mut expected {
        if is_url(value) {
            let request = Request::from_args(&args, value, "GET", 10);
            let (fetched, body) = match fetch_text(target, tool, &request).await? {
                Ok(got) => got,
                Err(msg) => return fail(result, msg),
            };
            if fetched.response.status != 200 && !value.starts_with("file:/") {
                let mut failed = result.clone();
                failed
                    .set("status_code", fetched.response.status)
                    .set("response", fetched.response.error_msg());
                return fail(failed, "Request failed".into());
            }
            let filename = http::url_filename(&url);
            let listing = String::from_utf8_lossy(&body).replace('\r', "");
            match digest_from_listing(&filename, &listing) {
                Some(found) => *value = found,
                None => {
                    return Ok(Outcome::failure(format!(
                        "Unable to find a checksum for file '{filename}' in '{}'",
                        http::mask_url(value)
                    )));
                }
            }
        }
        *value = normalize_digest(value);
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_hexdigit()) {
            return fail(result, "The checksum format is invalid".into());
        }
    }

    let mut if_modified = false;
    if !dest_is_dir && dest_probe.followed().is_some() {
        let dest_digest = tagged(&text, "D").map(str::to_string);
        let mismatch = !force
            && expected
                .as_ref()
                .is_some_and(|(_, want)| dest_digest.as_deref() != Some(want.as_str()));
        if !force && expected.is_some() && !mismatch {
            return attributes_only(target, result, &dest, &dest_probe, &ids, &attrs).await;
        }
        if mismatch {
            force = true;
        }
        if_modified = !force;
    }

    if !dest_is_dir && dest_probe.lstat.is_none() && !parent.followed().is_some_and(Stat::is_dir) {
        return fail(
            result,
            format!("Destination {} does not exist", dirname(&dest)),
        );
    }
    if let (Some(tmp_dest), Some(probe)) = (args.str("tmp_dest"), &tmp_probe)
        && !probe.followed().is_some_and(Stat::is_dir)
    {
        let msg = if probe.lstat.is_some() {
            format!("{tmp_dest} is a file but should be a directory.")
        } else {
            format!("{tmp_dest} directory does not exist.")
        };
        return Ok(Outcome::failure(msg));
    }

    // The download, into a temp file beside dest (or in tmp_dest).
    let method = if target.check_mode { "HEAD" } else { "GET" };
    let request = Request::from_args(&args, &url, method, 10);
    let stage_dir = match args.str("tmp_dest") {
        Some(dir) => dir.to_string(),
        None if dest_is_dir => dest.clone(),
        None => dirname(&dest),
    };
    let start = std::time::Instant::now();
    let download = match tool {
        Tool::Controller => {
            controller_download(
                target,
                &request,
                &stage_dir,
                if_modified,
                &dest_probe,
                digest_tool,
            )
            .await?
        }
        _ => {
            target_download(
                target,
                tool,
                &request,
                &stage_dir,
                if_modified,
                &dest,
                digest_tool,
            )
            .await?
        }
    };
    let elapsed = start.elapsed().as_secs() as i64;
    result.set("elapsed", elapsed);
    let response = &download.fetched.response;
    let status = response.status;
    if status == 304 {
        let mut outcome = Outcome::changed(false);
        outcome
            .set("url", masked.as_str())
            .set("dest", dest.as_str())
            .set("status_code", status)
            .set("elapsed", elapsed);
        outcome.msg = Some(response.error_msg());
        fs::add_path_info(&mut outcome, &dest_probe);
        return Ok(outcome);
    }
    if status == -1 && !url.starts_with("file:/") {
        let mut outcome = Outcome::failure(download.fetched.failure_msg());
        outcome
            .set("url", masked.as_str())
            .set("dest", dest.as_str())
            .set("elapsed", elapsed);
        return Ok(outcome);
    }
    if status != 200 && !url.starts_with("file:/") {
        let mut outcome = Outcome::failure("Request failed");
        outcome
            .set("status_code", status)
            .set("response", response.error_msg())
            .set("url", masked.as_str())
            .set("dest", dest.as_str())
            .set("elapsed", elapsed);
        return Ok(outcome);
    }
    result.set("src", download.tmp.as_str());

    // Where the file goes, and what is there.
    let mut dest_now = dest_probe.clone();
    if dest_is_dir {
        let name = response
            .header("content-disposition")
            .and_then(http::disposition_filename)
            .unwrap_or_else(|| http::url_filename(&response.url));
        dest = join(&dest, &name);
        result.set("dest", dest.as_str());
        dest_now = fs::probe_path(
            target,
            &dest,
            Want {
                sha1: true,
                ..Want::default()
            },
            &Attrs::default(),
        )
        .await?
        .first();
    }
    let checksum_src = if target.check_mode {
        EMPTY_SHA1.to_string()
    } else {
        download.sha1.clone()
    };
    result.set("checksum_src", checksum_src.as_str());
    let checksum_dest = if dest_is_dir {
        dest_now.sha1.clone()
    } else {
        tagged(&text, "H").map(str::to_string)
    }
    .filter(|_| dest_now.followed().is_some_and(Stat::is_reg));
    if let Some(sum) = &checksum_dest {
        result.set("checksum_dest", sum.as_str());
    }

    if target.check_mode {
        result.changed = checksum_dest.as_deref() != Some(checksum_src.as_str());
        result.msg = Some(response.ok_msg());
        fs::add_path_info(&mut result, &dest_now);
        return Ok(result);
    }

    if let Some((_, want)) = &expected
        && download.digest.as_deref() != Some(want.as_str())
    {
        let _ = target
            .run(
                &format!("rm -f -- {}", oxible_shell::quote(&download.tmp)),
                None,
                None,
            )
            .await;
        return fail(
            result,
            format!(
                "The checksum for {} did not match {want}; it was {}.",
                download.tmp,
                download.digest.clone().unwrap_or_default()
            ),
        );
    }

    let differs = checksum_dest.as_deref() != Some(checksum_src.as_str());
    let after_probe;
    if differs {
        let old = dest_now.followed().filter(|st| st.is_reg()).cloned();
        let perm = old.as_ref().map(Stat::perm).unwrap_or(0o666 & !ids.umask);
        let st = Stat {
            st_mode: 0o100_000 | perm,
            ..old.clone().unwrap_or_default()
        };
        let after = match attrs.plan(&dest, &st, &ids, &mut fs::Diff::default()) {
            Ok(after) => after,
            Err(msg) => return fail(result, msg),
        };
        let installed = fs::install(
            target,
            Install {
                backup: args.bool("backup", false),
                after,
                ..Install::new(
                    dest.clone(),
                    Source::Staged(download.tmp.clone()),
                    perm,
                    old.as_ref().map(|st| (st.uid, st.gid)),
                )
            },
        )
        .await;
        let installed = match installed {
            Ok(installed) => installed,
            Err(ModuleError::Failed(msg)) => {
                return fail(
                    result,
                    format!("failed to copy {} to {dest}: {msg}", download.tmp),
                );
            }
            Err(e) => return Err(e),
        };
        if let Some(backup) = installed.backup {
            result.set("backup_file", backup);
        }
        result.changed = true;
        after_probe = installed.probe;
    } else {
        let st = dest_now.followed().cloned().unwrap_or_default();
        let commands = match attrs.plan(&dest, &st, &ids, &mut fs::Diff::default()) {
            Ok(commands) => commands,
            Err(msg) => return fail(result, msg),
        };
        result.changed = !commands.is_empty();
        let mut script = format!("rm -f -- {}; ", oxible_shell::quote(&download.tmp));
        for command in &commands {
            script.push_str(&format!("{command} || exit 1; "));
        }
        script.push_str(&fs::probe_snippet(
            &oxible_shell::quote(&dest),
            Want::default(),
        ));
        let out = target.run(&script, None, None).await?;
        if out.rc != 0 {
            return fail(result, out.stderr_text().trim().to_string());
        }
        after_probe = ProbeOutput::parse(&out.stdout).first();
    }
    result.set("md5sum", download.md5.clone().unwrap_or_default());
    result.set("status_code", status);
    result.msg = Some(response.ok_msg());
    fs::add_path_info(&mut result, &after_probe);
    Ok(result)
}

fn is_url(text: &str) -> bool {
    ["http://", "https://", "ftp://", "file://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
}

/// `force=false` with a matching `checksum`: nothing downloaded, attributes applied.
async fn attributes_only(
    target: &Target,
    mut result: Outcome,
    dest: &str,
    probe: &Probe,
    ids: &ProbeOutput,
    attrs: &Attrs,
) -> Result<Outcome, ModuleError> {
    let st = probe.followed().cloned().unwrap_or_default();
    let commands = match attrs.plan(dest, &st, ids, &mut fs::Diff::default()) {
        Ok(commands) => commands,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    result.changed = !commands.is_empty();
    let after = if commands.is_empty() || target.check_mode {
        probe.clone()
    } else {
        fs::run_all(target, &commands).await?;
        fs::probe_path(target, dest, Want::default(), &Attrs::default())
            .await?
            .first()
    };
    result.msg = Some(if result.changed {
        "file already exists but file attributes changed".into()
    } else {
        "file already exists".into()
    });
    fs::add_path_info(&mut result, &after);
    Ok(result)
}

/// A downloaded (staged) file.
struct Download {
    fetched: Fetched,
    /// The temp file on the target.
    tmp: String,
    sha1: String,
    md5: Option<String>,
    /// The `checksum` algorithm's digest.
    digest: Option<String>,
}

/// Downloads on the target with curl or wget into a temp file in `stage_dir`; the temp file
/// is removed unless the answer is a 200 (or the URL a `file:` one).
async fn target_download(
    target: &Target,
    tool: Tool,
    request: &Request,
    stage_dir: &str,
    if_modified: bool,
    dest: &str,
    digest_tool: Option<&str>,
) -> Result<Download, ModuleError> {
    let setup = if target.check_mode {
        "out=$(mktemp)".to_string()
    } else {
        format!(
            "out=$(mktemp {}/.oxible_get_url.XXXXXX)",
            oxible_shell::quote(stage_dir.trim_end_matches('/'))
        )
    };
    let (mut script, stdin) = request.script(tool, &setup);
    if if_modified {
        // The header's date comes from dest's mtime, on the target.
        let (from, to) = match tool {
            Tool::Wget => ("wget ", "wget --header=\"If-Modified-Since: $IMS\" "),
            _ => ("curl -K - ", "curl -K - -H \"If-Modified-Since: $IMS\" "),
        };
        script = format!(
            "IMS=$(LC_ALL=C date -u -r {} '+%a, %d %b %Y %H:%M:%S GMT'); {}",
            oxible_shell::quote(dest),
            script.replacen(from, to, 1)
        );
    }
    let file_url = request.url.starts_with("file:/");
    let mut keep = match tool {
        Tool::Wget => "[ $rc = 0 ] && k=1; ".to_string(),
        _ => "case \"$w\" in '~s 200 '*) k=1;; esac; ".to_string(),
    };
    if file_url {
        keep.push_str("[ $rc = 0 ] && k=1; ");
    }
    if target.check_mode {
        keep = String::new();
    }
    let digest = digest_tool
        .map(|tool| digest_snippet("D", "\"$out\"", tool))
        .unwrap_or_default();
    script.push_str(&section(
        "file",
        &format!(
            "k=; {keep}if [ -n \"$k\" ]; then printf 'P %s\\n' \"$out\"; \
             printf 'H %s\\n' \"$(sha1sum < \"$out\" | cut -d' ' -f1)\"; printf 'M %s\\n' \"$(md5sum < \"$out\" | cut -d' ' -f1)\"; {digest}\
             else rm -f \"$out\"; fi"
        ),
    ));
    let out = target.run(&script, None, Some(stdin)).await?;
    let text = out.stdout_text();
    let parts: HashMap<String, String> = sections(&text);
    let fetched = Fetched::from_sections(&parts, tool, &request.url);
    let file = parts.get("file").map(String::as_str).unwrap_or_default();
    let tmp = tagged(file, "P").unwrap_or_default().to_string();
    if !parts.contains_key("file") && out.rc != 0 {
        return Err(ModuleError::Failed(out.stderr_text().trim().to_string()));
    }
    Ok(Download {
        fetched,
        sha1: tagged(file, "H").unwrap_or_default().to_string(),
        md5: tagged(file, "M").map(str::to_string),
        digest: tagged(file, "D").map(str::to_string),
        tmp,
    })
}

/// The fallback without a client on the target: curl on the controller, the body pushed to a
/// temp file in `stage_dir` with `put_file`.
async fn controller_download(
    target: &Target,
    request: &Request,
    stage_dir: &str,
    if_modified: bool,
    dest_probe: &Probe,
    digest_tool: Option<&str>,
) -> Result<Download, ModuleError> {
    let mut request = request.clone();
    request.headers.retain(|(n, _)| n != "If-Modified-Since");
    if if_modified && let Some(st) = dest_probe.followed() {
        request
            .headers
            .push(("If-Modified-Since".into(), http::http_date(st.mtime as i64)));
    }
    let (fetched, body) = http::controller_fetch(&request).map_err(ModuleError::Failed)?;
    let mut download = Download {
        sha1: hex(&<sha1::Sha1 as sha1::Digest>::digest(&body)),
        md5: Some(hex(&<md5::Md5 as md5::Digest>::digest(&body))),
        digest: None,
        tmp: String::new(),
        fetched,
    };
    if target.check_mode || download.fetched.response.status != 200 {
        return Ok(download);
    }
    let out = target
        .run(
            &format!(
                "mktemp {}/.oxible_get_url.XXXXXX",
                oxible_shell::quote(stage_dir.trim_end_matches('/'))
            ),
            None,
            None,
        )
        .await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(out.stderr_text().trim().to_string()));
    }
    download.tmp = out.stdout_text().trim().to_string();
    target
        .conn
        .put_file(
            body,
            std::path::Path::new(&download.tmp),
            target.become_.clone(),
        )
        .await?;
    if let Some(tool) = digest_tool {
        let out = target
            .run(
                &digest_snippet("D", &oxible_shell::quote(&download.tmp), tool),
                None,
                None,
            )
            .await?;
        download.digest = tagged(&out.stdout_text(), "D").map(str::to_string);
    }
    Ok(download)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fetches a small text (a checksum file) with `tool`: the response and the body, or the
/// failure message.
pub(crate) async fn fetch_text(
    target: &Target,
    tool: Tool,
    request: &Request,
) -> Result<Result<(Fetched, Vec<u8>), String>, ModuleError> {
    if tool == Tool::Controller {
        return Ok(http::controller_fetch(request));
    }
    let (mut script, stdin) = request.script(tool, "out=$(mktemp)");
    script.push_str(&section("body", "cat \"$out\"; rm -f \"$out\""));
    let out = target.run(&script, None, Some(stdin)).await?;
    let text = out.stdout_text();
    let parts = sections(&text);
    let fetched = Fetched::from_sections(&parts, tool, &request.url);
    if fetched.response.status == -1 && !(request.url.starts_with("file:/") && fetched.rc == 0) {
        return Ok(Err(fetched.failure_msg()));
    }
    let body = parts.get("body").cloned().unwrap_or_default().into_bytes();
    Ok(Ok((fetched, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_listings_like_ansible() {
        let gnu = "abc  a.txt\ndef *b.txt\n";
        assert_eq!(digest_from_listing("b.txt", gnu).as_deref(), Some("def"));
        let bsd = "SHA256 (a.txt) = 0123\n";
        assert_eq!(digest_from_listing("a.txt", bsd).as_deref(), Some("0123"));
        assert_eq!(digest_from_listing("x", "ffff\n").as_deref(), Some("ffff"));
        assert_eq!(digest_from_listing("c.txt", gnu), None);
        assert_eq!(normalize_digest("AB:cd ef"), "abcdef");
    }
}
