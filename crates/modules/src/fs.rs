//! Shared ground of the file modules: one batched probe command that reports a path's stat
//! information (and optionally its checksum and content), Ansible's mode syntax (octal and
//! symbolic), owner/group/mode application with Ansible's diff entries, and the path keys
//! Ansible's `add_path_info` puts into results.

use oxible_yaml::{Map, Value, ValueKind};

use crate::{Args, ModuleError, Outcome, Target};

/// `stat -c` fields: raw mode (hex), ids, size, times, inode, device, links, blocks, device
/// numbers (hex), then the user and group names last (the only free-form fields).
const STAT_FORMAT: &str = "%f %u %g %s %.9Y %.9X %.9Z %i %d %h %b %o %t %T %U %G";

/// The line after which a probe's output is the raw content of the probed file.
const CONTENT_MARK: &[u8] = b"@content\n";

/// `lstat`/`stat` of one path, as `stat -c` reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Stat {
    /// `st_mode`: type and permission bits.
    pub st_mode: u32,
    /// Owner id.
    pub uid: i64,
    /// Group id.
    pub gid: i64,
    /// Size in bytes.
    pub size: i64,
    /// Modification time (seconds since the epoch).
    pub mtime: f64,
    /// Access time.
    pub atime: f64,
    /// Status change time.
    pub ctime: f64,
    /// Inode number.
    pub inode: i64,
    /// Device number.
    pub dev: i64,
    /// Hard link count.
    pub nlink: i64,
    /// Blocks allocated.
    pub blocks: i64,
    /// Preferred block size.
    pub block_size: i64,
    /// Device type (`major << 8 | minor`) for device files.
    pub device_type: i64,
    /// Owner name (the id when it has none).
    pub owner: String,
    /// Group name (the id when it has none).
    pub group: String,
}

const S_IFMT: u32 = 0o170_000;

impl Stat {
    fn parse(line: &str) -> Option<Self> {
        let mut fields = line.splitn(15, ' ');
        let mut next = || fields.next();
        let st_mode = u32::from_str_radix(next()?, 16).ok()?;
        let int = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
        let float = |s: Option<&str>| s.and_then(|s| s.parse::<f64>().ok());
        let uid = int(next())?;
        let gid = int(next())?;
        let size = int(next())?;
        let mtime = float(next())?;
        let atime = float(next())?;
        let ctime = float(next())?;
        let inode = int(next())?;
        let dev = int(next())?;
        let nlink = int(next())?;
        let blocks = int(next())?;
        let block_size = int(next())?;
        let major = i64::from_str_radix(next()?, 16).ok()?;
        let minor = i64::from_str_radix(next()?, 16).ok()?;
        let rest = next()?;
        let (owner, group) = rest.rsplit_once(' ').unwrap_or((rest, ""));
        let unknown = |name: &str, id: i64| {
            if name == "UNKNOWN" {
                id.to_string()
            } else {
                name.to_string()
            }
        };
        Some(Self {
            st_mode,
            uid,
            gid,
            size,
            mtime,
            atime,
            ctime,
            inode,
            dev,
            nlink,
            blocks,
            block_size,
            device_type: major << 8 | minor,
            owner: unknown(owner, uid),
            group: unknown(group, gid),
        })
    }

    /// The permission bits (`S_IMODE`).
    pub fn perm(&self) -> u32 {
        self.st_mode & 0o7777
    }

    /// `0644`, as Ansible prints modes.
    pub fn mode_text(&self) -> String {
        mode_text(self.perm())
    }

    fn kind(&self) -> u32 {
        self.st_mode & S_IFMT
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.kind() == 0o040_000
    }

    /// A regular file.
    pub fn is_reg(&self) -> bool {
        self.kind() == 0o100_000
    }

    /// A symbolic link.
    pub fn is_link(&self) -> bool {
        self.kind() == 0o120_000
    }

