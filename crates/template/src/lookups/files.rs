//! Lookups on controller files: file, fileglob, first_found, template, password.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use oxible_yaml::{Map, Value, ValueKind};

use super::{Call, LookupError, bool_value, fail, failure, int_value, parse_kv, text_term};
use crate::convert::from_jinja;
use crate::scope::{Scope, VarSource};
use crate::templar::Templar;

/// A file's text; `lookup` names the lookup in errors.
fn read_text(lookup: &str, path: &Path) -> Result<String, LookupError> {
    std::fs::read_to_string(path).map_err(|e| {
        failure!(
            "the '{lookup}' lookup cannot read '{}': {e}",
            path.display()
        )
    })
}

/// `file`: the contents of each file (found under `files/` in the search path), stripped as
/// `lstrip`/`rstrip` (default) ask.
pub(super) fn file(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let lstrip = call.option("lstrip").is_some_and(bool_value);
    let rstrip = call.option("rstrip").is_none_or(bool_value);
    call.terms
        .iter()
        .map(|term| {
            let name = text_term("file", term)?;
            let Some(path) = call.find_file(Some("files"), name) else {
                return fail!(
                    "Unable to access the file '{name}': File not found. Use -vvvvv to see paths searched."
                );
            };
            let text = read_text("file", &path)?;
            let text = if lstrip { text.trim_start() } else { &text };
            let text = if rstrip { text.trim_end() } else { text };
            Ok(Value::from(text))
        })
        .collect()
}

/// `fileglob`: the files (not directories) matching each pattern, sorted; a pattern with a
/// directory part is matched in that directory found in the search path, else in each
/// search path directory's `files/` and then itself, the first with matches winning.
pub(super) fn fileglob(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let mut out = Vec::new();
    for term in call.terms {
        let term = text_term("fileglob", term)?;
        let (dir, pattern) = match term.rsplit_once('/') {
            Some((dir, pattern)) => (Some(if dir.is_empty() { "/" } else { dir }), pattern),
            None => (None, term),
        };
        let dirs: Vec<PathBuf> = match dir {
            Some(dir) => call.find_file(Some("files"), dir).into_iter().collect(),
            None => call
                .search_path()
                .into_iter()
                .flat_map(|p| [p.join("files"), p])
                .collect(),
        };
        for dir in dirs {
            let mut found: Vec<String> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter(|e| {
                    glob_match(pattern, &e.file_name().to_string_lossy()) && e.path().is_file()
                })
                .map(|e| dir.join(e.file_name()).to_string_lossy().into_owned())
                .collect();
            if !found.is_empty() {
                found.sort();
                out.extend(found.into_iter().map(Value::from));
                break;
            }
        }
    }
    Ok(out)
}

/// Whether `name` matches the shell pattern `pattern` (`*`, `?`, `[…]`, `[!…]`); a leading
/// dot must be matched explicitly, as Python's `glob`.
fn glob_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let class: String = chars.by_ref().take_while(|&c| c != ']').collect();
                let (negate, class) = match class.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, class.as_str()),
                };
                re.push('[');
                if negate {
                    re.push('^');
                }
                re.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                re.push(']');
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|re| re.is_match(name))
}

/// `first_found`: the first of the candidate files that exists, as an absolute path. Terms
/// are file names, lists of them, or dicts with `files` and `paths`; names are joined to each
/// of `paths` when given, else searched in the search path. `skip=True` gives nothing
/// instead of an error when none exists.
pub(super) fn first_found(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let mut terms = call.terms.to_vec();
    if terms.is_empty()
        && let Some(files) = call.option("files")
    {
        terms.push(files.clone());
    }
    let paths = call.option("paths").cloned();
    let mut candidates = Vec::new();
    collect_candidates(&terms, paths.as_ref(), &mut candidates)?;
    for candidate in candidates {
        if let Some(found) = call.find_file(None, &candidate) {
            return Ok(vec![Value::from(
                absolute(&found).to_string_lossy().as_ref(),
            )]);
        }
    }
    if call.option("skip").is_some_and(bool_value) {
        return Ok(Vec::new());
    }
    fail!("No file was found when using first_found.")
}

