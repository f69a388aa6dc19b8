//! Filters: POSIX paths and URLs (`basename`, `dirname`, `splitext`, `expanduser`,
//! `realpath`, `relpath`, `urlsplit`), as Python's `posixpath` and `urllib.parse` compute them.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use crate::args::{Bound, Signature, add_filter, sig};
use crate::python::type_name;

/// Registers this family's filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    add_filter(env, &BASENAME, |v, _| {
        Ok(Value::from(basename(input(&BASENAME, v)?)))
    });
    add_filter(env, &DIRNAME, |v, _| {
        Ok(Value::from(dirname(input(&DIRNAME, v)?)))
    });
    add_filter(env, &SPLITEXT, |v, _| {
        let (root, ext) = splitext(input(&SPLITEXT, v)?);
        Ok(Value::from(vec![Value::from(root), Value::from(ext)]))
    });
    add_filter(env, &EXPANDUSER, |v, _| {
        Ok(Value::from(expanduser(input(&EXPANDUSER, v)?)))
    });
    add_filter(env, &REALPATH, |v, _| {
        Ok(Value::from(realpath(input(&REALPATH, v)?, 0)))
    });
    add_filter(env, &RELPATH, relpath);
    add_filter(env, &URLSPLIT, urlsplit);
}

sig!(BASENAME, "basename", []);
sig!(DIRNAME, "dirname", []);
sig!(SPLITEXT, "splitext", []);
sig!(EXPANDUSER, "expanduser", []);
sig!(REALPATH, "realpath", []);
sig!(RELPATH, "relpath", ["start=None"]);
sig!(URLSPLIT, "urlsplit", ["query=''"]);

/// The path a filter works on, which Python requires to be a string.
fn input<'a>(sig: &Signature, v: &'a Value) -> Result<&'a str, Error> {
    v.as_str().ok_or_else(|| {
        sig.error(format!(
            "expected str, bytes or os.PathLike object, not {}",
            type_name(v)
        ))
    })
}

/// `basename`: the part after the last `/` (`posixpath.basename`).
fn basename(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// `dirname`: the part before the last `/`, trailing slashes dropped unless it is all
/// slashes (`posixpath.dirname`).
fn dirname(path: &str) -> &str {
    let head = path.rfind('/').map_or("", |i| &path[..=i]);
    if !head.is_empty() && !head.bytes().all(|b| b == b'/') {
        head.trim_end_matches('/')
    } else {
        head
    }
}

/// `splitext`: `[root, ext]` where `ext` is the last dot and what follows in the last
/// component, unless the component is only leading dots (`posixpath.splitext`).
fn splitext(path: &str) -> (&str, &str) {
    let sep = path.rfind('/').map_or(0, |i| i + 1);
    if let Some(dot) = path.rfind('.').filter(|&d| d >= sep)
        && path[sep..dot].bytes().any(|b| b != b'.')
    {
        return (&path[..dot], &path[dot..]);
    }
    (path, "")
}

/// `expanduser`: a leading `~` (the `HOME` directory) or `~user` (from `/etc/passwd`)
/// replaced by the home directory; unchanged when unknown (`posixpath.expanduser`).
fn expanduser(path: &str) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (user, tail) = rest.split_at(end);
    let home = if user.is_empty() {
        std::env::var("HOME").ok()
    } else {
        passwd_home(user)
    };
    match home {
        Some(home) => {
            let joined = format!("{}{tail}", home.trim_end_matches('/'));
            if joined.is_empty() {
                "/".to_string()
            } else {
                joined
            }
        }
        None => path.to_string(),
    }
}

/// The home directory of `user` in `/etc/passwd`.
fn passwd_home(user: &str) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user) && fields.len() > 5).then(|| fields[5].to_string())
    })
}

/// `posixpath.normpath`: `.` and empty components dropped, `..` applied lexically.
fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let slashes = path.len() - path.trim_start_matches('/').len();
    let initial = match slashes {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." if !parts.is_empty() && parts.last() != Some(&"..") => {
                parts.pop();
            }
            ".." if !initial.is_empty() => {}
            comp => parts.push(comp),
        }
    }
    let joined = format!("{initial}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The current directory as text.
fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/".to_string())
}

/// `posixpath.abspath`: joined to the current directory when relative, then normalized.
fn abspath(path: &str) -> String {
    if path.starts_with('/') {
        normpath(path)
    } else {
        normpath(&format!("{}/{path}", cwd()))
    }
}