    /// A block device, character device, FIFO or socket (`isblk` …).
    pub fn is_kind(&self, kind: u32) -> bool {
        self.kind() == kind
    }
}

/// `0644`, as Ansible prints modes (`'0%03o' % mode`).
pub(crate) fn mode_text(perm: u32) -> String {
    format!("0{perm:03o}")
}

/// A shell command printing `<lstat>\t<path>` for every path `find <find_args>` selects
/// (batched `stat` runs, as `find -exec … +`); [`parse_listing_line`] reads the lines.
pub(crate) fn listing_snippet(find_args: &str) -> String {
    format!("find {find_args} -exec stat -c '{STAT_FORMAT}\t%n' -- {{}} +")
}

/// A shell command printing `<lstat>\t<path>` for the path `path_word` (a shell word), the
/// format [`parse_listing_line`] reads.
pub(crate) fn stat_line_snippet(path_word: &str) -> String {
    format!("stat -c '{STAT_FORMAT}\t%n' -- {path_word}")
}

/// One line of a [`listing_snippet`]: the path and its `lstat`.
pub(crate) fn parse_listing_line(line: &str) -> Option<(&str, Stat)> {
    let (stat, path) = line.split_once('\t')?;
    Some((path, Stat::parse(stat)?))
}

/// What a probe learned about one path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Probe {
    /// `lstat`, when the path exists (even as a dangling link).
    pub lstat: Option<Stat>,
    /// The link's target text, for a symlink.
    pub link: Option<String>,
    /// `stat` following links, when the link's target exists.
    pub target: Option<Stat>,
    /// `sha1sum` of the (followed) regular file, when asked for.
    pub sha1: Option<String>,
    /// `md5sum` of the (followed) regular file, when asked for.
    pub md5: Option<String>,
    /// The canonical path (`realpath`), when asked for.
    pub realpath: Option<String>,
}

impl Probe {
    /// `stat` following links: the path itself when it is no link.
    pub fn followed(&self) -> Option<&Stat> {
        match &self.lstat {
            Some(st) if st.is_link() => self.target.as_ref(),
            other => other.as_ref(),
        }
    }

    /// Ansible's `get_state`: `absent`, `link`, `directory`, `hard` or `file`.
    pub fn state(&self) -> &'static str {
        match (&self.lstat, self.followed()) {
            (None, _) => "absent",
            (Some(st), _) if st.is_link() => "link",
            (Some(st), _) if st.is_dir() => "directory",
            (_, Some(st)) if st.nlink > 1 => "hard",
            _ => "file",
        }
    }
}

/// What to ask a probe for, beyond `lstat`/`stat`/`readlink`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Want {
    /// The SHA-1 of a regular file.
    pub sha1: bool,
    /// The MD5 of a regular file.
    pub md5: bool,
    /// The canonical path.
    pub realpath: bool,
}

/// A shell snippet printing one probe record for `path` (a shell word or `"$var"`).
pub(crate) fn probe_snippet(path_word: &str, want: Want) -> String {
    let mut s = format!(
        "p={path_word}; echo @; if [ -e \"$p\" ] || [ -L \"$p\" ]; then printf 'l '; stat -c '{STAT_FORMAT}' -- \"$p\"; \
         if [ -L \"$p\" ]; then printf 'k %s\\n' \"$(readlink -- \"$p\")\"; [ -e \"$p\" ] && {{ printf 's '; stat -L -c '{STAT_FORMAT}' -- \"$p\"; }}; fi; "
    );
    let mut sums = Vec::new();
    if want.sha1 {
        sums.push(("h", "sha1sum"));
    }
    if want.md5 {
        sums.push(("m", "md5sum"));
    }
    for (tag, tool) in sums {
        s.push_str(&format!(
            "[ -f \"$p\" ] && [ -r \"$p\" ] && printf '{tag} %s\\n' \"$({tool} < \"$p\" | cut -c1-40 | cut -d' ' -f1)\"; "
        ));
    }
    if want.realpath {
        s.push_str("printf 'r %s\\n' \"$(realpath -- \"$p\")\"; ");
    }
    s.push_str("fi; ");
    s
}

