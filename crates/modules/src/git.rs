//! `git`: a checkout of a repository at a version, as Ansible's git module leaves it.
//!
//! The whole decision runs as one shell script on the target (git's own commands, the same
//! Ansible runs): clone when `dest` has no repository (or report the remote head in check
//! mode and with `clone=false`), else refuse or reset local modifications (`force`), update
//! the remote URL, fetch, and switch to `version` (a branch tracked from the remote, a tag or
//! a commit). The result is Ansible's: `before`/`after` commits, `changed` when they differ
//! (or local modifications were discarded, or the remote URL changed), `remote_url_changed`
//! when an existing checkout was updated.

use oxible_yaml::Value;

use crate::system::sections;
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("repo", ArgType::Str)
        .required()
        .aliases(&["name"]),
    ArgSpec::new("dest", ArgType::Path),
    ArgSpec::new("version", ArgType::Str),
    ArgSpec::new("remote", ArgType::Str),
    ArgSpec::new("refspec", ArgType::Str),
    ArgSpec::new("force", ArgType::Bool),
    ArgSpec::new("depth", ArgType::Int),
    ArgSpec::new("clone", ArgType::Bool),
    ArgSpec::new("update", ArgType::Bool),
    ArgSpec::new("bare", ArgType::Bool),
    ArgSpec::new("single_branch", ArgType::Bool),
    ArgSpec::new("accept_hostkey", ArgType::Bool),
    ArgSpec::new("accept_newhostkey", ArgType::Bool),
    ArgSpec::new("key_file", ArgType::Path),
    ArgSpec::new("ssh_opts", ArgType::Str),
    ArgSpec::new("executable", ArgType::Path),
    ArgSpec::new("recursive", ArgType::Bool),
    ArgSpec::new("track_submodules", ArgType::Bool),
    ArgSpec::new("umask", ArgType::Raw),
    ArgSpec::new("reference", ArgType::Str),
    ArgSpec::new("verify_commit", ArgType::Bool),
    ArgSpec::new("gpg_allowlist", ArgType::List).aliases(&["gpg_whitelist"]),
    ArgSpec::new("separate_git_dir", ArgType::Path),
    ArgSpec::new("archive", ArgType::Path),
    ArgSpec::new("archive_prefix", ArgType::Str),
];

module!(
    /// The `git` module.
    pub Git = "git", SPEC, run
);