/// `realpath`: the absolute path with symbolic links resolved, components that do not exist
/// kept as they are (`os.path.realpath`).
fn realpath(path: &str, depth: usize) -> String {
    let start = if path.starts_with('/') {
        String::new()
    } else {
        cwd()
    };
    let mut resolved = start;
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                let cut = resolved.rfind('/').unwrap_or(0);
                resolved.truncate(cut);
            }
            comp => {
                let candidate = format!("{resolved}/{comp}");
                match std::fs::read_link(&candidate) {
                    Ok(target) if depth < 40 => {
                        let target = target.to_string_lossy().into_owned();
                        resolved = if target.starts_with('/') {
                            realpath(&target, depth + 1)
                        } else {
                            realpath(&format!("{resolved}/{target}"), depth + 1)
                        };
                        if resolved == "/" {
                            resolved.clear();
                        }
                    }
                    _ => resolved = candidate,
                }
            }
        }
    }
    if resolved.is_empty() {
        "/".to_string()
    } else {
        resolved
    }
}

/// `relpath(start=None)`: the path relative to `start` (the current directory by default),
/// both made absolute first (`posixpath.relpath`).
fn relpath(v: &Value, args: &Bound) -> Result<Value, Error> {
    let path = input(&RELPATH, v)?;
    if path.is_empty() {
        return Err(args.error("no path specified"));
    }
    let start = match args.opt(0) {
        Some(s) => input(&RELPATH, s)?.to_string(),
        None => ".".to_string(),
    };
    let (path, start) = (abspath(path), abspath(&start));
    let comps = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (path, start) = (comps(&path), comps(&start));
    let common = path.iter().zip(&start).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); start.len() - common];
    parts.extend(path[common..].iter().cloned());
    Ok(Value::from(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }))
}

/// Python's `urllib.parse.urlsplit` fields, in the order Ansible lists them.
const URL_FIELDS: [&str; 9] = [
    "fragment", "hostname", "netloc", "password", "path", "port", "query", "scheme", "username",
];

/// `urlsplit(query='')`: the URL's parts as Python's `urlsplit` gives them (`scheme`,
/// `netloc`, `path`, `query`, `fragment`, `username`, `password`, `hostname`, `port`), or
/// the one part `query` names.
fn urlsplit(v: &Value, args: &Bound) -> Result<Value, Error> {
    let url = input(&URLSPLIT, v)?;
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(i) = rest.find(':')
        && i > 0
        && rest.starts_with(|c: char| c.is_ascii_alphabetic())
        && rest[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        scheme = rest[..i].to_ascii_lowercase();
        rest = &rest[i + 1..];
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return Err(args.error("Invalid IPv6 URL"));
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (userinfo, hostinfo) = match netloc.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Value::from(u), Value::from(p)),
            None => (Value::from(info), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (hostname, port) = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (host, after.split_once(':').map_or("", |(_, p)| p))
        }
        None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
    };
    let hostname = if hostname.is_empty() {
        Value::from(())
    } else {
        let (name, zone) = hostname
            .split_once('%')
            .map_or((hostname, None), |(n, z)| (n, Some(z)));
        Value::from(match zone {
            Some(zone) => format!("{}%{zone}", name.to_lowercase()),
            None => name.to_lowercase(),
        })
    };
    let port_value = || -> Result<Value, Error> {
        if port.is_empty() {
            return Ok(Value::from(()));
        }
        let number = port
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| port.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| {
                args.error(format!(
                    "Port could not be cast to integer value as '{port}'"
                ))
            })?;
        if number > 65535 {
            return Err(args.error("Port out of range 0-65535"));
        }
        Ok(Value::from(number))
    };
    let field = |name: &str| -> Result<Value, Error> {
        Ok(match name {
            "fragment" => Value::from(fragment),
            "hostname" => hostname.clone(),
            "netloc" => Value::from(netloc),
            "password" => password.clone(),
            "path" => Value::from(path),
            "port" => port_value()?,
            "query" => Value::from(query),
            "scheme" => Value::from(scheme.as_str()),
            _ => username.clone(),
        })
    };
    // Ansible reads every field before choosing one, so a bad port fails any query.
    let mut pairs = Vec::with_capacity(URL_FIELDS.len());
    for name in URL_FIELDS {
        pairs.push((Value::from(name), field(name)?));
    }
    let wanted = args.str(0, "")?;
    if wanted.is_empty() {
        return Ok(crate::convert::jinja_map(pairs));
    }
    pairs
        .into_iter()
        .find(|(name, _)| name.as_str() == Some(wanted))
        .map(|(_, value)| value)
        .ok_or_else(|| args.error(format!("urlsplit: unknown URL component: {wanted}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_paths() {
        assert_eq!(dirname("/a/b//c"), "/a/b");
        assert_eq!(dirname("//x"), "//");
        assert_eq!(splitext("a/.bashrc"), ("a/.bashrc", ""));
        assert_eq!(splitext("a/b.tar.gz"), ("a/b.tar", ".gz"));
        assert_eq!(normpath("//a/../b/./c/"), "//b/c");
        assert_eq!(normpath("../a/.."), "..");
    }
}
