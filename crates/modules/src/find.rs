//! `find`: files below directories that match names, types, ages, sizes, modes and contents,
//! as Ansible's `find` module.
//!
//! One command lists every candidate with its `lstat` (`find -exec stat … +`, bounded by
//! `recurse`/`depth`); the controller replays Python's `os.walk` over that listing (a
//! directory's files before its subdirectories, links to directories walked only with
//! `follow`) and applies the filters. A second round trip, only for `contains` or
//! `get_checksum`, brings the contents and checksums of the files that passed the other filters.
//! Not done: `encoding` (contents are read as UTF-8, invalid bytes replaced).

use std::collections::{HashMap, HashSet};

use oxible_pyre::Regex;
use oxible_yaml::{Map, Value, ValueKind};

use crate::fs::{self, Mode, Stat};
use crate::{ArgSpec, ArgType, Args, ModuleError, Outcome, Target};

const SPEC: &[ArgSpec] = &[
    ArgSpec::new("paths", ArgType::List)
        .required()
        .aliases(&["name", "path"]),
    ArgSpec::new("patterns", ArgType::List).aliases(&["pattern"]),
    ArgSpec::new("excludes", ArgType::List).aliases(&["exclude"]),
    ArgSpec::new("contains", ArgType::Str),
    ArgSpec::new("read_whole_file", ArgType::Bool),
    ArgSpec::new("file_type", ArgType::Str).choices(&["any", "directory", "file", "link"]),
    ArgSpec::new("age", ArgType::Str),
    ArgSpec::new("age_stamp", ArgType::Str).choices(&["atime", "ctime", "mtime"]),
    ArgSpec::new("size", ArgType::Str),
    ArgSpec::new("recurse", ArgType::Bool),
    ArgSpec::new("hidden", ArgType::Bool),
    ArgSpec::new("follow", ArgType::Bool),
    ArgSpec::new("get_checksum", ArgType::Bool),
    ArgSpec::new("checksum_algorithm", ArgType::Str)
        .aliases(&["checksum", "checksum_algo"])
        .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]),
    ArgSpec::new("use_regex", ArgType::Bool),
    ArgSpec::new("depth", ArgType::Int),
    ArgSpec::new("mode", ArgType::Raw),
    ArgSpec::new("exact_mode", ArgType::Bool),
    ArgSpec::new("encoding", ArgType::Str),
    ArgSpec::new("limit", ArgType::Int),
];

module!(
    /// The `find` module.
    pub Find = "find", SPEC, run
);

/// A name filter: globs or Python regexes (`re.match`, anchored at the start).
enum Names {
    Globs(Vec<String>),
    Regexes(Vec<Regex>),
}

impl Names {
    fn new(patterns: Vec<String>, use_regex: bool, param: &str) -> Result<Self, ModuleError> {
        if !use_regex {
            return Ok(Self::Globs(patterns));
        }
        let compiled = patterns
            .iter()
            .map(|p| crate::pyre::compile_match(param, p).map_err(ModuleError::Failed))
            .collect::<Result<_, _>>()?;
        Ok(Self::Regexes(compiled))
    }

