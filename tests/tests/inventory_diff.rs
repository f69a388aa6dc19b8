//! Differential tests: `oxible inventory` against `ansible-inventory`, and host patterns
//! (`oxible_inventory::Inventory::select`) against the `ansible` ad-hoc CLI's `--list-hosts`.
//!
//! Needs `target/debug/oxible`: run `cargo build --bin oxible` first.

use std::path::{Path, PathBuf};
use std::process::Command;

use oxible_inventory::Inventory;
use oxible_tests::{Outcome, ansible, fixtures_dir, oracle_bin_dir, oxible, run};

fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join("inventory").join(name)
}

fn json(outcome: &Outcome, what: &str) -> serde_json::Value {
    serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}):\n{}\nstderr:\n{}",
            outcome.stdout, outcome.stderr
        )
    })
}

/// Runs the same ansible-inventory arguments through both tools in `dir`.
fn both(dir: &Path, args: &[&str]) -> (Outcome, Outcome) {
    (
        ansible("inventory", dir, args),
        oxible("inventory", dir, args),
    )
}

/// Compares `--list` (as JSON), `--graph`, `--graph --vars` and `--host H` for each host.
fn compare(name: &str, source: &str, extra: &[&str], hosts: &[&str]) {
    let dir = fixture(name);
    let with = |action: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec!["-i".into(), source.into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(action.iter().map(|s| s.to_string()));
        args
    };
    let call = |action: &[&str]| {
        let args = with(action);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        both(&dir, &args)
    };
    let (a, o) = call(&["--list"]);
    assert_eq!(
        o.code, a.code,
        "{name} --list exit code; oxible stderr:\n{}",
        o.stderr
    );
    assert_eq!(
        json(&o, "oxible --list"),
        json(&a, "ansible --list"),
        "{name} --list"
    );
    for graph in [&["--graph"][..], &["--graph", "--vars"]] {
        let (a, o) = call(graph);
        assert_eq!(
            o.code, a.code,
            "{name} {graph:?} exit code; oxible stderr:\n{}",
            o.stderr
        );
        assert_eq!(o.stdout, a.stdout, "{name} {graph:?}");
    }
    for host in hosts {
        let (a, o) = call(&["--host", host]);
        assert_eq!(
            o.code, a.code,
            "{name} --host {host} exit code; oxible stderr:\n{}",
            o.stderr
        );
        if a.code == 0 {
            assert_eq!(
                json(&o, "oxible --host"),
                json(&a, "ansible --host"),
                "{name} --host {host}"
            );
        }
    }
}

macro_rules! diff_case {
    ($test:ident, $source:expr, [$($extra:expr),*], [$($host:expr),*]) => {
        #[test]
        fn $test() {
            compare(stringify!($test), $source, &[$($extra),*], &[$($host),*]);
        }
    };
}

diff_case!(ini_basic, "hosts", [], ["loose2", "web2", "db1", "nope"]);
diff_case!(
    ini_ranges,
    "hosts",
    [],
    ["web03", "dbf", "x9", "n2-b.example.com", "10.0.0.2"]
);
diff_case!(ini_children, "hosts", [], ["w1", "s1"]);
diff_case!(ini_vars, "hosts", [], ["w1", "w2"]);
diff_case!(
    ini_ports_ipv6,
    "hosts",
    [],
    ["h1", "::1", "fe80::1", "192.168.1.10", "host.example.com"]
);
diff_case!(ini_pending, "hosts", [], ["l1"]);
diff_case!(ini_priority, "hosts", [], ["h1"]);
diff_case!(ini_localhost, "hosts", [], ["localhost", "127.0.0.1", "w1"]);
diff_case!(
    yaml_basic,
    "inventory.yml",
    [],
    ["solo", "nullvars", "web2", "db2"]
);
diff_case!(yaml_nested, "inventory.yaml", [], ["w1", "d1", "s1", "o1"]);
diff_case!(yaml_json, "inventory.json", [], ["j1", "j2"]);
diff_case!(yaml_noext, "hosts", [], ["a1", "g1"]);
diff_case!(dir_mixed, ".", [], ["w1", "w3", "d1"]);
diff_case!(group_vars_forms, "hosts", [], ["w1", "w2", "d1"]);
diff_case!(patterns, "hosts", [], ["web1", "mail.example.com", "web*"]);
diff_case!(
    playbook_dir,
    "inventory/hosts",
    ["--playbook-dir", "play"],
    ["w1"]
);
diff_case!(bad_line, "hosts", [], []);
diff_case!(bad_undefined, "hosts", [], []);
diff_case!(dup_names, "hosts", [], ["web", "ws1"]);

