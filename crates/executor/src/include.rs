//! Dynamic includes (`include_tasks`, `include_role`), as Ansible's linear strategy runs them:
//! the include task runs on every host first (its `when` and loop decide what each host asks
//! for), then each distinct file or role is loaded once for the hosts that asked for it,
//! reported as `included: <file> for <hosts>`, and its tasks run on those hosts with the
//! include's `vars`, the item's loop variables and the `apply` keywords. The include's own
//! keywords (`tags`, `when` …) stay on the include, as in Ansible.

use std::sync::Arc;

use oxible_playbook::keywords::Keywords;
use oxible_playbook::{Entry, FsLoader, IncludeSite, Role, RoleInclude, Task};
use oxible_yaml::{Map, Value};

use crate::context::Inherited;
use crate::events::{Event, Status};
use crate::host::{HostState, IncludeRequest};
use crate::play::{PlayRun, role_sections};
use crate::task::Flow;

/// What one include brought in.
enum Content {
    /// `include_tasks`: the file's entries.
    Tasks(Vec<Entry>),
    /// `include_role`: the role with its dependencies.
    Role(Arc<Role>),
}

/// One distinct include, the hosts sharing it (a mask over the play's hosts) and its content.
struct Loaded {
    request: IncludeRequest,
    mask: Vec<bool>,
    content: Content,
}

impl<'p> PlayRun<'p> {
    /// Loads and runs what the include `task` (just run) asked each host to include.
    pub(crate) async fn run_includes(
        &self,
        task: &'p Task,
        inherited: &Inherited<'p>,
        hosts: &mut [HostState],
    ) -> Flow {
        let count = hosts.len();
        let mut groups: Vec<(IncludeRequest, Vec<bool>)> = Vec::new();
        for (index, host) in hosts.iter_mut().enumerate() {
            for request in std::mem::take(&mut host.includes) {
                match groups.iter_mut().find(|(r, _)| *r == request) {
                    Some((_, mask)) => mask[index] = true,
                    None => {
                        let mut mask = vec![false; count];
                        mask[index] = true;
                        groups.push((request, mask));
                    }
                }
            }
        }
        let mut loaded = Vec::new();
        for (request, mask) in groups {
            let names: Vec<String> = hosts
                .iter()
                .zip(&mask)
                .filter(|(_, m)| **m)
                .map(|(h, _)| h.name.clone())
                .collect();
            match self.load_include(task, inherited, &request) {
                Ok((name, content)) => {
                    self.sink.emit(Event::Included {
                        name,
                        hosts: names.clone(),
                        item: request.label.clone(),
                    });
                    self.stats_mut(|s| names.iter().for_each(|h| s.host(h).ok += 1));
                    loaded.push(Loaded {
                        request,
                        mask,
                        content,
                    });
                }
                Err(reason) => self.fail_include(hosts, &mask, &reason),
            }
        }
        for include in &loaded {
            let apply = apply_keywords(&include.request.args);
            let base = include_surroundings(inherited, task, &include.request, &apply);
            let flow = match &include.content {
                Content::Tasks(entries) => {
                    self.run_entries(entries, &base, hosts, &include.mask).await
                }
                Content::Role(role) => {
                    let mut sections = Vec::new();
                    role_sections(role, &base, &mut sections);
                    let mut flow = Flow::Continue;
                    for (entries, inner) in &sections {
                        flow = self.run_entries(entries, inner, hosts, &include.mask).await;
                        if flow == Flow::EndPlay {
                            break;
                        }
                    }
                    flow
                }
            };
            if flow == Flow::EndPlay {
                return flow;
            }
        }
        Flow::Continue
    }