/// The candidate paths of `first_found` terms, in order.
fn collect_candidates(
    terms: &[Value],
    paths: Option<&Value>,
    out: &mut Vec<String>,
) -> Result<(), LookupError> {
    for term in terms {
        let (files, paths) = match &term.kind {
            ValueKind::Map(map) => {
                for key in map.keys() {
                    if !matches!(key.as_str(), Some("files" | "paths" | "skip")) {
                        return fail!(
                            "unknown option '{}' in a first_found term; it accepts files, paths, skip",
                            key.py_str()
                        );
                    }
                }
                let files = term.get("files").cloned().unwrap_or(Value::seq(Vec::new()));
                (files, term.get("paths"))
            }
            ValueKind::Str(_) | ValueKind::Unsafe(_) => (term.clone(), paths),
            ValueKind::Seq(items) => {
                collect_candidates(items, paths, out)?;
                continue;
            }
            _ => {
                return fail!(
                    "Invalid term supplied. A string, dict or list is required, not '{}'",
                    term.type_name()
                );
            }
        };
        let files = split_on(&files, &[',', ';']);
        let dirs = paths
            .map(|p| split_on(p, &[',', ':', ';']))
            .unwrap_or_default();
        if dirs.is_empty() {
            out.extend(files);
        } else {
            for dir in &dirs {
                out.extend(
                    files
                        .iter()
                        .map(|f| Path::new(dir).join(f).to_string_lossy().into_owned()),
                );
            }
        }
    }
    Ok(())
}

/// A string split on `splitters`, or each string of a list split so.
fn split_on(value: &Value, splitters: &[char]) -> Vec<String> {
    match &value.kind {
        ValueKind::Seq(items) => items.iter().flat_map(|v| split_on(v, splitters)).collect(),
        _ => value
            .py_str()
            .split(splitters)
            .map(str::to_string)
            .collect(),
    }
}

/// `path` made absolute and normalized without resolving links (Ansible's `unfrackpath`).
fn absolute(path: &Path) -> PathBuf {
    let joined = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The templar that renders `template` lookups.
fn templar() -> &'static Templar {
    static TEMPLAR: OnceLock<Templar> = OnceLock::new();
    TEMPLAR.get_or_init(Templar::new)
}

/// `value` with every string marked `!unsafe`, so an already templated value is not
/// templated again.
fn mark_unsafe(value: Value) -> Value {
    let span = value.span.clone();
    match value.kind {
        ValueKind::Str(s) => Value::new(ValueKind::Unsafe(s)),
        ValueKind::Seq(items) => Value::seq(items.iter().cloned().map(mark_unsafe).collect()),
        ValueKind::Map(map) => Value::map(
            map.iter()
                .map(|(k, v)| (k.clone(), mark_unsafe(v.clone())))
                .collect(),
        ),
        kind => Value::new(kind),
    }
    .with_span(span)
}

/// `template`: each template file (found under `templates/`) rendered with the variables in
/// scope, plus `template_path`, `template_fullpath`, `ansible_managed` and `template_vars`.
pub(super) fn template(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    let extra = match call.option("template_vars") {
        None => Map::new(),
        Some(v) => match v.as_map() {
            Some(map) => map.clone(),
            None => return fail!("the 'template' lookup's template_vars must be a dict"),
        },
    };
    call.terms
        .iter()
        .map(|term| {
            let name = text_term("template", term)?;
            let Some(path) = call.find_file(Some("templates"), name) else {
                return fail!("the template file {name} could not be found for the lookup");
            };
            let text = read_text("template", &path)?;
            render(call, &text, name, &path, &extra)
        })
        .collect()
}

/// Renders one template file's `text` with the variables it uses.
fn render(
    call: &Call<'_>,
    text: &str,
    name: &str,
    path: &Path,
    extra: &Map,
) -> Result<Value, LookupError> {
    let parser = minijinja::Environment::new();
    let used = parser
        .template_from_str(text)
        .map(|t| t.undeclared_variables(false))
        .map_err(|e| failure!("template error in {name}: {e}"))?;
    let mut vars = Map::new();
    for var in used {
        if let Some(value) = call.var_jinja(&var)
            && let Ok(value) = from_jinja(&value)
        {
            vars.insert(Value::from(var.as_str()), mark_unsafe(value));
        }
    }
    let mut own = Map::new();
    own.insert(Value::from("template_path"), Value::from(name));
    own.insert(
        Value::from("template_fullpath"),
        Value::from(absolute(path).to_string_lossy().as_ref()),
    );
    if !vars.contains_key(&Value::from("ansible_managed")) {
        own.insert(
            Value::from("ansible_managed"),
            Value::from("Ansible managed"),
        );
    }
    own.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut scope = Scope::new(templar());
    scope.push(VarSource::PlayVars, Arc::new(vars));
    scope.push(VarSource::Magic, Arc::new(own));
    templar()
        .template_str(text, &scope.into_shared())
        .map_err(|e| failure!("{name}: {e}"))
}