/// Shell functions the script uses: Ansible's `is_remote_branch`, `is_remote_tag`,
/// `get_head_branch`, `get_remote_head` and a failure reporter.
const FUNCTIONS: &str = r#"
trap 'cat "$tf" 2>/dev/null; rm -f "$to" "$te" "$tf"' EXIT
fail() { printf '\n\001fail\n%s' "$1" >>"$tf"; exit 1; }
run() { # the command as Ansible prints it, then its output on failure
  c="$*"; "$@" >"$to" 2>"$te"; r=$?
  if [ $r -ne 0 ]; then
    { printf '\n\001cmd\n%s' "$c"; printf '\n\001rc\n%s' "$r"; printf '\n\001stdout\n'; cat "$to"; printf '\n\001stderr\n'; cat "$te"; } >>"$tf"
  fi
  return $r
}
chk() { run "$@" || fail "$(cat "$te")"; } # run_command(check_rc=True): stderr is the message
isbranch() { chk "$G" ls-remote "$1" -h "refs/heads/$version"; grep -qF -- "$version" "$to"; }
istag() { chk "$G" ls-remote "$1" -t "refs/tags/$version"; grep -qF -- "$version" "$to"; }
headbranch() {
  b=$("$G" symbolic-ref -q --short HEAD 2>/dev/null) || b=$("$G" symbolic-ref -q --short "refs/remotes/$remote/HEAD" 2>/dev/null | sed "s,^$remote/,,")
  printf '%s' "$b"
}
remotehead() { # $1: the remote (the repo URL when cloning)
  tag=
  if [ "$version" = HEAD ]; then
    if [ "$1" = "$repo" ]; then chk "$G" ls-remote "$1" -h HEAD; else chk "$G" ls-remote "$1" -h "refs/heads/$(headbranch)"; fi
  elif isbranch "$1"; then chk "$G" ls-remote "$1" -h "refs/heads/$version"
  elif istag "$1"; then tag=1; chk "$G" ls-remote "$1" -t "refs/tags/$version*"
  else printf '%s' "$version"; return 0; fi
  o=$(cat "$to")
  [ -n "$o" ] || return 2
  if [ -n "$tag" ]; then
    l=$(printf '%s\n' "$o" | grep -F -- "$version^{}" | head -n1)
    [ -n "$l" ] || l=$(printf '%s\n' "$o" | grep -- "$version\$" | tail -n1)
    o=$l
  fi
  printf '%s' "$o" | head -n1 | cut -f1 | cut -d' ' -f1
}
head_of() { # the remote head, or the failure
  a=$(remotehead "$1"); r=$?
  [ $r -ne 1 ] || exit 1
  [ $r -eq 0 ] || fail "Could not determine remote revision for $version"
}
"#;

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let repo = args.str("repo").unwrap_or_default().to_string();
    let Some(dest) = args.str("dest").map(str::to_string) else {
        if args.bool("clone", true) {
            return Ok(Outcome::failure(
                "the destination directory must be specified unless clone=no",
            ));
        }
        return Ok(Outcome::failure("dest is required by oxible's git module"));
    };
    let dest = crate::fs::normpath(&dest);
    let version = args.str("version").unwrap_or("HEAD").to_string();
    let remote = args.str("remote").unwrap_or("origin").to_string();
    let bare = args.bool("bare", false);
    let depth = args.int("depth").filter(|d| *d > 0);
    let q = oxible_shell::quote;
    let flag = |b: bool| if b { "1" } else { "" };
    let git = args
        .str("executable")
        .map(q)
        .unwrap_or_else(|| "$(command -v git || echo git)".to_string());
    // As Ansible: a local path is cloned as a `file://` URL.
    let repo = if repo.starts_with('/') {
        format!("file://{repo}")
    } else {
        repo
    };
    let repo_norm = crate::fs::normpath(&repo);
    let mut script = format!(
        "LC_ALL=C; export LC_ALL; G={git}; repo={}; dest={}; version={}; remote={}; repo_norm={}; \
         check={}; clone={}; update={}; force={}; bare={}; depth={}; single={}; refspec={}; \
         to=$(mktemp) && te=$(mktemp) && tf=$(mktemp) || exit 1\n{FUNCTIONS}",
        q(&repo),
        q(&dest),
        q(&version),
        q(&remote),
        q(&repo_norm),
        flag(target.check_mode),
        flag(args.bool("clone", true)),
        flag(args.bool("update", true)),
        flag(args.bool("force", false)),
        flag(bare),
        depth.map(|d| d.to_string()).unwrap_or_default(),
        flag(args.bool("single_branch", false)),
        q(args.str("refspec").unwrap_or_default()),
    );
    script.push_str(MAIN);
    let out = target.run(&script, None, None).await?;
    let text = out.stdout_text();
    let parts = sections(&text);
    let get = |name: &str| {
        parts
            .get(name)
            .map(|s| s.trim_end_matches('\n').to_string())
    };
    let mut outcome = Outcome::changed(false);
    if let Some(msg) = get("fail") {
        outcome.failed = true;
        outcome.msg = Some(msg);
        if let Some(cmd) = get("cmd") {
            outcome.set("cmd", cmd);
            outcome.set(
                "rc",
                get("rc")
                    .and_then(|r| r.trim().parse::<i64>().ok())
                    .unwrap_or(1),
            );
            let stdout = get("stdout").unwrap_or_default();
            let stderr = parts.get("stderr").cloned().unwrap_or_default();
            outcome.set("stdout", stdout).set("stderr", stderr);
        }
        if let Some(before) = get("before").filter(|_| get("keepbefore").is_some()) {
            outcome.set("before", before);
        }
        return Ok(outcome);
    }
    if out.rc != 0 && get("after").is_none() {
        return Ok(Outcome::failure(out.stderr_text().trim().to_string()));
    }
    let before = get("before").filter(|b| !b.is_empty());
    let after = get("after").unwrap_or_default();
    outcome.set(
        "before",
        before
            .as_deref()
            .map(Value::from)
            .unwrap_or_else(Value::null),
    );
    outcome.set("after", after.as_str());
    let url_changed = get("urlchanged").map(|u| u.trim() == "1");
    if let Some(changed) = url_changed {
        outcome.set("remote_url_changed", changed);
    }
    let mods = get("mods").is_some();
    if mods && !target.check_mode {
        outcome.msg = Some(format!(
            "Local modifications exist in the destination: {dest}"
        ));
    }
    outcome.changed = get("changed").is_some()
        || before.as_deref() != Some(after.as_str())
        || (mods && !target.check_mode)
        || url_changed == Some(true);
    if get("nochange").is_some() {
        outcome.changed = false;
    }
    Ok(outcome)
}