    /// Finds and loads one include; returns the name `included:` shows and the content.
    fn load_include(
        &self,
        task: &Task,
        inherited: &Inherited<'_>,
        request: &IncludeRequest,
    ) -> Result<(String, Content), String> {
        let site = IncludeSite {
            basedir: &self.play.basedir,
            role: inherited.role.map(|r| r.path.as_path()),
            file: task.span.as_ref().map(|s| s.path()),
            handlers: inherited.handler,
        };
        let arg = |key: &str| request.args.get(&Value::from(key)).map(Value::py_str);
        let span = task.span.as_ref();
        let load = &self.options.load;
        if task.is("include_role") {
            let include = RoleInclude {
                name: arg("name").or_else(|| arg("role")).unwrap_or_default(),
                tasks_from: arg("tasks_from"),
                vars_from: arg("vars_from"),
                defaults_from: arg("defaults_from"),
                handlers_from: arg("handlers_from"),
            };
            let role = oxible_playbook::load_included_role(&FsLoader, load, &site, &include, span)
                .map_err(|e| e.diagnostic().message.clone())?;
            let role = Arc::new(role);
            self.add_role_handlers(&role, include.handlers_from.as_deref());
            Ok((include.name, Content::Role(role)))
        } else {
            let target = arg("_raw_params")
                .or_else(|| arg("file"))
                .unwrap_or_default();
            let (file, entries) =
                oxible_playbook::load_included_tasks(&FsLoader, load, &site, &target, span)
                    .map_err(|e| e.diagnostic().message.clone())?;
            let file = std::path::absolute(&file).unwrap_or(file);
            self.add_late_imports(&entries);
            Ok((file.display().to_string(), Content::Tasks(entries)))
        }
    }

    /// The roles `import_role` brings in from an included file join the play's roles: their
    /// handlers the play's handlers, their defaults and vars the play-wide ones (once per role).
    fn add_late_imports(&self, entries: &[oxible_playbook::Entry]) {
        let mut targets = Vec::new();
        crate::import_targets(entries, &mut targets);
        for target in targets {
            let mut with_deps = Vec::new();
            crate::all_roles(target, &mut with_deps);
            let mut late = self
                .late_imports
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if late.iter().any(|r| r.path == target.path) {
                continue;
            }
            for role in with_deps {
                if !late.iter().any(|r| r.path == role.path) {
                    late.push(crate::play::LateImport::of(role));
                }
            }
            drop(late);
            self.add_role_handlers(&Arc::new(target.clone()), None);
        }
    }

    /// An included role's handlers join the play's (once per role and handlers file).
    fn add_role_handlers(&self, role: &Arc<Role>, handlers_from: Option<&str>) {
        let mut included = self
            .included_roles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (role.path.clone(), handlers_from.map(str::to_string));
        if !included.iter().any(|(k, _)| *k == key) {
            included.push((key, role.clone()));
        }
    }

    /// An include that could not be loaded fails its hosts, with the reason.
    fn fail_include(&self, hosts: &mut [HostState], mask: &[bool], reason: &str) {
        for (host, _) in hosts.iter_mut().zip(mask).filter(|(_, m)| **m) {
            let mut result = Map::new();
            result.insert(Value::from("failed"), Value::from(true));
            result.insert(Value::from("reason"), Value::from(reason));
            host.failed = true;
            self.stats_mut(|s| s.host(&host.name).failed += 1);
            self.sink.emit(Event::HostResult {
                host: host.name.clone(),
                status: Status::Failed,
                result,
                item: None,
                ignored: false,
                verbose_always: false,
            });
        }
    }
}

/// `apply:` of an include's arguments, as the keywords of a block around the included tasks.
fn apply_keywords(args: &Map) -> Keywords {
    args.get(&Value::from("apply"))
        .and_then(Value::as_map)
        .map(Keywords::from_map)
        .unwrap_or_default()
}

/// What the included tasks inherit: the include's surroundings (not its own keywords), its
/// `vars`, the item's loop variables, and the `apply` keywords.
fn include_surroundings<'l>(
    inherited: &Inherited<'l>,
    task: &Task,
    request: &IncludeRequest,
    apply: &'l Keywords,
) -> Inherited<'l> {
    let mut inner = inherited.clone();
    if let Some(vars) = task.keywords.get("vars").and_then(Value::as_map) {
        inner.block_vars.push(Arc::new(vars.clone()));
    }
    if !request.vars.is_empty() {
        inner.block_vars.push(Arc::new(request.vars.clone()));
    }
    let when: Vec<Value> = match apply.get("when") {
        Some(when) => match when.as_seq() {
            Some(items) => items.to_vec(),
            None => vec![when.clone()],
        },
        None => Vec::new(),
    };
    inner.inside(apply, &when)
}
