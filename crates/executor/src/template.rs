//! `template`: a Jinja file from the controller (the role's `templates/`, then the task's and
//! the playbook's directories) rendered with the task's variables plus Ansible's template
//! variables, then written by the `copy` module as its `content`, as Ansible's template action
//! hands the result to the copy action (check mode and diffs come with it).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use oxible_template::TextOptions;
use oxible_yaml::py_datetime;
use oxible_yaml::{Map, Value};

use crate::host::HostState;
use crate::task::{Ran, TaskRun, failed, truthy_value};

/// Arguments that shape the rendering and are not passed on to `copy`.
const RENDER_ONLY: &[&str] = &[
    "src",
    "newline_sequence",
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "trim_blocks",
    "lstrip_blocks",
    "output_encoding",
];

impl TaskRun<'_, '_> {
    /// Runs `template` with templated `args` on `host`; `extra` holds the loop variables.
    pub(crate) async fn template(
        &self,
        args: &Map,
        host: &mut HostState,
        extra: Option<Map>,
    ) -> Ran {
        let arg = |key: &str| args.get(&Value::from(key));
        let flag = |key: &str, default: bool| arg(key).map_or(default, truthy_value);
        let newline = match arg("newline_sequence").map(Value::py_str).as_deref() {
            None | Some("\n" | "\\n") => "\n",
            Some("\r" | "\\r") => "\r",
            Some("\r\n" | "\\r\\n") => "\r\n",
            Some(_) => return failed("newline_sequence needs to be one of: \n, \r or \r\n"),
        };
        let (Some(src), Some(dest)) = (arg("src").map(Value::py_str), arg("dest")) else {
            return failed("src and dest are required");
        };
        if arg("state").is_some() {
            return failed("'state' cannot be specified on a template");
        }
        let source = match self.find_needle("templates", &src) {
            Ok(source) => source,
            Err(msg) => return self.failed_raised(&msg),
        };
        let text = match std::fs::read_to_string(&source) {
            Ok(text) => text,
            Err(err) => return failed(&format!("{}: {err}", source.display())),
        };
        let mut vars = extra.unwrap_or_default();
        vars.extend(template_vars(&src, &source, dest));
        let scope = self.scope(host, Some(vars));
        let options = TextOptions {
            trim_blocks: flag("trim_blocks", true),
            lstrip_blocks: flag("lstrip_blocks", false),
        };
        let rendered = match self.play.templar.render_text_with(&text, &scope, options) {
            Ok(rendered) if newline != "\n" => rendered.replace('\n', newline),
            Ok(rendered) => rendered,
            Err(err) => return self.failed_template(&err),
        };
        let mut copy_args: Map = args
            .iter()
            .filter(|(k, _)| !k.as_str().is_some_and(|k| RENDER_ONLY.contains(&k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        copy_args.insert(Value::from("content"), Value::from(rendered));
        if arg("mode").map(Value::py_str).as_deref() == Some("preserve")
            && let Ok(meta) = std::fs::metadata(&source)
        {
            let mode = format!("0{:03o}", meta.mode() & 0o7777);
            copy_args.insert(Value::from("mode"), Value::from(mode));
        }
        match self.target_settings(host, &scope) {
            Ok(settings) => self.run_module("copy", host, &copy_args, settings).await,
            Err(failed) => failed,
        }
    }
}

/// The variables Ansible adds for a template file: where it is, who owns it, when it was
/// changed and rendered, and where it goes (`ansible_managed` keeps its default or the
/// user's value).
fn template_vars(src: &str, source: &Path, dest: &Value) -> Map {
    let meta = std::fs::metadata(source).ok();
    let mut vars = Map::new();
    let mut set = |key: &str, value: Value| {
        vars.insert(Value::from(key), value);
    };
    set("template_host", Value::from(controller_hostname()));
    set("template_path", Value::from(src));
    if let Some(mtime) = meta.as_ref().and_then(|m| m.modified().ok()) {
        set("template_mtime", Value::from(py_datetime(mtime)));
    }
    if let Some(uid) = meta.as_ref().map(MetadataExt::uid) {
        let owner = user_name(uid).map_or_else(|| Value::from(i64::from(uid)), Value::from);
        set("template_uid", owner);
    }
    set(
        "template_run_date",
        Value::from(py_datetime(std::time::SystemTime::now())),
    );
    set("template_destpath", dest.clone());
    set(
        "template_fullpath",
        Value::from(source.display().to_string()),
    );
    vars
}

/// The controller's host name (`os.uname()[1]`).
fn controller_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_default()
}

/// The login name of `uid` on the controller, from `/etc/passwd`.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse() == Ok(uid)).then(|| name.to_string())
    })
}