/// The output of a probe command: ids looked up, the umask, one record per probed path, and
/// the content of a file when the command ended with [`content_snippet`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ProbeOutput {
    /// The target's umask.
    pub umask: u32,
    /// The uid of the `owner` asked for.
    pub uid: Option<i64>,
    /// The gid of the `group` asked for.
    pub gid: Option<i64>,
    /// One record per [`probe_snippet`], in order.
    pub records: Vec<Probe>,
    /// The file content, when read.
    pub content: Option<Vec<u8>>,
}

/// A shell snippet printing the umask and the ids of the `owner`/`group` arguments.
pub(crate) fn ids_snippet(attrs: &Attrs) -> String {
    let mut s = String::from("echo \"u $(umask)\"; ");
    if let Some(owner) = &attrs.owner {
        s.push_str(&format!(
            "printf 'U %s\\n' \"$(id -u -- {} 2>/dev/null)\"; ",
            oxible_shell::quote(owner)
        ));
    }
    if let Some(group) = &attrs.group {
        s.push_str(&format!(
            "printf 'G %s\\n' \"$(getent group -- {} | cut -d: -f3)\"; ",
            oxible_shell::quote(group)
        ));
    }
    s
}

/// A shell snippet ending the probe with the raw content of `path` (when it is readable).
pub(crate) fn content_snippet(path_word: &str) -> String {
    format!(
        "if [ -f {path_word} ] && [ -r {path_word} ]; then echo @content; cat -- {path_word}; fi"
    )
}

impl ProbeOutput {
    /// Parses what the snippets printed.
    pub fn parse(stdout: &[u8]) -> Self {
        let (head, content) = match find(stdout, CONTENT_MARK) {
            Some(at) => (
                &stdout[..at],
                Some(stdout[at + CONTENT_MARK.len()..].to_vec()),
            ),
            None => (stdout, None),
        };
        let mut out = Self {
            content,
            umask: 0o022,
            ..Self::default()
        };
        for line in String::from_utf8_lossy(head).lines() {
            if line == "@" {
                out.records.push(Probe::default());
                continue;
            }
            let Some((tag, value)) = line.split_once(' ') else {
                continue;
            };
            let id = |v: &str| v.trim().parse::<i64>().ok();
            let record = out.records.last_mut();
            match (tag, record) {
                ("u", _) => out.umask = u32::from_str_radix(value.trim(), 8).unwrap_or(0o022),
                ("U", _) => out.uid = id(value),
                ("G", _) => out.gid = id(value),
                ("l", Some(r)) => r.lstat = Stat::parse(value),
                ("s", Some(r)) => r.target = Stat::parse(value),
                ("k", Some(r)) => r.link = Some(value.to_string()),
                ("h", Some(r)) if !value.is_empty() => r.sha1 = Some(value.to_string()),
                ("m", Some(r)) if !value.is_empty() => r.md5 = Some(value.to_string()),
                ("r", Some(r)) => r.realpath = Some(value.to_string()),
                _ => {}
            }
        }
        out
    }

    /// The first record (modules probing one path).
    pub fn first(&self) -> Probe {
        self.records.first().cloned().unwrap_or_default()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if haystack.starts_with(needle) {
        return Some(0);
    }
    haystack
        .windows(needle.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == needle)
        .map(|at| at + 1)
}

/// Runs `script` (probe snippets) and parses its output.
pub(crate) async fn probe(target: &Target, script: &str) -> Result<ProbeOutput, ModuleError> {
    let out = target
        .run(&format!("LC_ALL=C; export LC_ALL; {script}"), None, None)
        .await?;
    Ok(ProbeOutput::parse(&out.stdout))
}

/// Probes one path (`sha1`/`md5`/`realpath` as wanted), with the ids of `attrs`.
pub(crate) async fn probe_path(
    target: &Target,
    path: &str,
    want: Want,
    attrs: &Attrs,
) -> Result<ProbeOutput, ModuleError> {
    let script = format!(
        "{}{}",
        ids_snippet(attrs),
        probe_snippet(&oxible_shell::quote(path), want)
    );
    probe(target, &script).await
}

/// A `mode` argument: octal (an int, or digits) or symbolic (`u=rwX,g=rX,o=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Permission bits.
    Octal(u32),
    /// chmod's symbolic form, resolved against the current mode.
    Symbolic(String),
}

