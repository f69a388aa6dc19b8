//! Playbook files: lists of plays and `import_playbook` entries (Ansible's `Playbook` and
//! `PlaybookInclude`).

use std::path::{Path, PathBuf};

use oxible_yaml::{Diagnostic, Map, Value};

use crate::context::{Ctx, LoadOptions};
use crate::error::{Error, Result};
use crate::keywords::{self, Kind, string_keys};
use crate::loader::{Loader, load_yaml, normalize};
use crate::play::Play;
use crate::tags::parse_tags;
use crate::task::{as_list, scalar_text};

/// A loaded playbook: its plays, imported playbooks expanded in place.
#[derive(Clone, Debug)]
pub struct Playbook {
    /// The playbook file, as given.
    pub path: PathBuf,
    /// Every play, in run order.
    pub plays: Vec<Play>,
    /// Problems that did not stop loading (duplicate YAML keys, empty task files).
    pub warnings: Vec<Diagnostic>,
}

impl Playbook {
    /// Loads the playbook at `path` and everything it names (imports, roles, task files).
    pub fn load(loader: &dyn Loader, path: &Path, options: &LoadOptions) -> Result<Playbook> {
        let mut ctx = Ctx::new(loader, options);
        let mut plays = Vec::new();
        load_file(&mut ctx, path, None, &mut Vec::new(), &mut plays)?;
        Ok(Playbook {
            path: path.to_path_buf(),
            plays,
            warnings: ctx.warnings,
        })
    }
}

/// The keys under which an entry imports a playbook.
const IMPORT_KEYS: &[&str] = &[
    "import_playbook",
    "ansible.builtin.import_playbook",
    "ansible.legacy.import_playbook",
];

fn load_file(
    ctx: &mut Ctx<'_>,
    path: &Path,
    wanted_by: Option<&oxible_yaml::Span>,
    chain: &mut Vec<PathBuf>,
    plays: &mut Vec<Play>,
) -> Result<()> {
    let basedir = normalize(
        &std::env::current_dir()
            .unwrap_or_default()
            .join(path.parent().unwrap_or(Path::new(""))),
    );
    let (data, warnings) = load_yaml(ctx.loader, path, wanted_by)?;
    ctx.warnings.extend(warnings);
    let shown = path.display();
    let items = match data.as_seq() {
        _ if data.is_null() => {
            return Err(Error::parse(
                format!("Empty playbook, nothing to do: {shown}"),
                wanted_by,
                "add at least one play",
            ));
        }
        None => {
            return Err(Error::parse(
                format!(
                    "A playbook must be a list of plays, got a {} instead: {shown}",
                    data.type_name()
                ),
                data.span.as_ref(),
                "start each play with '- hosts: <pattern>'",
            ));
        }
        Some([]) => {
            return Err(Error::parse(
                format!("A playbook must contain at least one play: {shown}"),
                data.span.as_ref(),
                "add at least one play",
            ));
        }
        Some(items) => items,
    };
    chain.push(normalize(
        &basedir.join(path.file_name().unwrap_or_default()),
    ));
    for entry in items {
        if entry.as_map().is_none() {
            return Err(Error::parse(
                "playbook entries must be either valid plays or 'import_playbook' statements",
                entry.span.as_ref(),
                "start each play with '- hosts: <pattern>'",
            ));
        }
        match IMPORT_KEYS.iter().find(|k| entry.get(k).is_some()) {
            Some(key) => import(ctx, entry, key, &basedir, chain, plays)?,
            None => plays.push(Play::load(ctx, entry, &basedir)?),
        }
    }
    chain.pop();
    Ok(())
}

