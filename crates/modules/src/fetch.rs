//! `fetch`: a file from the target to the controller, as Ansible's fetch action: into
//! `dest/<inventory_hostname>/<src>`, or `dest` itself with `flat`.
//!
//! One round trip: the target reports the source's stat and SHA-1 and sends the content only
//! when that differs from the controller's copy. Check mode skips the task, as Ansible does.
//! Not done: `~` expansion of `src`.

use std::path::{Path, PathBuf};

use md5::Md5;
use oxible_yaml::{Map, Value};
use sha1::{Digest, Sha1};

use crate::fs::{self, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("src", ArgType::Str).required(),
    ArgSpec::new("dest", ArgType::Str).required(),
    ArgSpec::new("flat", ArgType::Bool),
    ArgSpec::new("fail_on_missing", ArgType::Bool),
    ArgSpec::new("validate_checksum", ArgType::Bool),
];

module!(
    /// The `fetch` module.
    pub Fetch = "fetch", SPEC, run
);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-1 and MD5 of a controller file, when it is a file.
fn local_sums(path: &Path) -> Option<(String, String)> {
    if path.is_dir() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some((hex(&Sha1::digest(&bytes)), hex(&Md5::digest(&bytes))))
}

/// Where the file goes on the controller (Ansible's dest computation, `path_dwim` included).
fn destination(target: &Target, src: &str, dest: &str, flat: bool) -> Result<String, String> {
    let dwim = |path: &str| -> String {
        if path.starts_with('/') {
            return path.to_string();
        }
        let base = target
            .controller_search_path
            .last()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        base.join(path).display().to_string()
    };
    let dest = if flat {
        if !dest.ends_with('/') && Path::new(dest).is_dir() {
            return Err("dest is an existing directory, use a trailing slash if you want to fetch src into that directory".into());
        }
        let dest = match dest.strip_suffix('/') {
            Some(dir) => {
                let base = src.rsplit('/').next().unwrap_or(src);
                let joined = format!("{dir}/{base}");
                if Path::new(&joined).is_dir() {
                    return Err(format!(
                        "calculated dest '{joined}' is an existing directory, use another path that does not point to an existing directory"
                    ));
                }
                joined
            }
            None => dest.to_string(),
        };
        dwim(&dest)
    } else {
        format!("{}/{}/{src}", dwim(dest), target.host)
    };
    Ok(fs::normpath(&dest))
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    if target.check_mode {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some("check mode not (yet) supported for this module".into());
        outcome.set("skipped", true);
        return Ok(outcome);
    }
    let src = args.str("src").unwrap_or_default();
    let fail_on_missing = args.bool("fail_on_missing", true);
    let dest = match destination(
        target,
        src,
        args.str("dest").unwrap_or_default(),
        args.bool("flat", false),
    ) {
        Ok(dest) => dest,
        Err(msg) => return Ok(Outcome::failure(msg)),
    };
    let local = local_sums(Path::new(&dest));
    let quoted = oxible_shell::quote(src);
    let unchanged = local
        .as_ref()
        .map(|(sha1, _)| format!(" && [ \"$(sha1sum < {quoted} | cut -d' ' -f1)\" != {sha1} ]"))
        .unwrap_or_default();
    let script = format!(
        "{}if [ -f {quoted} ] && [ -r {quoted} ]{unchanged}; then echo @content; cat -- {quoted}; fi",
        fs::probe_snippet(
            &quoted,
            Want {
                sha1: true,
                ..Want::default()
            }
        ),
    );
    let mut out = fs::probe(target, &script).await?;
    let probe = out.first();
    // Ansible's headline for a failure: the failing module's own message (`Module failed`),
    // or the action's (`Action failed`).
    let failure = |msg: &str, summary: &str, by_action: bool| {
        let mut outcome = Outcome::failure(msg);
        let mut exception = Map::new();
        exception.insert(Value::from("msg"), Value::from(summary));
        if by_action {
            exception.insert(Value::from("context"), Value::from("action"));
        }
        outcome.set("exception", Value::map(exception));
        outcome
    };
    let ignored = |msg: String| {
        let mut outcome = Outcome::changed(false);
        outcome.msg = Some(msg);
        outcome.set("file", src);
        outcome
    };
    let remote_sha1 = match (probe.followed(), probe.sha1.clone()) {
        (Some(st), _) if st.is_dir() => {
            let msg = "remote file is a directory, fetch cannot work on directories";
            if fail_on_missing {
                return Ok(failure(msg, msg, true));
            }
            return Ok(Outcome {
                msg: Some(format!("{msg}, not transferring, ignored")),
                ..Outcome::default()
            });
        }
        (None, _) => {
            let msg = "the remote file does not exist, not transferring, ignored";
            if fail_on_missing {
                let summary =
                    format!("File not found: {src}: [Errno 2] No such file or directory: '{src}'");
                return Ok(failure(msg, &summary, false));
            }
            return Ok(ignored(msg.into()));
        }
        (Some(_), None) => {
            let msg = format!("file is not readable: {src}");
            if fail_on_missing {
                return Ok(failure(&msg, &msg, false));
            }
            return Ok(ignored(format!("{msg}, ignored")));
        }
        (Some(_), Some(sum)) => sum,
    };
    let mut outcome = Outcome::changed(false);
    let Some(content) = out.content.take() else {
        outcome
            .set(
                "md5sum",
                local.map_or_else(Value::null, |(_, md5)| md5.into()),
            )
            .set("file", src)
            .set("dest", dest.as_str())
            .set("checksum", remote_sha1);
        return Ok(outcome);
    };
    let written = Path::new(&dest);
    if let Some(parent) = written.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ModuleError::Failed(format!("Failed to fetch the file: {e}")))?;
    }
    std::fs::write(written, &content)
        .map_err(|e| ModuleError::Failed(format!("Failed to fetch the file: {e}")))?;
    let checksum = hex(&Sha1::digest(&content));
    if args.bool("validate_checksum", true) && checksum != remote_sha1 {
        outcome = Outcome::failure("checksum mismatch");
        outcome.set("file", src);
    } else {
        outcome.changed = true;
    }
    outcome
        .set("md5sum", hex(&Md5::digest(&content)))
        .set("dest", dest.as_str())
        .set("remote_md5sum", Value::null())
        .set("checksum", checksum)
        .set("remote_checksum", remote_sha1);
    Ok(outcome)
}