impl Mode {
    /// The `mode` argument of `args`, if given.
    pub fn from_args(args: &Args) -> Result<Option<Self>, String> {
        let Some(value) = args.get("mode") else {
            return Ok(None);
        };
        let mode = match &value.kind {
            ValueKind::Int(i) => Mode::Octal(u32::try_from(*i).map_err(|_| invalid_mode(*i))?),
            _ => {
                let text = value.py_str();
                if text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty() {
                    Mode::Octal(
                        u32::from_str_radix(&text, 8)
                            .map_err(|_| "mode must be in octal or symbolic form".to_string())?,
                    )
                } else {
                    Mode::Symbolic(text)
                }
            }
        };
        if let Mode::Octal(bits) = mode
            && bits > 0o7777
        {
            return Err(invalid_mode(i64::from(bits)));
        }
        Ok(Some(mode))
    }

    /// The permission bits this mode gives a path whose `st_mode` is `current`.
    pub fn resolve(&self, current: u32, umask: u32) -> Result<u32, String> {
        match self {
            Mode::Octal(bits) => Ok(*bits),
            Mode::Symbolic(text) => symbolic(text, current, umask)
                .ok_or_else(|| "mode must be in octal or symbolic form".to_string()),
        }
    }
}

fn invalid_mode(mode: i64) -> String {
    format!("Invalid mode supplied, only permission info is allowed: {mode}")
}

