//! `rpm_key`: an OpenPGP key present in or absent from the rpm database, as ansible-core's
//! module decides: `key` is a URL (downloaded on the target with curl or wget), a key id
//! (`0x` optional) or a key file on the target; its id is read with `gpg --with-colons`; the
//! key counts as imported when that id is part of a key id gpg lists for the `gpg-pubkey`
//! packages' armored descriptions (`rpm -q gpg-pubkey --qf '%{description}'`). Keys are imported
//! with `rpm --import` (after checking `fingerprint` against the file's) and removed with
//! `rpm --erase --allmatches gpg-pubkey-<last 8 hex digits>`. Result: `changed` only, as
//! Ansible's. One probe round trip, plus the change.

use oxible_shell::quote;

use crate::system::{probe, section};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("key", ArgType::Str).required(),
    ArgSpec::new("state", ArgType::Str).choices(&["absent", "present"]),
    ArgSpec::new("fingerprint", ArgType::List),
    ArgSpec::new("validate_certs", ArgType::Bool),
];

module!(
    /// The `rpm_key` module.
    pub RpmKey = "rpm_key", SPEC, run
);

/// gpg as Ansible's module runs it: no tty, batch, colon listing.
const GPG: &str = "LC_ALL=C gpg --no-tty --batch --with-colons --fixed-list-mode";

/// Ansible's `is_keyid`: starts with 8 hex digits (after an optional `0x`).
fn is_keyid(key: &str) -> bool {
    let rest = key
        .strip_prefix("0x")
        .or_else(|| key.strip_prefix("0X"))
        .unwrap_or(key);
    rest.len() >= 8 && rest.as_bytes()[..8].iter().all(u8::is_ascii_hexdigit)
}

/// Ansible's `normalize_keyid`: trimmed, upper case, without `0x`.
fn normalize_keyid(id: &str) -> String {
    let id = id.trim().to_uppercase();
    id.strip_prefix("0X").map_or(id.clone(), str::to_string)
}

/// Field 5 of the `pub:` line of a gpg colon listing (the key's id).
fn pub_keyid(listing: &str) -> Option<String> {
    listing
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("pub:"))
        .and_then(|l| l.split(':').nth(4))
        .map(str::to_string)
}

