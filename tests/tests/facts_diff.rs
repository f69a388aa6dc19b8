//! oxible's `setup` facts against ansible-core's on this machine: `ansible localhost -m setup`
//! and an oxible play dumping `ansible_facts`, compared on the keys DESIGN.md §6 lists.
//! Values that legitimately differ between two runs (free memory, the clock, `env`, which
//! Python runs the module) are not compared; interface lists are compared as sets, since both
//! tools list them in directory order.

use std::process::Command;

use oxible_tests::{oracle_bin_dir, oracle_python, oxible, run};
use serde_json::Value as Json;

/// Compared for equality.
const SAME: &[&str] = &[
    "os_family",
    "distribution",
    "distribution_version",
    "distribution_major_version",
    "distribution_release",
    "architecture",
    "hostname",
    "fqdn",
    "nodename",
    "default_ipv4",
    "service_mgr",
    "pkg_mgr",
    "user_id",
    "user_dir",
    "user_shell",
    "user_uid",
    "user_gid",
    "memtotal_mb",
    "processor",
    "processor_count",
    "processor_cores",
    "processor_vcpus",
    "processor_threads_per_core",
    "selinux",
    "virtualization_type",
    "virtualization_role",
    "kernel",
    "kernel_version",
    "machine_id",
    "lsb",
    "system",
    "domain",
    "userspace_bits",
];

/// Compared as sets.
const SETS: &[&str] = &["interfaces", "all_ipv4_addresses"];

/// The first JSON object in `text` after `marker`.
fn json_after(text: &str, marker: &str) -> Json {
    let start = text.find(marker).expect("marker in output") + marker.len();
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Json>();
    stream.next().expect("a JSON value").expect("valid JSON")
}

/// The items sorted, without `veth*` interfaces: those come and go on this machine as
/// container hosts start and stop (other tests), between the two tools' runs.
fn sorted(value: &Json) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| !v.as_str().is_some_and(|s| s.starts_with("veth")))
                .map(Json::to_string)
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

/// Runs `module` with `ansible localhost -m` and an oxible play (`tasks`, registering or
/// printing with `debug: var=`) on this machine; returns ansible-core's `ansible_facts` and the
/// JSON oxible printed for `var`.
fn local_pair(module: &str, tasks: &str, var: &str) -> (Json, Json) {
    let dir = std::env::temp_dir().join(format!("oxible-{module}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("site.yml"), format!("- hosts: localhost\n{tasks}")).expect("playbook");
    let mut cmd = Command::new(oracle_bin_dir().join("ansible"));
    cmd.current_dir(&dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_PYTHON_INTERPRETER", oracle_python())
        .args(["localhost", "-m", module]);
    let theirs = run(cmd);
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let theirs = json_after(&theirs.stdout, "SUCCESS => ")["ansible_facts"].clone();
    let ours = oxible(
        "playbook",
        &dir,
        &["-i", "localhost,", "-c", "local", "site.yml"],
    );
    assert_eq!(ours.code, 0, "{}", ours.stdout);
    let ours = json_after(&ours.stdout, "ok: [localhost] => ")[var].clone();
    let _ = std::fs::remove_dir_all(&dir);
    (theirs, ours)
}

#[test]
fn setup_facts_match_ansible() {
    let (theirs, ours) = local_pair(
        "setup",
        "  tasks:\n    - debug: var=ansible_facts\n",
        "ansible_facts",
    );
    let differences = fact_differences(&theirs, &ours);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Each service's name and state, sorted.
fn service_states(services: &Json) -> Vec<(String, String)> {
    let mut states: Vec<(String, String)> = services
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, s)| (name.clone(), s["state"].to_string()))
                .collect()
        })
        .unwrap_or_default();
    states.sort();
    states
}

#[test]
fn service_facts_match_ansible() {
    let (theirs, ours) = local_pair(
        "service_facts",
        "  gather_facts: false\n  tasks:\n    - service_facts:\n      register: r\n    - debug: var=r.ansible_facts.services\n",
        "r.ansible_facts.services",
    );
    assert_eq!(service_states(&ours), service_states(&theirs["services"]));
}

/// The DESIGN.md §6 keys that differ in `a` and `b` (ansible-core's `ansible_`-prefixed facts
/// and oxible's).
fn fact_differences(theirs: &Json, ours: &Json) -> Vec<String> {
    let mut differences = Vec::new();
    for key in SAME {
        let (a, b) = (&theirs[format!("ansible_{key}")], &ours[*key]);
        if a != b {
            differences.push(format!("{key}:\n  ansible: {a}\n  oxible:  {b}"));
        }
    }
    for key in SETS {
        let (a, b) = (&theirs[format!("ansible_{key}")], &ours[*key]);
        if sorted(a) != sorted(b) {
            differences.push(format!("{key}:\n  ansible: {a}\n  oxible:  {b}"));
        }
    }
    differences
}

/// Facts over the wire: gather_facts over ssh on a container host against ansible-core's
/// `setup` on the same container (pipelining on), for the same keys.
#[test]
fn setup_facts_over_ssh_match_ansible() {
    let hosts = oxible_tests::hosts::TestHosts::start(1);
    let dir = std::env::temp_dir().join(format!("{}-facts", hosts.prefix()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("site.yml"),
        "- hosts: ssh\n  tasks:\n    - debug: var=ansible_facts\n",
    )
    .expect("playbook");
    let theirs = hosts.ansible("", &dir, &["ssh", "-m", "setup"]);
    assert_eq!(theirs.code, 0, "{}{}", theirs.stdout, theirs.stderr);
    let theirs = json_after(&theirs.stdout, "SUCCESS => ")["ansible_facts"].clone();
    let ours = hosts.oxible("playbook", &dir, &["site.yml"]);
    assert_eq!(ours.code, 0, "{}", ours.stdout);
    let ours = json_after(&ours.stdout, "ok: [h1] => ")["ansible_facts"].clone();
    let _ = std::fs::remove_dir_all(&dir);
    let differences = fact_differences(&theirs, &ours);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