    fn any(&self, name: &str) -> Result<bool, ModuleError> {
        match self {
            Self::Globs(globs) => Ok(globs.iter().any(|g| oxible_inventory::fnmatch(g, name))),
            Self::Regexes(res) => {
                for re in res {
                    if crate::pyre::is_match(re, name)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

/// The validated filters.
struct Filters {
    patterns: Names,
    excludes: Option<Names>,
    file_type: String,
    /// Seconds; negative: at most that old.
    age: Option<i64>,
    age_stamp: String,
    /// Bytes; negative: at most that big.
    size: Option<i64>,
    mode: Option<u32>,
    exact_mode: bool,
    contains: Option<Regex>,
    read_whole_file: bool,
    hidden: bool,
    recurse: bool,
    depth: Option<i64>,
    follow: bool,
    limit: Option<usize>,
}

/// `<number><unit>` as Ansible's `age`/`size` parsing, with `units` giving each unit's factor.
fn scaled(text: &str, units: &[(char, i64)]) -> Option<i64> {
    let lower = text.to_lowercase();
    let (digits, factor) = match lower.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (
            &lower[..lower.len() - 1],
            units.iter().find(|(u, _)| *u == c)?.1,
        ),
        _ => (lower.as_str(), 1),
    };
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(factor)
}

impl Filters {
    fn new(args: &Args, umask: u32) -> Result<Result<Self, Outcome>, ModuleError> {
        let use_regex = args.bool("use_regex", false);
        let mut patterns = args.strings("patterns");
        if patterns.is_empty() {
            patterns.push(if use_regex { ".*" } else { "*" }.into());
        }
        let excludes = args.strings("excludes");
        let fail = |key: &str, msg: &str| {
            let mut outcome = Outcome::failure(msg);
            outcome.set(key, args.str(key).unwrap_or_default());
            Ok(Err(outcome))
        };
        let age = match args.str("age") {
            None => None,
            Some(text) => match scaled(
                text,
                &[
                    ('s', 1),
                    ('m', 60),
                    ('h', 3600),
                    ('d', 86400),
                    ('w', 604_800),
                ],
            ) {
                Some(age) => Some(age),
                None => return fail("age", "failed to process age"),
            },
        };
        let size = match args.str("size") {
            None => None,
            Some(text) => match scaled(
                text,
                &[
                    ('b', 1),
                    ('k', 1 << 10),
                    ('m', 1 << 20),
                    ('g', 1 << 30),
                    ('t', 1 << 40),
                ],
            ) {
                Some(size) => Some(size),
                None => return fail("size", "failed to process size"),
            },
        };
        let limit = match args.int("limit") {
            Some(n) if n <= 0 => {
                return Ok(Err(Outcome::failure(format!(
                    "limit cannot be {n} (use None for unlimited)"
                ))));
            }
            n => n.and_then(|n| usize::try_from(n).ok()),
        };
        let mode = match args.get("mode").map(|v| &v.kind) {
            None => None,
            Some(ValueKind::Str(_)) => Mode::from_args(args)
                .map_err(ModuleError::Args)?
                .map(|m| m.resolve(0, umask).map_err(ModuleError::Failed))
                .transpose()?
                .map(|bits| bits & 0o7777),
            Some(_) => {
                return Ok(Err(Outcome::failure(format!(
                    "argument 'mode' is not a string and conversion is not allowed, value is of type {}",
                    args.get("mode").map(Value::type_name).unwrap_or_default()
                ))));
            }
        };
        let contains = args
            .str("contains")
            .map(|p| crate::pyre::compile_match("contains", p).map_err(ModuleError::Failed))
            .transpose()?;
        Ok(Ok(Self {
            patterns: Names::new(patterns, use_regex, "patterns")?,
            excludes: (!excludes.is_empty())
                .then(|| Names::new(excludes, use_regex, "excludes"))
                .transpose()?,
            file_type: args.str("file_type").unwrap_or("file").to_string(),
            age,
            age_stamp: args.str("age_stamp").unwrap_or("mtime").to_string(),
            size,
            mode,
            exact_mode: args.bool("exact_mode", true),
            contains,
            read_whole_file: args.bool("read_whole_file", false),
            hidden: args.bool("hidden", false),
            recurse: args.bool("recurse", false),
            depth: args.int("depth").filter(|d| *d != 0),
            follow: args.bool("follow", false),
            limit,
        }))
    }

    /// Ansible's `pfilter`: some pattern matches and no exclude does.
    fn name_ok(&self, name: &str) -> Result<bool, ModuleError> {
        Ok(self.patterns.any(name)?
            && !match &self.excludes {
                Some(excludes) => excludes.any(name)?,
                None => false,
            })
    }

    fn age_ok(&self, st: &Stat, now: f64) -> bool {
        let Some(age) = self.age else { return true };
        let stamp = match self.age_stamp.as_str() {
            "atime" => st.atime,
            "ctime" => st.ctime,
            _ => st.mtime,
        };
        let old = now - stamp;
        if age >= 0 {
            old >= age as f64
        } else {
            old <= age.unsigned_abs() as f64
        }
    }

    fn size_ok(&self, st: &Stat) -> bool {
        match self.size {
            None => true,
            Some(size) if size >= 0 => st.size >= size,
            Some(size) => st.size <= -size,
        }
    }

    fn mode_ok(&self, st: &Stat) -> bool {
        match self.mode {
            None => true,
            Some(mode) if self.exact_mode => st.perm() == mode,
            Some(mode) => st.perm() & mode != 0,
        }
    }

    /// Ansible's `contentfilter` on the file's text.
    fn content_ok(&self, text: Option<&str>) -> Result<bool, ModuleError> {
        let (Some(re), Some(text)) = (&self.contains, text) else {
            return Ok(self.contains.is_none());
        };
        if self.read_whole_file {
            return crate::pyre::is_match(re, text);
        }
        for line in text.split_inclusive('\n') {
            if crate::pyre::is_match(re, line.strip_suffix('\n').unwrap_or(line))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether the entry matches, apart from its content, and whether its content decides.
    fn matches(&self, name: &str, st: &Stat, now: f64) -> Result<(bool, bool), ModuleError> {
        let common = self.name_ok(name)? && self.age_ok(st, now) && self.mode_ok(st);
        Ok(match self.file_type.as_str() {
            "any" => (common && (!st.is_reg() || self.size_ok(st)), false),
            "directory" => (common && st.is_dir(), false),
            "link" => (common && st.is_link(), false),
            _ => (common && st.is_reg() && self.size_ok(st), true),
        })
    }
}

/// One listed entry.
struct Entry {
    path: String,
    name: String,
    st: Stat,
    /// A directory, or a link to one (`os.walk` lists both as directories).
    dir: bool,
}

/// One `paths` item as listed by the target.
#[derive(Default)]
struct Listing {
    entries: Vec<Entry>,
    /// Indices of each directory's entries, in the target's directory order.
    children: HashMap<String, Vec<usize>>,
}

/// What the target holds for a file: its checksum, its text.
#[derive(Default)]
struct Data {
    checksum: Option<String>,
    text: Option<String>,
}

/// The walk's result over one path.
struct Walked<'a> {
    matched: Vec<&'a Entry>,
    examined: usize,
    limit_reached: bool,
}

impl Listing {
    /// Replays `os.walk(root)` with Ansible's loop; `data` says what files contain (`None`:
    /// not known yet, every content passes).
    fn walk<'a>(
        &'a self,
        root: &str,
        filters: &Filters,
        now: f64,
        data: Option<&HashMap<String, Data>>,
        already: usize,
    ) -> Result<Walked<'a>, ModuleError> {
        let mut walked = Walked {
            matched: Vec::new(),
            examined: 0,
            limit_reached: false,
        };
        let mut stack = vec![(root.to_string(), 1)];
        while let Some((dir, depth)) = stack.pop() {
            let ids = self.children.get(&dir).map(Vec::as_slice).unwrap_or(&[]);
            walked.examined += ids.len();
            let (dirs, files): (Vec<&Entry>, Vec<&Entry>) =
                ids.iter().map(|&i| &self.entries[i]).partition(|e| e.dir);
            let mut descend = true;
            for entry in files.iter().chain(&dirs) {
                if filters.depth.is_some_and(|d| depth > d) {
                    descend = false;
                    continue;
                }
                if entry.name.starts_with('.') && !filters.hidden {
                    continue;
                }
                let (ok, by_content) = filters.matches(&entry.name, &entry.st, now)?;
                let content_ok = || match data {
                    None => Ok(true),
                    Some(data) => {
                        filters.content_ok(data.get(&entry.path).and_then(|d| d.text.as_deref()))
                    }
                };
                if ok && (!by_content || content_ok()?) {
                    walked.matched.push(entry);
                }
                if filters.limit == Some(already + walked.matched.len()) {
                    walked.limit_reached = true;
                    break;
                }
            }
            if !filters.recurse || walked.limit_reached {
                break;
            }
            if descend {
                stack.extend(
                    dirs.iter()
                        .rev()
                        .filter(|d| filters.follow || !d.st.is_link())
                        .map(|d| (d.path.clone(), depth + 1)),
                );
            }
        }
        Ok(walked)
    }
}

/// Ansible's `statinfo` for one matched entry (plus `checksum` when asked for).
fn file_info(entry: &Entry, checksum: Option<&str>) -> Value {
    let mut info = Map::new();
    info.insert(Value::from("path"), Value::from(entry.path.as_str()));
    for (key, value) in crate::stat::format_output(&entry.path, &entry.st) {
        if !matches!(
            key.py_str().as_str(),
            "exists" | "path" | "blocks" | "block_size" | "device_type"
        ) {
            info.insert(key, value);
        }
    }
    info.insert(
        Value::from("mode"),
        Value::from(format!("{:04o}", entry.st.perm())),
    );
    info.insert(Value::from("gr_name"), Value::from(entry.st.group.as_str()));
    info.insert(Value::from("pw_name"), Value::from(entry.st.owner.as_str()));
    if let Some(sum) = checksum {
        info.insert(Value::from("checksum"), Value::from(sum));
    }
    Value::map(info)
}

/// Parses the listing command's output: the clock, the umask, and one listing per path
/// (`None`: not a directory).
fn parse_listings(text: &str) -> (f64, u32, Vec<Option<Listing>>) {
    let (mut now, mut umask) = (0.0, 0o022);
    let mut listings: Vec<Option<Listing>> = Vec::new();
    let mut links: HashSet<String> = HashSet::new();
    for line in text.lines() {
        match line {
            "@nodir" => listings.push(None),
            "@dir" => listings.push(Some(Listing::default())),
            _ => {
                if let Some(t) = line.strip_prefix("@now ") {
                    now = t.trim().parse().unwrap_or(0.0);
                } else if let Some(u) = line.strip_prefix("@umask ") {
                    umask = u32::from_str_radix(u.trim(), 8).unwrap_or(0o022);
                } else if let Some(path) = line.strip_prefix("@D ") {
                    links.insert(fs::normpath(path));
                } else if let (Some(Some(listing)), Some((path, st))) =
                    (listings.last_mut(), fs::parse_listing_line(line))
                {
                    let path = fs::normpath(path);
                    let (parent, name) = path.rsplit_once('/').unwrap_or((".", &path));
                    let parent = if parent.is_empty() { "/" } else { parent };
                    listing
                        .children
                        .entry(parent.to_string())
                        .or_default()
                        .push(listing.entries.len());
                    listing.entries.push(Entry {
                        name: name.to_string(),
                        dir: st.is_dir(),
                        path,
                        st,
                    });
                }
            }
        }
    }
    for listing in listings.iter_mut().flatten() {
        for entry in &mut listing.entries {
            entry.dir |= links.contains(&entry.path);
        }
    }
    (now, umask, listings)
}

/// The second round trip: checksums and texts of `files`.
async fn file_data(
    target: &Target,
    files: &[&Entry],
    checksum: Option<&str>,
    texts: bool,
) -> Result<HashMap<String, Data>, ModuleError> {
    let mut script = String::from("LC_ALL=C; export LC_ALL; ");
    let sum = checksum
        .map(|algo| format!("$({algo}sum < \"$p\" | cut -d' ' -f1)"))
        .unwrap_or_else(|| "-".into());
    let size = if texts { "$(wc -c < \"$p\")" } else { "-" };
    for entry in files {
        script.push_str(&format!(
            "p={}; n={size}; printf '@ %s %s\\n' \"{sum}\" \"$n\"; ",
            oxible_shell::quote(&entry.path)
        ));
        if texts {
            script.push_str("[ -n \"$n\" ] && head -c \"$n\" -- \"$p\"; ");
        }
    }
    let out = target.run(&script, None, None).await?;
    let mut rest = out.stdout.as_slice();
    let mut data = HashMap::new();
    for entry in files {
        let Some(end) = rest.iter().position(|b| *b == b'\n') else {
            break;
        };
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 1..];
        let mut fields = header.split(' ').skip(1);
        let sum = fields.next().filter(|s| !s.is_empty() && *s != "-");
        let text = fields
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| {
                let (body, after) = rest.split_at(n.min(rest.len()));
                rest = after;
                String::from_utf8_lossy(body).into_owned()
            });
        data.insert(
            entry.path.clone(),
            Data {
                checksum: sum.map(str::to_string),
                text,
            },
        );
    }
    Ok(data)
}

async fn run(target: &Target, args: Args) -> Result<Outcome, ModuleError> {
    let paths = args.strings("paths");
    let follow = args.bool("follow", false);
    let recurse = args.bool("recurse", false);
    let depth = args.int("depth").filter(|d| *d != 0);
    let max_depth = match (recurse, depth) {
        (false, _) => " -maxdepth 1".to_string(),
        (true, Some(d)) => format!(" -maxdepth {}", d.saturating_add(1)),
        (true, None) => String::new(),
    };
    let (walk_flag, link_dirs) = if follow {
        ("-L", "-type d -xtype l")
    } else {
        ("-H", "-type l -xtype d")
    };
    let mut script = String::from(
        "LC_ALL=C; export LC_ALL; echo \"@now $(date +%s.%N)\"; echo \"@umask $(umask)\"; ",
    );
    for path in &paths {
        let q = oxible_shell::quote(path);
        let find_args = format!("{walk_flag} {q} -mindepth 1{max_depth}");
        script.push_str(&format!(
            "if [ -d {q} ]; then echo @dir; {}; find {find_args} {link_dirs} -exec printf '@D %s\\n' {{}} +; else echo @nodir; fi; ",
            fs::listing_snippet(&find_args)
        ));
    }
    let out = target.run(&script, None, None).await?;
    let (now, umask, listings) = parse_listings(&out.stdout_text());
    let filters = match Filters::new(&args, umask)? {
        Ok(filters) => filters,
        Err(failure) => return Ok(failure),
    };
    let mut skipped = Map::new();
    for line in out.stderr_text().lines() {
        if let Some(path) = line
            .strip_prefix("find: '")
            .and_then(|l| l.strip_suffix("': Permission denied"))
        {
            skipped.insert(
                Value::from(path),
                Value::from(format!("[Errno 13] Permission denied: '{path}'")),
            );
        }
    }
    let get_checksum = args.bool("get_checksum", false);
    let algorithm = args.str("checksum_algorithm").unwrap_or("sha1");
    let walks = |data: Option<&HashMap<String, Data>>| {
        let mut all: Vec<(&str, Option<Walked<'_>>)> = Vec::new();
        let mut found = 0;
        for (path, listing) in paths.iter().zip(&listings) {
            let walked = listing
                .as_ref()
                .map(|l| l.walk(&fs::normpath(path), &filters, now, data, found))
                .transpose()?;
            found += walked.as_ref().map_or(0, |w| w.matched.len());
            all.push((path, walked));
        }
        Ok::<_, ModuleError>(all)
    };
    let mut data = HashMap::new();
    if filters.contains.is_some() || get_checksum {
        let wanted: Vec<&Entry> = walks(None)?
            .into_iter()
            .flat_map(|(_, w)| w.map(|w| w.matched).unwrap_or_default())
            .filter(|e| e.st.is_reg())
            .collect();
        if !wanted.is_empty() {
            data = file_data(
                target,
                &wanted,
                get_checksum.then_some(algorithm),
                filters.contains.is_some() && filters.file_type == "file",
            )
            .await?;
        }
    }
    let mut files = Vec::new();
    let mut examined = 0;
    let mut warnings = Vec::new();
    let mut msg = "All paths examined";
    for (path, walked) in walks(Some(&data))? {
        let Some(walked) = walked else {
            let reason = format!("'{path}' is not a directory");
            warnings.push(Value::from(format!(
                "Skipped '{path}' path due to this access issue: {reason}\n"
            )));
            skipped.insert(Value::from(path), Value::from(reason));
            continue;
        };
        examined += walked.examined;
        for entry in walked.matched {
            let sum = data.get(&entry.path).and_then(|d| d.checksum.as_deref());
            files.push(file_info(entry, sum.filter(|_| get_checksum)));
        }
        if walked.limit_reached {
            msg = "Limit of matches reached";
        }
    }
    if !warnings.is_empty() {
        msg = "Not all paths examined, check warnings for details";
    }
    let mut outcome = Outcome::changed(false);
    outcome.msg = Some(msg.into());
    let matched = i64::try_from(files.len()).unwrap_or(i64::MAX);
    outcome
        .set("files", Value::seq(files))
        .set("matched", matched)
        .set("examined", i64::try_from(examined).unwrap_or(i64::MAX))
        .set("skipped_paths", Value::map(skipped));
    if !warnings.is_empty() {
        outcome.set("warnings", Value::seq(warnings));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sizes_like_ansible() {
        let units = [('s', 1), ('m', 60), ('d', 86400)];
        assert_eq!(scaled("2d", &units), Some(172_800));
        assert_eq!(scaled("-3M", &units), Some(-180));
        assert_eq!(scaled("10", &units), Some(10));
        assert_eq!(scaled("1x", &units), None);
        assert_eq!(scaled("d", &units), None);
    }
}