/// Expands an `import_playbook` entry: loads the file and gives its plays the entry's
/// `tags`, `vars` and `when`.
fn import(
    ctx: &mut Ctx<'_>,
    entry: &Value,
    import_key: &str,
    basedir: &Path,
    chain: &mut Vec<PathBuf>,
    plays: &mut Vec<Play>,
) -> Result<()> {
    let map = keywords::expect_map(entry, Kind::ImportPlaybook, None)?;
    let mut tags = Vec::new();
    let mut vars = Map::new();
    let mut when = Vec::new();
    for (name, key, v) in string_keys(map, Kind::ImportPlaybook)? {
        match name {
            "tags" => tags = parse_tags(v)?,
            "vars" => vars = v.as_map().cloned().unwrap_or_default(),
            "when" => when = as_list(v),
            _ if name == import_key || Kind::ImportPlaybook.accepts(name) => {}
            _ => {
                return Err(keywords::unknown(
                    Kind::ImportPlaybook,
                    name,
                    key.span.as_ref(),
                ));
            }
        }
    }
    let target = entry.get(import_key).cloned().unwrap_or_else(Value::null);
    let at = target.span.clone().or(entry.span.clone());
    let raw = scalar_text(&target).ok_or_else(|| {
        Error::parse(
            "No file specified for import_playbook",
            at.as_ref(),
            "write 'import_playbook: other.yml'",
        )
    })?;
    let mut template_vars = vars.clone();
    template_vars.extend(
        ctx.options
            .extra_vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let file = ctx
        .options
        .templar
        .render(&raw, &template_vars)
        .map_err(|why| {
            Error::parse(
                why,
                at.as_ref(),
                "define the variable with -e or the entry's vars",
            )
        })?;
    let path = normalize(&basedir.join(&file));
    if chain.contains(&path) {
        return Err(Error::parse(
            format!(
                "'{}' imports itself (through a cycle of import_playbook)",
                path.display()
            ),
            at.as_ref(),
            "remove the cycle",
        ));
    }
    if !ctx.loader.exists(&path) {
        return Err(Error::resolve(
            format!(
                "the playbook '{file}' could not be found: {}",
                path.display()
            ),
            at.as_ref(),
            "import_playbook paths are relative to the importing playbook's directory",
        ));
    }
    let start = plays.len();
    load_file(ctx, &path, at.as_ref(), chain, plays)?;
    for play in &mut plays[start..] {
        play.vars
            .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        // Ansible pops `tags` from the play's vars merged with the import's, and splits it on
        // commas into the play's tags; those stick only when the play's tags are already a
        // list (set in the play, or by an inner import), not the unset default.
        let var_tags = play.vars.shift_remove(&Value::from("tags"));
        if let Some(value) = var_tags.filter(|v| !v.is_null()) {
            let text = value.as_str().ok_or_else(|| {
                Error::parse(
                    format!(
                        "the 'tags' var of an imported play must be a string, got a {}",
                        value.type_name()
                    ),
                    value.span.as_ref().or(at.as_ref()),
                    "write comma-separated tags ('tags: a,b'), or use the import's 'tags' keyword",
                )
            })?;
            if play.tags_set {
                play.tags.extend(text.split(',').map(str::to_string));
            }
        }
        play.tags.extend(tags.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        play.tags.retain(|tag| seen.insert(tag.clone()));
        play.tags_set = true;
        let mut conditions = when.clone();
        conditions.append(&mut play.import_when);
        play.import_when = conditions;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, TagFilter};
    use std::collections::HashMap;
    use std::sync::Arc;

    /// Files served from memory, to test loading without touching the disk; counts reads.
    struct MemLoader(
        HashMap<PathBuf, String>,
        std::cell::RefCell<HashMap<PathBuf, usize>>,
    );

    impl MemLoader {
        fn new(files: &[(&str, &str)]) -> Self {
            Self(
                files
                    .iter()
                    .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                    .collect(),
                Default::default(),
            )
        }
    }

    impl Loader for MemLoader {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            *self.1.borrow_mut().entry(path.to_path_buf()).or_default() += 1;
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
        fn exists(&self, path: &Path) -> bool {
            self.0.keys().any(|p| p.starts_with(path))
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.0.keys().any(|p| p.starts_with(path) && p != path)
        }
        fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
            let mut names: Vec<String> = self
                .0
                .keys()
                .filter_map(|p| p.strip_prefix(path).ok()?.iter().next())
                .map(|name| name.to_string_lossy().into_owned())
                .collect();
            names.sort_unstable();
            names.dedup();
            Ok(names)
        }
    }

    /// The first role of the first play of `files` (the playbook is `/pb/site.yml`).
    fn first_role(files: &[(&str, &str)]) -> Result<Role> {
        let playbook = Playbook::load(
            &MemLoader::new(files),
            Path::new("/pb/site.yml"),
            &LoadOptions::default(),
        )?;
        Ok(playbook.plays[0].roles[0].clone())
    }

    /// `key=value` pairs of a loaded vars mapping, in order.
    fn pairs(vars: Option<&Value>) -> Vec<String> {
        vars.and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{}={}", k.py_str(), v.py_str()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn listing(files: &[(&str, &str)], only: &[&str]) -> Result<Vec<String>> {
        let playbook = Playbook::load(
            &MemLoader::new(files),
            Path::new("/pb/site.yml"),
            &LoadOptions::default(),
        )?;
        let filter = TagFilter::new(only, &[]);
        Ok(playbook.plays[0]
            .listed_tasks(&filter)
            .iter()
            .map(|t| {
                let tags: Vec<&str> = t.tags.iter().map(String::as_str).collect();
                format!("{} [{}]", t.display_name(), tags.join(","))
            })
            .collect())
    }

    #[test]
    fn roles_dependencies_imports_and_inherited_tags() {
        let files = [
            (
                "/pb/site.yml",
                "- hosts: all\n  tags: p\n  roles: [{role: app, tags: rt}]\n  tasks:\n    - import_tasks: more.yml\n      tags: imp\n    - include_tasks: dyn.yml\n",
            ),
            (
                "/pb/more.yml",
                "- block:\n    - ping:\n  rescue:\n    - name: not listed\n      debug:\n  tags: blk\n",
            ),
            (
                "/pb/roles/app/meta/main.yml",
                "dependencies: [{role: base, port: 1}]\n",
            ),
            ("/pb/roles/app/tasks/main.yml", "- name: app\n  debug:\n"),
            (
                "/pb/roles/base/tasks/main.yml",
                "- name: base\n  debug:\n  tags: b\n",
            ),
        ];
        assert_eq!(
            listing(&files, &[]).unwrap(),
            vec![
                "base : base [b,p,rt]",
                "app : app [p,rt]",
                "ping [blk,imp,p]",
                "include_tasks [p]",
            ]
        );
        assert_eq!(listing(&files, &["imp"]).unwrap(), vec!["ping [blk,imp,p]"]);
    }

    #[test]
    fn import_playbook_adds_tags_and_when() {
        let files = [
            (
                "/pb/site.yml",
                "- import_playbook: sub/child.yml\n  tags: t\n  when: x\n",
            ),
            (
                "/pb/sub/child.yml",
                "- hosts: web\n  tasks: [{debug: null}]\n",
            ),
        ];
        let playbook = Playbook::load(
            &MemLoader::new(&files),
            Path::new("/pb/site.yml"),
            &LoadOptions::default(),
        )
        .unwrap();
        let play = &playbook.plays[0];
        assert_eq!(
            (play.tags.clone(), play.import_when.len()),
            (vec!["t".to_string()], 1)
        );
        assert_eq!(play.basedir, PathBuf::from("/pb/sub"));
    }

    #[test]
    fn errors_name_the_spot_and_class() {
        let missing_role =
            listing(&[("/pb/site.yml", "- hosts: all\n  roles: [nope]\n")], &[]).unwrap_err();
        assert!(!missing_role.is_parser_error());
        assert!(
            missing_role.to_string().contains("/pb/site.yml:2:11"),
            "{missing_role}"
        );
        assert!(
            missing_role.to_string().contains("/pb/roles"),
            "{missing_role}"
        );
        let missing_file = listing(
            &[(
                "/pb/site.yml",
                "- hosts: all\n  tasks:\n    - import_tasks: nope.yml\n",
            )],
            &[],
        )
        .unwrap_err();
        assert!(
            !missing_file.is_parser_error() && missing_file.to_string().contains("/pb/nope.yml")
        );
        let keyword = listing(&[("/pb/site.yml", "- hosts: all\n  taks: []\n")], &[]).unwrap_err();
        assert!(keyword.is_parser_error() && keyword.to_string().contains("/pb/site.yml:2:3"));
        let empty = listing(&[("/pb/site.yml", "")], &[]).unwrap_err();
        assert!(empty.to_string().contains("Empty playbook"));
        let no_hosts = listing(&[("/pb/site.yml", "- tasks: []\n")], &[]).unwrap_err();
        assert!(no_hosts.to_string().contains("'hosts' is required"));
    }

    /// A lattice of roles: `top` needs `a0` and `b0`, `aN`/`bN` both need `lN`, and `lN`
    /// needs `aN+1` and `bN+1`; 2^20 role instances, 62 role directories.
    fn lattice(depth: usize) -> Vec<(String, String)> {
        let mut files = vec![(
            "/pb/site.yml".to_string(),
            "- hosts: all\n  roles: [top]\n".to_string(),
        )];
        let meta = |deps: &[String]| format!("dependencies: [{}]\n", deps.join(", "));
        files.push((
            "/pb/roles/top/meta/main.yml".into(),
            meta(&["a0".into(), "b0".into()]),
        ));
        for n in 0..depth {
            for side in ["a", "b"] {
                files.push((
                    format!("/pb/roles/{side}{n}/meta/main.yml"),
                    meta(&[format!("l{n}")]),
                ));
            }
            let next = if n + 1 < depth {
                meta(&[format!("a{}", n + 1), format!("b{}", n + 1)])
            } else {
                String::new()
            };
            files.push((format!("/pb/roles/l{n}/meta/main.yml"), next));
            files.push((format!("/pb/roles/l{n}/tasks/main.yml"), "- ping:\n".into()));
        }
        files
    }

    #[test]
    fn shared_dependencies_are_read_once_and_every_instance_is_kept() {
        let files = lattice(20);
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let loader = MemLoader::new(&refs);
        let playbook =
            Playbook::load(&loader, Path::new("/pb/site.yml"), &LoadOptions::default()).unwrap();
        assert!(
            loader.1.borrow().values().all(|n| *n == 1),
            "{:?}",
            loader.1.borrow()
        );
        // l0 is reached through a0 and through b0; what l0 needs is loaded once and shared.
        let top = &playbook.plays[0].roles[0];
        let (a0, b0) = (&top.dependencies[0], &top.dependencies[1]);
        assert_eq!(a0.dependencies[0].name, "l0");
        assert!(Arc::ptr_eq(
            &a0.dependencies[0].dependencies[0],
            &b0.dependencies[0].dependencies[0]
        ));
        let small = lattice(3);
        let refs: Vec<(&str, &str)> = small
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let names = listing(&refs, &[]).unwrap();
        assert_eq!(names, vec!["ping [] ".trim_end(); 2 + 4 + 8]);
    }

    #[test]
    fn aliased_task_lists_are_bounded() {
        let mut text = String::from(
            "- hosts: all\n  vars:\n    l0: &l0 [{ping: }, {ping: }, {ping: }, {ping: }, {ping: }, {ping: }, {ping: }, {ping: }, {ping: }, {ping: }]\n",
        );
        for n in 1..9 {
            let refs = vec![format!("{{block: *l{}}}", n - 1); 10].join(", ");
            text.push_str(&format!("    l{n}: &l{n} [{refs}]\n"));
        }
        text.push_str("  tasks: *l8\n");
        let err = listing(&[("/pb/site.yml", &text)], &[]).unwrap_err();
        assert!(err.is_parser_error());
        assert!(err.to_string().contains("more than 1000000 tasks"), "{err}");
    }

    #[test]
    fn tasks_from_may_not_leave_the_role() {
        for from in ["../../x", "/pb/x"] {
            let site = format!(
                "- hosts: all\n  tasks:\n    - import_role: {{name: r, tasks_from: {from}}}\n"
            );
            let files = [
                ("/pb/site.yml", site.as_str()),
                ("/pb/roles/r/tasks/main.yml", "- ping:\n"),
                ("/pb/roles/x.yml", "- ping:\n"),
                ("/pb/x.yml", "- ping:\n"),
            ];
            let err = listing(&files, &[]).unwrap_err();
            assert!(err.is_parser_error(), "{err}");
            assert!(
                err.to_string()
                    .contains("not inside the expected role path"),
                "{err}"
            );
        }
    }

    #[test]
    fn role_vars_and_defaults_directories_merge_sorted() {
        let files = [
            ("/pb/site.yml", "- hosts: all\n  roles: [r]\n"),
            ("/pb/roles/r/vars/main/10.yml", "a: from_10\nb: 1\n"),
            ("/pb/roles/r/vars/main/2.yaml", "a: from_2\nc: 1\n"),
            (
                "/pb/roles/r/vars/main/3.json",
                "{\"a\": \"from_json\", \"j\": 1}",
            ),
            ("/pb/roles/r/vars/main/4_empty.yml", ""),
            ("/pb/roles/r/vars/main/noext", "a: from_noext\nn: 1\n"),
            ("/pb/roles/r/vars/main/sub/a.yml", "a: from_sub\ns: 1\n"),
            ("/pb/roles/r/vars/main/x.txt", "t: 1\n"),
            ("/pb/roles/r/vars/main/y.YML", "u: 1\n"),
            ("/pb/roles/r/vars/main/.hidden.yml", "h: 1\n"),
            ("/pb/roles/r/vars/main/z.yml~", "bk: 1\n"),
            ("/pb/roles/r/defaults/main/b.yml", "d: 2\ne: 1\n"),
            ("/pb/roles/r/defaults/main/a.yml", "d: 1\n"),
        ];
        let role = first_role(&files).unwrap();
        assert_eq!(
            pairs(role.vars.as_ref()),
            ["a=from_sub", "b=1", "c=1", "j=1", "n=1", "s=1"]
        );
        assert_eq!(pairs(role.defaults.as_ref()), ["d=2", "e=1"]);

        // `main.yml` comes before the `main/` directory; a list is not a dictionary of vars.
        let mut both = files.to_vec();
        both.push(("/pb/roles/r/vars/main.yml", "only: 1\n"));
        let role = first_role(&both).unwrap();
        assert_eq!(pairs(role.vars.as_ref()), ["only=1"]);
        let listed = [
            ("/pb/site.yml", "- hosts: all\n  roles: [r]\n"),
            ("/pb/roles/r/defaults/main/a.yml", "- 1\n"),
        ];
        let err = first_role(&listed).unwrap_err();
        assert!(err.is_parser_error(), "{err}");
        assert!(
            err.to_string().contains("must contain a dictionary"),
            "{err}"
        );
        let mixed = [
            ("/pb/site.yml", "- hosts: all\n  roles: [r]\n"),
            ("/pb/roles/r/vars/main/a.yml", "- 1\n"),
            ("/pb/roles/r/vars/main/b.yml", "x: 1\n"),
        ];
        let err = first_role(&mixed).unwrap_err();
        assert!(!err.is_parser_error(), "{err}");
        assert!(
            err.to_string().contains("failed to combine variables"),
            "{err}"
        );
    }

    #[test]
    fn import_role_vars_from_and_defaults_from_replace_main() {
        let files = [
            (
                "/pb/site.yml",
                "- hosts: all\n  tasks:\n    - import_role: {role: r, vars_from: other, defaults_from: extra}\n",
            ),
            ("/pb/roles/r/vars/main.yml", "a: 1\n"),
            ("/pb/roles/r/vars/other.yml", "b: 1\n"),
            ("/pb/roles/r/defaults/main.yml", "c: 1\n"),
            ("/pb/roles/r/defaults/extra/one.yml", "d: 1\n"),
            ("/pb/roles/r/defaults/extra/two.yml", "d: 2\n"),
        ];
        let playbook = Playbook::load(
            &MemLoader::new(&files),
            Path::new("/pb/site.yml"),
            &LoadOptions::default(),
        )
        .unwrap();
        let Some(crate::Entry::ImportRole { role, .. }) = playbook.plays[0].tasks.first() else {
            panic!("not an import_role: {:?}", playbook.plays[0].tasks);
        };
        assert_eq!(pairs(role.vars.as_ref()), ["b=1"]);
        assert_eq!(pairs(role.defaults.as_ref()), ["d=2"]);
    }

    #[test]
    fn import_playbook_pops_tags_from_merged_vars() {
        let load = |site: &str| {
            let files = [
                ("/pb/site.yml", site),
                (
                    "/pb/child.yml",
                    "- hosts: a\n  tags: [p]\n  vars: {tags: own, x: 1}\n- hosts: b\n  vars: {tags: lost}\n",
                ),
            ];
            Playbook::load(
                &MemLoader::new(&files),
                Path::new("/pb/site.yml"),
                &LoadOptions::default(),
            )
        };
        let playbook = load("- import_playbook: child.yml\n").unwrap();
        let (set, unset) = (&playbook.plays[0], &playbook.plays[1]);
        assert_eq!(set.tags, ["p", "own"]);
        assert!(unset.tags.is_empty());
        assert_eq!(pairs(Some(&Value::map(set.vars.clone()))), ["x=1"]);
        assert!(unset.vars.is_empty());
        let playbook = load("- import_playbook: child.yml\n  vars: {tags: 'a, b'}\n").unwrap();
        assert_eq!(playbook.plays[0].tags, ["p", "a", " b"]);
        let err = load("- import_playbook: child.yml\n  vars: {tags: [a]}\n").unwrap_err();
        assert!(err.to_string().contains("must be a string"), "{err}");
    }
}