#[test]
fn comma_lists_and_limits() {
    let dir = fixture("patterns");
    for args in [
        &["-i", "a,b:2222,c", "--list"][..],
        &["-i", "hosts", "--list", "--limit", "web:!east"],
        &["-i", "hosts", "--list", "-l", "db*"],
        &["-i", "hosts", "-i", "x1,x2", "--list"],
    ] {
        let (a, o) = both(&dir, args);
        assert_eq!(o.code, a.code, "{args:?}; oxible stderr:\n{}", o.stderr);
        assert_eq!(json(&o, "oxible"), json(&a, "ansible"), "{args:?}");
    }
}

#[test]
fn option_errors_have_ansibles_exit_codes() {
    let dir = fixture("patterns");
    for args in [
        &["-i", "hosts"][..],
        &["-i", "hosts", "--list", "--graph"],
        &["-i", "hosts", "--host", "nope"],
        &["-i", "hosts", "--host", "web*"],
        &["-i", "hosts", "--graph", "nope"],
        &["-i", "missing-file", "--graph"],
    ] {
        let (a, o) = both(&dir, args);
        assert_eq!(o.code, a.code, "{args:?}; oxible stderr:\n{}", o.stderr);
        assert_eq!(o.stdout, a.stdout, "{args:?}");
    }
}

/// The hosts `ansible -i hosts PATTERN --list-hosts [-l LIMIT]` prints, in order.
fn ansible_list_hosts(dir: &Path, pattern: &str, limit: Option<&str>) -> Vec<String> {
    let home = std::env::temp_dir().join("oxible-test-home");
    let mut cmd = Command::new(oracle_bin_dir().join("ansible"));
    cmd.current_dir(dir)
        .env("HOME", &home)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_HOME", home.join(".ansible"))
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env_remove("ANSIBLE_INVENTORY")
        .args(["-i", "hosts", pattern, "--list-hosts"]);
    if let Some(limit) = limit {
        cmd.args(["--limit", limit]);
    }
    let out = run(cmd);
    assert_eq!(out.code, 0, "ansible {pattern}: {}", out.stderr);
    out.stdout
        .lines()
        .skip(1)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn host_patterns_match_ansible() {
    let dir = fixture("patterns");
    let inventory = Inventory::load(&[dir.join("hosts").display().to_string()])
        .unwrap()
        .inventory;
    let limit_file = std::env::temp_dir().join(format!("oxible-limit-{}", std::process::id()));
    std::fs::write(&limit_file, "web1\n\ndb*\n").unwrap();
    let at_file = format!("@{}", limit_file.display());
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("all", None),
        ("*", None),
        ("web", None),
        ("web*", None),
        ("*.example.com", None),
        ("web1", None),
        ("web:db", None),
        ("web,db", None),
        ("db:web", None),
        ("web:&east", None),
        ("prod:!west", None),
        ("!east", None),
        ("&east", None),
        ("web:!db:&prod", None),
        ("~web[12]", None),
        ("~(mail|smtp)\\.", None),
        ("web[0]", None),
        ("web[1:3]", None),
        ("web[-1]", None),
        ("web[2:]", None),
        ("prod[1:2]:mail", None),
        ("w?b?", None),
        ("web[!12]", None),
        ("ungrouped", None),
        ("solo,nope", None),
        ("localhost", None),
        ("127.0.0.1", None),
        ("east:west", None),
        ("prod", Some("east")),
        ("all", Some("web[0:1]")),
        ("all", Some("!web")),
        ("all", Some(at_file.as_str())),
        ("web", Some("db,solo")),
    ];
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(pattern, limit)| {
                let dir = &dir;
                scope.spawn(move || (pattern, limit, ansible_list_hosts(dir, pattern, *limit)))
            })
            .collect();
        for h in handles {
            let (pattern, limit, expected) = h.join().unwrap();
            let got = inventory.select(pattern, *limit).unwrap().hosts;
            assert_eq!(got, expected, "pattern {pattern:?} limit {limit:?}");
        }
    });
    std::fs::remove_file(limit_file).unwrap();
}