/// chmod's symbolic modes as Ansible applies them (`_symbolic_mode_to_octal`).
fn symbolic(text: &str, st_mode: u32, umask: u32) -> Option<u32> {
    let is_dir = st_mode & S_IFMT == 0o040_000;
    let mut mode = st_mode & 0o7777;
    for clause in text.split(',') {
        let at = clause.find(['+', '-', '='])?;
        let users = &clause[..at];
        let use_umask = users.is_empty();
        let users = if users.is_empty() || users == "a" {
            "ugo"
        } else {
            users
        };
        if !users.chars().all(|c| "ugo".contains(c)) {
            return None;
        }
        let mut rest = &clause[at..];
        while let Some(op) = rest.chars().next() {
            let body = &rest[1..];
            let end = body.find(['+', '-', '=']).unwrap_or(body.len());
            let perms = &body[..end];
            rest = &body[end..];
            if !perms.chars().all(|c| "rwxXstugo".contains(c)) {
                return None;
            }
            for user in users.chars() {
                let apply = perms_bits(user, perms, mode, is_dir, use_umask, umask);
                mode = match op {
                    '=' => {
                        let mask = match user {
                            'u' => 0o4700,
                            'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & !mask & 0o7777) | apply
                    }
                    '+' => mode | apply,
                    _ => mode & !apply,
                };
            }
        }
    }
    Some(mode)
}

/// The bits `perms` stand for, for `user` ('u', 'g' or 'o').
fn perms_bits(
    user: char,
    perms: &str,
    prev: u32,
    is_dir: bool,
    use_umask: bool,
    umask: u32,
) -> u32 {
    let shift = match user {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let allowed = if use_umask { !umask & 0o777 } else { 0o777 };
    let copy = |from: u32| ((prev >> from) & 0o7) << shift;
    perms.chars().fold(0, |acc, p| {
        acc | match p {
            'r' => (0o4 << shift) & allowed,
            'w' => (0o2 << shift) & allowed,
            'x' => (0o1 << shift) & allowed,
            'X' if is_dir || prev & 0o111 != 0 => 0o1 << shift,
            's' if user == 'u' => 0o4000,
            's' if user == 'g' => 0o2000,
            't' if user == 'o' => 0o1000,
            'u' => copy(6),
            'g' => copy(3),
            'o' => copy(0),
            _ => 0,
        }
    })
}

/// The common file arguments: `mode`, `owner`, `group`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attrs {
    /// Wanted mode.
    pub mode: Option<Mode>,
    /// Wanted owner (name or id).
    pub owner: Option<String>,
    /// Wanted group (name or id).
    pub group: Option<String>,
}

/// The common file arguments every file module accepts (`add_file_common_args`).
pub(crate) const COMMON_SPEC: [crate::ArgSpec; 9] = {
    use crate::{ArgSpec, ArgType};
    [
        ArgSpec::new("mode", ArgType::Raw),
        ArgSpec::new("owner", ArgType::Str),
        ArgSpec::new("group", ArgType::Str),
        ArgSpec::new("seuser", ArgType::Str),
        ArgSpec::new("serole", ArgType::Str),
        ArgSpec::new("setype", ArgType::Str),
        ArgSpec::new("selevel", ArgType::Str),
        ArgSpec::new("unsafe_writes", ArgType::Bool),
        ArgSpec::new("attributes", ArgType::Str).aliases(&["attr"]),
    ]
};

/// `own` parameters followed by [`COMMON_SPEC`] (`M` must be `N + 9`).
pub(crate) const fn with_common<const N: usize, const M: usize>(
    own: [crate::ArgSpec; N],
) -> [crate::ArgSpec; M] {
    crate::args::concat(own, &COMMON_SPEC)
}

impl Attrs {
    /// The attributes `args` ask for.
    pub fn from_args(args: &Args) -> Result<Self, ModuleError> {
        Ok(Self {
            mode: Mode::from_args(args).map_err(ModuleError::Args)?,
            owner: args.str("owner").map(str::to_string),
            group: args.str("group").map(str::to_string),
        })
    }

    /// Whether any attribute is asked for.
    pub fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.group.is_some()
    }

    /// The warnings the file module gives in check mode for an `owner` or `group` name the
    /// target does not know (`check_owner_exists`/`check_group_exists`): an earlier task of
    /// the play would have created it, so check mode goes on.
    pub fn unknown_id_warnings(&self, ids: &ProbeOutput) -> Vec<Value> {
        [
            (&self.owner, ids.uid, "user"),
            (&self.group, ids.gid, "group"),
        ]
        .into_iter()
        .filter_map(|(wanted, looked_up, what)| {
            let wanted = wanted.as_deref()?;
            (wanted.parse::<i64>().is_err() && looked_up.is_none()).then(|| {
                Value::from(format!(
                    "failed to look up {what} {wanted}. Create {what} up to this point in real play"
                ))
            })
        })
        .collect()
    }

    /// Compares `st` (of `path`) with the wanted attributes: the commands that make them so
    /// (empty when nothing changes), with Ansible's diff entries added to `before`/`after`.
    pub fn plan(
        &self,
        path: &str,
        st: &Stat,
        ids: &ProbeOutput,
        diff: &mut Diff,
    ) -> Result<Vec<String>, String> {
        let mut commands = Vec::new();
        let quoted = oxible_shell::quote(path);
        for (wanted, current, looked_up, key, tool, what) in [
            (&self.owner, st.uid, ids.uid, "owner", "chown", "user"),
            (&self.group, st.gid, ids.gid, "group", "chgrp", "group"),
        ] {
            let Some(wanted) = wanted else { continue };
            let id = match wanted.parse::<i64>() {
                Ok(id) => id,
                Err(_) => looked_up
                    .ok_or_else(|| format!("{tool} failed: failed to look up {what} {wanted}"))?,
            };
            if id != current {
                diff.set(key, Value::from(current), Value::from(id));
                commands.push(format!("{tool} -h {id} -- {quoted}"));
            }
        }
        if let Some(mode) = &self.mode
            && !st.is_link()
        {
            let bits = mode.resolve(st.st_mode, ids.umask)?;
            if bits != st.perm() {
                diff.set(
                    "mode",
                    Value::from(st.mode_text()),
                    Value::from(mode_text(bits)),
                );
                commands.push(format!("chmod {bits:o} -- {quoted}"));
            }
        }
        Ok(commands)
    }
}

