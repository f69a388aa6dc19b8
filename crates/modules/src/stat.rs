//! `stat`: what a path is, in the keys Ansible's `stat` module returns, from one probe.
//!
//! Not reported (they need tools a minimal target lacks): `mimetype`, `charset`, `version`,
//! `attributes`, `attr_flags`.

use oxible_yaml::{Map, Value, ValueKind};

use crate::fs::{self, Probe, Stat, Want};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("path", ArgType::Path)
        .required()
        .aliases(&["dest", "name"]),
    ArgSpec::new("follow", ArgType::Bool),
    ArgSpec::new("get_checksum", ArgType::Bool),
    ArgSpec::new("checksum_algorithm", ArgType::Str)
        .aliases(&["checksum", "checksum_algo"])
        .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]),
    ArgSpec::new("get_mime", ArgType::Bool).aliases(&["mime", "mime_type", "mime-type"]),
    ArgSpec::new("get_attributes", ArgType::Bool).aliases(&["attr", "attributes"]),
    ArgSpec::new("get_selinux_context", ArgType::Bool),
];

module!(
    /// The `stat` module.
    pub StatModule = "stat", SPEC, run
);

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let path = args.str("path").unwrap_or_default();
    let follow = args.bool("follow", false);
    let algorithm = args.str("checksum_algorithm").unwrap_or("sha1");
    let get_checksum = args.bool("get_checksum", true);
    let quoted = oxible_shell::quote(path);
    let mut script = fs::probe_snippet(
        &quoted,
        Want {
            realpath: true,
            ..Want::default()
        },
    );
    script.push_str(&format!(
        "[ -r {quoted} ] && echo R; [ -w {quoted} ] && echo W; [ -x {quoted} ] && echo X; "
    ));
    if get_checksum {
        script.push_str(&format!(
            "[ -f {quoted} ] && [ -r {quoted} ] && printf 'C %s\\n' \"$({algorithm}sum < {quoted} | cut -d' ' -f1)\"; "
        ));
    }
    let out = target
        .run(&format!("LC_ALL=C; export LC_ALL; {script}"), None, None)
        .await?;
    let parsed = fs::ProbeOutput::parse(&out.stdout);
    let text = out.stdout_text();
    let flag = |f: &str| text.lines().any(|l| l == f);
    let checksum = text
        .lines()
        .find_map(|l| l.strip_prefix("C "))
        .map(str::to_string);
    let probe = parsed.first();
    let mut outcome = Outcome::changed(false);
    let st = if follow {
        probe.followed()
    } else {
        probe.lstat.as_ref()
    };
    let Some(st) = st else {
        outcome.set("stat", Value::map(map(&[("exists", false.into())])));
        return Ok(outcome);
    };
    let mut stat = format_output(path, st);
    let set = |stat: &mut Map, k: &str, v: Value| {
        stat.insert(Value::from(k), v);
    };
    set(&mut stat, "readable", flag("R").into());
    set(&mut stat, "writeable", flag("W").into());
    set(&mut stat, "executable", flag("X").into());
    if st.is_link() {
        link_keys(&mut stat, &probe);
    }
    set(&mut stat, "pw_name", st.owner.as_str().into());
    set(&mut stat, "gr_name", st.group.as_str().into());
    if st.is_reg()
        && get_checksum
        && let Some(sum) = checksum
    {
        set(&mut stat, "checksum", sum.into());
    }
    outcome.set("stat", Value::map(stat));
    Ok(outcome)
}

fn link_keys(stat: &mut Map, probe: &Probe) {
    if let Some(real) = &probe.realpath {
        stat.insert(Value::from("lnk_source"), Value::from(real.as_str()));
    }
    if let Some(target) = &probe.link {
        stat.insert(Value::from("lnk_target"), Value::from(target.as_str()));
    }
}

fn map(pairs: &[(&str, Value)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| (Value::from(*k), v.clone()))
        .collect()
}

/// Ansible's `format_output`: the stat keys of one path (also `find`'s per-file keys).
pub(crate) fn format_output(path: &str, st: &Stat) -> Map {
    let m = st.st_mode;
    let bit = |b: u32| Value::from(m & b != 0);
    let float = |f: f64| Value::new(ValueKind::Float(f));
    map(&[
        ("exists", true.into()),
        ("path", path.into()),
        ("mode", st.mode_text().into()),
        ("isdir", st.is_dir().into()),
        ("ischr", st.is_kind(0o020_000).into()),
        ("isblk", st.is_kind(0o060_000).into()),
        ("isreg", st.is_reg().into()),
        ("isfifo", st.is_kind(0o010_000).into()),
        ("islnk", st.is_link().into()),
        ("issock", st.is_kind(0o140_000).into()),
        ("uid", st.uid.into()),
        ("gid", st.gid.into()),
        ("size", st.size.into()),
        ("inode", st.inode.into()),
        ("dev", st.dev.into()),
        ("nlink", st.nlink.into()),
        ("atime", float(st.atime)),
        ("mtime", float(st.mtime)),
        ("ctime", float(st.ctime)),
        ("wusr", bit(0o200)),
        ("rusr", bit(0o400)),
        ("xusr", bit(0o100)),
        ("wgrp", bit(0o020)),
        ("rgrp", bit(0o040)),
        ("xgrp", bit(0o010)),
        ("woth", bit(0o002)),
        ("roth", bit(0o004)),
        ("xoth", bit(0o001)),
        ("isuid", bit(0o4000)),
        ("isgid", bit(0o2000)),
        ("blocks", st.blocks.into()),
        ("block_size", st.block_size.into()),
        ("device_type", st.device_type.into()),
    ])
}