/// The flow of Ansible's `main()`, in shell; prints `before`, `after`, `urlchanged`, `mods`,
/// `changed`/`nochange` sections, or `fail` (with `cmd`, `rc`, `stdout`, `stderr`).
const MAIN: &str = r#"
sec() { printf '\n\001%s\n%s' "$1" "$2"; }
if [ -n "$bare" ]; then cfg="$dest/config"; else cfg="$dest/.git/config"; fi
if [ ! -f "$cfg" ]; then
  if [ -n "$check" ] || [ -z "$clone" ]; then
    head_of "$repo"
    sec after "$a"; sec changed ""; exit 0
  fi
  mkdir -p -- "$(dirname -- "$dest")" 2>/dev/null
  set -- clone
  if [ -n "$bare" ]; then set -- "$@" --bare; else set -- "$@" --origin "$remote"; fi
  bt=
  if isbranch "$repo" || istag "$repo"; then bt=1; fi
  if [ -n "$depth" ]; then
    if [ "$version" = HEAD ] || [ -n "$refspec" ]; then set -- "$@" --depth "$depth"
    elif [ -n "$bt" ]; then set -- "$@" --depth "$depth" --branch "$version"; fi
  fi
  if [ -n "$single" ]; then set -- "$@" --single-branch; [ -z "$bt" ] || set -- "$@" --branch "$version"; fi
  chk "$G" "$@" "$repo" "$dest"
  if [ -n "$bare" ] && [ "$remote" != origin ]; then (cd "$dest" && "$G" remote add "$remote" "$repo"); fi
  if [ -n "$refspec" ]; then (cd "$dest" && "$G" fetch ${depth:+--depth "$depth"} "$remote" "$refspec" >/dev/null 2>&1); fi
  sec before ""
  cd "$dest" || exit 1
elif [ -z "$update" ]; then
  cd "$dest" || exit 1
  b=$("$G" rev-parse HEAD 2>/dev/null)
  sec before "$b"; sec after "$b"; sec nochange ""; exit 0
else
  cd "$dest" || exit 1
  mods=
  if [ -z "$bare" ] && [ -n "$("$G" status --porcelain 2>/dev/null | grep -v '^??')" ]; then mods=1; fi
  b=$("$G" rev-parse HEAD 2>/dev/null)
  sec before "$b"
  if [ -n "$mods" ]; then
    if [ -z "$force" ]; then sec keepbefore ""; fail "Local modifications exist in the destination: $dest (force=no)."; fi
    sec mods ""
    [ -n "$check" ] || "$G" reset --hard HEAD >/dev/null 2>&1 || fail "Failed to reset $dest"
  fi
  ru=$("$G" ls-remote --get-url "$remote" 2>/dev/null); uc=0
  if [ -n "$ru" ] && [ "$ru" != "$repo" ] && [ "$ru" != "$repo_norm" ]; then
    uc=1
    [ -n "$check" ] || "$G" remote set-url "$remote" "$repo" >/dev/null 2>&1 || fail "Failed to set a new url $repo for $remote"
  fi
  sec urlchanged "$uc"
  if [ -n "$check" ]; then
    head_of "$remote"
    sec after "$a"; exit 0
  fi
  set -- fetch; specs=
  if [ -n "$depth" ]; then
    ch=$(headbranch)
    if [ -n "$refspec" ]; then specs=$refspec
    elif [ "$version" = HEAD ]; then specs=$ch
    elif isbranch "$repo"; then
      [ "$ch" = "$version" ] || specs="+refs/heads/$version:refs/heads/$version"
      specs="$specs +refs/heads/$version:refs/remotes/$remote/$version"
    elif istag "$repo"; then specs="+refs/tags/$version:refs/tags/$version"; fi
    [ -z "$specs" ] || set -- "$@" --depth "$depth"
  fi
  if [ -z "$depth" ] || [ -z "$specs" ]; then
    if [ -n "$bare" ]; then specs="+refs/heads/*:refs/heads/* +refs/tags/*:refs/tags/*"; else set -- "$@" --tags; fi
    [ -z "$refspec" ] || specs="$specs $refspec"
  fi
  [ -z "$force" ] || set -- "$@" --force
  run "$G" "$@" "$remote" $specs || fail "Failed to download remote objects and refs: $(cat "$to") $(cat "$te")"
fi
if [ -z "$bare" ]; then
  if [ "$version" = HEAD ]; then
    br=$(headbranch)
    run "$G" checkout --force "$br" || fail "Failed to checkout branch $br"
    run "$G" reset --hard "$remote/$br" -- || fail "Failed to checkout branch $br"
  elif isbranch "$remote"; then
    if ! "$G" show-ref --verify --quiet "refs/heads/$version"; then
      if [ -n "$depth" ]; then "$G" remote set-branches --add "$remote" "$version" >/dev/null 2>&1; "$G" fetch --depth="$depth" "$remote" "$version" >/dev/null 2>&1; fi
      run "$G" checkout --track -b "$version" "$remote/$version" || fail "Failed to checkout $version"
    else
      run "$G" checkout --force "$version" || fail "Failed to checkout branch $version"
      run "$G" reset --hard "$remote/$version" || fail "Failed to checkout $version"
    fi
  else
    run "$G" checkout --force "$version" || fail "Failed to checkout $version"
  fi
fi
sec after "$("$G" rev-parse HEAD 2>/dev/null)"
"#;