/// Ansible's `diff` dict for state changes: `before` and `after` maps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Diff {
    /// What was.
    pub before: Map,
    /// What is (or would be).
    pub after: Map,
}

impl Diff {
    /// Ansible's `initial_diff`: the path, and the state when it changes.
    pub fn initial(path: &str, state: &str, prev_state: &str) -> Self {
        let mut diff = Self::default();
        diff.set("path", Value::from(path), Value::from(path));
        if state != prev_state {
            diff.set("state", Value::from(prev_state), Value::from(state));
        }
        diff
    }

    /// Records `key` changing from `before` to `after`.
    pub fn set(&mut self, key: &str, before: Value, after: Value) {
        self.before.insert(Value::from(key), before);
        self.after.insert(Value::from(key), after);
    }

    /// The `{before, after}` value.
    pub fn into_value(self) -> Value {
        let mut map = Map::new();
        map.insert(Value::from("before"), Value::map(self.before));
        map.insert(Value::from("after"), Value::map(self.after));
        Value::map(map)
    }
}

/// A content diff entry as Ansible's modules return them (`before`/`after` texts and headers).
pub(crate) fn text_diff(
    before: &str,
    after: &str,
    before_header: Option<&str>,
    after_header: Option<&str>,
) -> Map {
    let mut map = Map::new();
    map.insert(Value::from("before"), Value::from(before));
    map.insert(Value::from("after"), Value::from(after));
    if let Some(h) = before_header {
        map.insert(Value::from("before_header"), Value::from(h));
    }
    if let Some(h) = after_header {
        map.insert(Value::from("after_header"), Value::from(h));
    }
    map
}

/// Ansible's `add_path_info`: `uid`, `gid`, `owner`, `group`, `mode`, `state`, `size` of the
/// path when it exists (following links for existence, `lstat` for the values).
pub(crate) fn add_path_info(outcome: &mut Outcome, probe: &Probe) {
    let (Some(st), Some(_)) = (&probe.lstat, probe.followed()) else {
        return;
    };
    outcome
        .set("uid", st.uid)
        .set("gid", st.gid)
        .set("owner", st.owner.as_str())
        .set("group", st.group.as_str())
        .set("mode", st.mode_text())
        .set("state", probe.state())
        .set("size", st.size);
}

/// Copies `path` to Ansible's backup name (`<path>.<pid>.<YYYY-MM-DD@HH:MM:SS>~`) and prints
/// `b <name>`, as a shell command.
fn backup_snippet(path: &str) -> String {
    let q = oxible_shell::quote(path);
    format!("b={q}.$$.$(date +%Y-%m-%d@%H:%M:%S)~; cp -p -- {q} \"$b\" && printf 'b %s\\n' \"$b\"")
}

/// Where the new content of an [`install`] comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// These bytes, sent through the command's stdin.
    Bytes(Vec<u8>),
    /// A file already on the target (`remote_src`).
    Remote(String),
    /// A file already on the target that is moved, not copied (a download staged beside
    /// the destination).
    Staged(String),
}