/// Python's repr of a set of strings (`{'A', 'B'}`), sorted, as the fingerprint message shows.
fn py_set(items: &[String]) -> String {
    let mut items: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    items.sort();
    items.dedup();
    format!("{{{}}}", items.join(", "))
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let key = args.str("key").unwrap_or_default().to_string();
    let state = args.str("state").unwrap_or("present");
    let fingerprints: Vec<String> = args
        .strings("fingerprint")
        .iter()
        .map(|f| f.replace(' ', "").to_uppercase())
        .collect();
    let url = key.contains("://");
    let mut script = String::from(
        "command -v rpm >/dev/null 2>&1 || { printf '\\n\\001norpm\\n'; exit 0; }\n\
         command -v gpg >/dev/null 2>&1 || command -v gpg2 >/dev/null 2>&1 || { printf '\\n\\001nogpg\\n'; exit 0; }\n\
         command -v gpg >/dev/null 2>&1 || gpg() { gpg2 \"$@\"; }\n",
    );
    let file = if url {
        let q = quote(&key);
        script.push_str(&format!(
            "tmpd=$(mktemp -d /tmp/oxible-rpm-key.XXXXXX); f=\"$tmpd/key\"\n{}",
            section(
                "fetch",
                &format!(
                    "if ! err=$({} 2>&1); then \
                     rm -rf \"$tmpd\"; echo \"fetchfail $err\"; \
                     elif ! grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' \"$f\"; then \
                     rm -rf \"$tmpd\"; echo notkey; else echo \"$tmpd\"; fi",
                    crate::pkg::download_snippet(&q, "\"$f\"", args.bool("validate_certs", true))
                )
            )
        ));
        Some("\"$f\"".to_string())
    } else if is_keyid(&key) {
        None
    } else {
        script.push_str(&section(
            "isfile",
            &format!("[ -f {} ] && echo yes", quote(&key)),
        ));
        Some(quote(&key))
    };
    if let Some(f) = &file {
        script.push_str(&format!(
            "[ -f {f} ] && {{\n{}{}}}\n",
            section("keyid", &format!("{GPG} {f} 2>&1")),
            section(
                "fprs",
                &format!("{GPG} --import --import-options show-only --dry-run {f} 2>&1")
            )
        ));
    }
    script.push_str(&section(
        "imported",
        &format!(
            "rpm -q gpg-pubkey >/dev/null 2>&1 && rpm -q gpg-pubkey --qf '%{{description}}' | {GPG} - 2>/dev/null"
        ),
    ));
    // The probe's status is not its commands': a failed query is data.
    script.push_str("true\n");
    let secs = probe(target, &script).await?;
    let get = |k: &str| secs.get(k).map_or("", String::as_str);
    let tmp = get("fetch").trim().to_string();
    let cleanup = || async {
        if url && tmp.starts_with("/tmp/oxible-rpm-key.") {
            target
                .run(&format!("rm -rf {}", quote(&tmp)), None, None)
                .await?;
        }
        Ok::<(), ModuleError>(())
    };
    if secs.contains_key("norpm") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"rpm\" in paths",
        ));
    }
    if secs.contains_key("nogpg") {
        return Ok(Outcome::failure(
            "Failed to find required executable \"gpg2\" in paths",
        ));
    }
    if let Some(err) = tmp.strip_prefix("fetchfail") {
        return Ok(Outcome::failure(format!(
            "failed to fetch key at {key} , error was: {}",
            err.trim()
        )));
    }
    if url && tmp == "notkey" {
        return Ok(Outcome::failure(format!("Not a public key: {key}")));
    }
    if !url && file.is_some() && get("isfile").trim() != "yes" {
        return Ok(Outcome::failure(format!("Not a valid key {key}")));
    }
    let keyid = match &file {
        Some(_) => match pub_keyid(get("keyid")) {
            Some(id) => id,
            None => {
                cleanup().await?;
                return Ok(Outcome::failure("Unexpected gpg output"));
            }
        },
        None => key.clone(),
    };
    let keyid = normalize_keyid(&keyid);
    let imported = get("imported")
        .lines()
        .any(|l| l.split(':').nth(4).is_some_and(|f| f.contains(&keyid)));
    let outcome = match (state, imported) {
        ("present", true) | ("absent", false) => Outcome::changed(false),
        ("present", false) => {
            if file.is_none() {
                return Ok(Outcome::failure(
                    "When importing a key, a valid file must be given",
                ));
            }
            if !fingerprints.is_empty() {
                let found: Vec<String> = get("fprs")
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with("fpr:"))
                    .filter_map(|l| l.split(':').nth(9).map(str::to_string))
                    .collect();
                if found.is_empty() {
                    cleanup().await?;
                    return Ok(Outcome::failure("Unexpected gpg output"));
                }
                if !fingerprints.iter().all(|f| found.contains(f)) {
                    cleanup().await?;
                    return Ok(Outcome::failure(format!(
                        "The specified fingerprint, '{}', does not match any key fingerprints in '{}'",
                        py_set(&fingerprints),
                        py_set(&found)
                    )));
                }
            }
            if !target.check_mode {
                let path = if url {
                    format!("{tmp}/key")
                } else {
                    key.clone()
                };
                change(target, &format!("rpm --import {}", quote(&path))).await?;
            }
            Outcome::changed(true)
        }
        _ => {
            if !target.check_mode {
                let short = keyid[keyid.len().saturating_sub(8)..].to_lowercase();
                change(
                    target,
                    &format!("rpm --erase --allmatches gpg-pubkey-{}", quote(&short)),
                )
                .await?;
            }
            Outcome::changed(true)
        }
    };
    cleanup().await?;
    Ok(outcome)
}

/// Runs `cmd`; its standard error is the failure message when it fails (Ansible's
/// `execute_command`).
async fn change(target: &Target, cmd: &str) -> Result<(), ModuleError> {
    let out = target.run(cmd, None, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(out.stderr_text()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_read_like_ansible() {
        assert!(is_keyid("0xDEADBEEF"));
        assert!(is_keyid("deadbeef12345678"));
        assert!(!is_keyid("/etc/pki/key.asc"));
        assert_eq!(normalize_keyid(" 0xabcdef12 "), "ABCDEF12");
        assert_eq!(
            pub_keyid(
                "tru::1:0\npub:-:3072:1:8A3C5F0D1E2B3C4D:1700000000:::-:::scESC::::::23::0:\n"
            ),
            Some("8A3C5F0D1E2B3C4D".into())
        );
        assert_eq!(py_set(&["B".into(), "A".into()]), "{'A', 'B'}");
    }
}