/// The characters of Python's `string` module attributes the `chars` option may name.
fn char_set(spec: &str) -> String {
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &str = "0123456789";
    const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    match spec {
        "ascii_letters" => format!("{LOWER}{UPPER}"),
        "ascii_lowercase" => LOWER.into(),
        "ascii_uppercase" => UPPER.into(),
        "digits" => DIGITS.into(),
        "hexdigits" => "0123456789abcdefABCDEF".into(),
        "octdigits" => "01234567".into(),
        "punctuation" => PUNCTUATION.into(),
        "whitespace" => " \t\n\r\x0b\x0c".into(),
        "printable" => format!("{DIGITS}{LOWER}{UPPER}{PUNCTUATION} \t\n\r\x0b\x0c"),
        other => other.into(),
    }
}

/// The candidate characters of a password (quotes removed, as Ansible does).
fn password_chars(chars: Option<&Value>) -> String {
    let specs: Vec<String> = match chars {
        None => vec!["ascii_letters".into(), "digits".into(), ".,:-_".into()],
        Some(v) => match v.as_seq() {
            Some(items) => items.iter().map(Value::py_str).collect(),
            None => {
                let text = v.py_str();
                let mut specs = Vec::new();
                if text.contains(",,") {
                    specs.push(",".to_string());
                }
                specs.extend(
                    text.replace(",,", ",")
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
                specs
            }
        },
    };
    specs
        .iter()
        .map(|s| char_set(s))
        .collect::<String>()
        .replace(['"', '\''], "")
}

/// A random password of `length` characters from `chars` (the system's CSPRNG).
fn random_password(length: usize, chars: &str) -> Result<String, LookupError> {
    let chars: Vec<char> = chars.chars().collect();
    if chars.is_empty() {
        return fail!("the 'password' lookup has no characters to choose from");
    }
    let mut random = std::fs::File::open("/dev/urandom")
        .map_err(|e| failure!("the 'password' lookup cannot read random data: {e}"))?;
    let limit = u32::MAX - u32::MAX % chars.len() as u32;
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 4];
    while out.chars().count() < length {
        random
            .read_exact(&mut buf)
            .map_err(|e| failure!("the 'password' lookup cannot read random data: {e}"))?;
        let n = u32::from_le_bytes(buf);
        if n < limit {
            out.push(chars[(n % chars.len() as u32) as usize]);
        }
    }
    Ok(out)
}

/// `password`: the password stored in each file (its first line before ` salt=`), or a new
/// random one (`length`, `chars`) written to the file (mode 0600, directories 0700);
/// `/dev/null` always gives a new one. `encrypt`, `ident` and `seed` are not supported.
pub(super) fn password(call: &Call<'_>) -> Result<Vec<Value>, LookupError> {
    const OPTIONS: &[&str] = &["length", "chars"];
    call.terms
        .iter()
        .map(|term| {
            let term = text_term("password", term)?;
            let (relpath, params) = match term.split_once(' ') {
                Some((path, params)) => (path, parse_kv(params)),
                None => (term, (Vec::new(), None)),
            };
            if let Some(raw) = params.1 {
                return fail!("Unrecognized value after key=value parameters given to password lookup: {raw}");
            }
            let mut options: Map = OPTIONS
                .iter()
                .filter_map(|k| call.option(k).map(|v| (Value::from(*k), v.clone())))
                .collect();
            for (key, value) in params.0 {
                if !OPTIONS.contains(&key.as_str()) {
                    return fail!(
                        "Unrecognized parameter(s) given to password lookup: {key}; oxible supports {}",
                        OPTIONS.join(", ")
                    );
                }
                options.insert(Value::from(key), Value::from(value));
            }
            let length = match options.get(&Value::from("length")) {
                Some(v) => usize::try_from(int_value("password", "length", v)?).unwrap_or(0),
                None => 20,
            };
            let chars = password_chars(options.get(&Value::from("chars")));
            let path = call.base_dir().join(super::expand_home(relpath));
            stored_or_new(&path, length, &chars).map(Value::from)
        })
        .collect()
}

/// The password stored at `path`, or a new one, stored there.
fn stored_or_new(path: &Path, length: usize, chars: &str) -> Result<String, LookupError> {
    let is_null = path == Path::new("/dev/null");
    if !is_null && path.exists() {
        let content = read_text("password", path)?;
        let content = content.trim_end();
        return Ok(match content.rfind(" salt=") {
            Some(at) => content[..at].to_string(),
            None => content.to_string(),
        });
    }
    let password = random_password(length, chars)?;
    if !is_null {
        write_private(path, &password).map_err(|e| {
            failure!(
                "the 'password' lookup cannot write '{}': {e}",
                path.display()
            )
        })?;
    }
    Ok(password)
}

/// Writes `password` and a newline to a new file readable by its owner only.
fn write_private(path: &Path, password: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{password}")
}