/// One atomic file installation, as Ansible's `atomic_move`: the content is staged in a temp
/// file beside `dest`, given `perm` (and the old owner when `keep_owner`), validated, then
/// renamed over `dest`; `after` (attribute commands) run last.
#[derive(Debug, Clone)]
pub(crate) struct Install {
    /// The file to write.
    pub dest: String,
    /// The new content.
    pub source: Source,
    /// The permission bits of the staged file.
    pub perm: u32,
    /// The owner and group the staged file takes (the replaced file's), best effort.
    pub keep_owner: Option<(i64, i64)>,
    /// Copy the old file to a backup first.
    pub backup: bool,
    /// A command checking the staged file (`%s` is its path) before it replaces `dest`.
    pub validate: Option<String>,
    /// Commands run once `dest` is in place.
    pub after: Vec<String>,
    /// Create `dest`'s missing parent directories first (`mkdir -p`).
    pub make_parents: bool,
}

impl Install {
    /// `source` installed as `dest` with `perm` (and `keep_owner`), with no backup, no
    /// validation, no commands after and no parents made: the fields a caller sets
    /// otherwise go in a struct update (`Install { backup, ..Install::new(..) }`).
    pub(crate) fn new(
        dest: String,
        source: Source,
        perm: u32,
        keep_owner: Option<(i64, i64)>,
    ) -> Self {
        Self {
            dest,
            source,
            perm,
            keep_owner,
            backup: false,
            validate: None,
            after: Vec::new(),
            make_parents: false,
        }
    }
}

/// What an [`install`] did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Installed {
    /// The backup's name, when one was made.
    pub backup: Option<String>,
    /// The staged file's name.
    pub staged: String,
    /// `dest` afterwards.
    pub probe: Probe,
    /// When validation refused the content: its exit code, stdout and stderr.
    pub invalid: Option<(i64, String, String)>,
}

/// The marker before a failed validation's exit code and output.
const INVALID_MARK: &str = "@invalid ";

/// Python's `validate % path` for a validate command, with the path as the shell word `word`.
fn validate_command(validate: &str, word: &str) -> Result<String, String> {
    if !validate.contains("%s") {
        return Err(format!("validate must contain %s: {validate}"));
    }
    Ok(validate
        .split("%%")
        .map(|part| part.replace("%s", word))
        .collect::<Vec<_>>()
        .join("%"))
}

/// Performs `install` in one round trip (content through stdin), ending with a probe of `dest`.
pub(crate) async fn install(target: &Target, install: Install) -> Result<Installed, ModuleError> {
    let q = oxible_shell::quote(&install.dest);
    let fill = match &install.source {
        Source::Bytes(_) => "cat > \"$tmp\"".to_string(),
        Source::Remote(src) => format!("cp -- {} \"$tmp\"", oxible_shell::quote(src)),
        Source::Staged(src) => format!("mv -f -- {} \"$tmp\"", oxible_shell::quote(src)),
    };
    let mkdir = if install.make_parents {
        format!("mkdir -p -- \"$(dirname -- {q})\" || exit 1; ")
    } else {
        String::new()
    };
    let mut script = format!(
        "LC_ALL=C; export LC_ALL; {mkdir}tmp=$(mktemp \"$(dirname -- {q})/.oxible_tmp.XXXXXX\") || exit 1; printf 't %s\\n' \"$tmp\"; \
         {{ {fill} && chmod {:o} \"$tmp\"; }} || {{ rm -f \"$tmp\"; exit 1; }}; ",
        install.perm
    );
    if let Some((uid, gid)) = install.keep_owner {
        script.push_str(&format!("chown {uid}:{gid} \"$tmp\" 2>/dev/null; "));
    }
    if install.backup {
        script.push_str(&format!(
            "if [ -e {q} ]; then {{ {}; }} || {{ rm -f \"$tmp\"; exit 1; }}; fi; ",
            backup_snippet(&install.dest)
        ));
    }
    if let Some(validate) = &install.validate {
        let command = validate_command(validate, "\"$tmp\"").map_err(ModuleError::Failed)?;
        script.push_str(&format!(
            "( {command} ) > \"$tmp.o\" 2> \"$tmp.e\"; rc=$?; if [ $rc -ne 0 ]; then printf '{INVALID_MARK}%s\\n' $rc; cat \"$tmp.o\"; cat \"$tmp.e\" >&2; rm -f \"$tmp\" \"$tmp.o\" \"$tmp.e\"; exit 0; fi; rm -f \"$tmp.o\" \"$tmp.e\"; "
        ));
    }
    script.push_str(&format!(
        "mv -f -- \"$tmp\" {q} || {{ rm -f \"$tmp\"; exit 1; }}; "
    ));
    for command in &install.after {
        script.push_str(&format!("{command} || exit 1; "));
    }
    script.push_str(&probe_snippet(&q, Want::default()));
    let stdin = match install.source {
        Source::Bytes(bytes) => Some(bytes),
        Source::Remote(_) | Source::Staged(_) => None,
    };
    let out = target.run(&script, None, stdin).await?;
    let text = out.stdout_text();
    let mut installed = Installed::default();
    for line in text.lines() {
        if let Some(tmp) = line.strip_prefix("t ") {
            installed.staged = tmp.to_string();
        } else if let Some(name) = line.strip_prefix("b ") {
            installed.backup = Some(name.to_string());
        }
    }
    if let Some(at) = text.find(INVALID_MARK) {
        let rest = &text[at + INVALID_MARK.len()..];
        let (rc, stdout) = rest.split_once('\n').unwrap_or((rest, ""));
        installed.invalid = Some((
            rc.trim().parse().unwrap_or(1),
            stdout.to_string(),
            out.stderr_text(),
        ));
        return Ok(installed);
    }
    if out.rc != 0 {
        return Err(ModuleError::Failed(out.stderr_text().trim().to_string()));
    }
    installed.probe = ProbeOutput::parse(&out.stdout).first();
    Ok(installed)
}

/// Python's `os.path.normpath` for POSIX paths: `.` and empty components dropped, `..` folded.
pub(crate) fn normpath(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Runs `commands` in one round trip; the first failure's message is the error.
pub(crate) async fn run_all(target: &Target, commands: &[String]) -> Result<(), ModuleError> {
    if commands.is_empty() {
        return Ok(());
    }
    let out = target.run(&commands.join(" && "), None, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(out.stderr_text().trim().to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_modes_like_ansible() {
        let file = 0o100_644;
        let dir = 0o040_755;
        assert_eq!(symbolic("u=rwX,g=rX,o=", file, 0o022), Some(0o640));
        assert_eq!(symbolic("u=rwX,g=rX,o=", dir, 0o022), Some(0o750));
        assert_eq!(symbolic("a+x", file, 0o022), Some(0o755));
        assert_eq!(symbolic("+w", file, 0o022), Some(0o644));
        assert_eq!(symbolic("go-r", file, 0o022), Some(0o600));
        assert_eq!(symbolic("u+s,g=u", file, 0o022), Some(0o4664));
        assert_eq!(symbolic("z=r", file, 0o022), None);
    }

    #[test]
    fn normpath_like_python() {
        assert_eq!(normpath("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normpath("a/../../b"), "../b");
        assert_eq!(normpath("/../x"), "/x");
        assert_eq!(normpath("./"), ".");
    }

    #[test]
    fn parses_probe_output() {
        let out = ProbeOutput::parse(
            b"u 0022\nU 1000\n@\nl 81a4 0 0 6 1.5 2.5 3.5 7 8 1 8 4096 0 0 root group\n@\n@content\nhello\n@content\n",
        );
        assert_eq!(out.umask, 0o022);
        assert_eq!(out.uid, Some(1000));
        let st = out.records[0].lstat.clone().expect("stat");
        assert_eq!((st.perm(), st.size, st.group.as_str()), (0o644, 6, "group"));
        assert_eq!(out.records[0].state(), "file");
        assert_eq!(out.records[1].state(), "absent");
        assert_eq!(out.content.as_deref(), Some(&b"hello\n@content\n"[..]));
    }
}
