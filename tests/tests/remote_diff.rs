//! The executor's differential fixtures run against 3 container hosts (`tests/hosts`) over ssh
//! and over the docker connection: ansible-core (pipelining on) and oxible on the same hosts,
//! compared on exit code, output line for line (each task's host results in host order, see
//! `sort_host_results`) and the files left in the work directory of each container.

use oxible_tests::hosts::TestHosts;

/// Fixtures that make sense on remote hosts (no controller paths in their output), each with
/// the extra arguments of one run.
const FIXTURES: &[(&str, &[&str])] = &[
    ("core_basics", &[]),
    ("files_converge", &[]),
    ("files_lineinfile", &[]),
    ("files_file_states", &[]),
    ("files_replace", &[]),
    ("exec_loop_register", &[]),
    ("exec_handlers_roles", &[]),
    ("exec_rescue", &[]),
    ("exec_become", &[]),
    ("exec_become", &["--become-user", "tester"]),
    ("remote_become", &[]),
    ("exec_include_tasks", &[]),
    ("exec_template", &[]),
];

/// Over ssh only: the slowest fixture for ansible-core (≈ 40 s for its many small copies), its
/// transfers already covered over docker by the other file fixtures and the transport suite.
const SSH_ONLY: &[(&str, &[&str])] = &[("files_copy", &[])];

fn check(group: &str) {
    let hosts = TestHosts::start(3);
    let only = std::env::var("OXIBLE_REMOTE_FIXTURE").ok();
    let mut report = String::new();
    let ssh_only = if group == "ssh" { SSH_ONLY } else { &[] };
    for (name, extra) in FIXTURES.iter().chain(ssh_only) {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        report.push_str(&hosts.diff_fixture(name, group, extra));
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn fixtures_over_ssh() {
    check("ssh");
}

#[test]
fn fixtures_over_docker() {
    check("docker");
}

/// Runs a playbook over `group` of two fresh hosts with `tool`, stops the second host with
/// `docker stop` while the play pauses, and returns the exit code and host-sorted output.
fn stopped_mid_run(tool: &str, group: &str) -> (i32, String) {
    use std::io::BufRead;
    let hosts = TestHosts::start(2);
    let dir = std::env::temp_dir().join(format!("{}-stopped", hosts.prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("site.yml"),
        format!(
            "- hosts: {group}\n  gather_facts: false\n  tasks:\n    - command: 'true'\n    \
             - pause: seconds=3\n    - command: echo after\n    - debug: msg=end\n"
        ),
    )
    .unwrap();
    let mut child = hosts
        .playbook_command(tool, &dir, &["site.yml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the playbook");
    let mut stdout = String::new();
    let mut stopped = false;
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.expect("read the playbook's output");
        if !stopped && line.starts_with("TASK [pause]") {
            hosts.stop_host(1);
            stopped = true;
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let code = child
        .wait()
        .expect("wait for the playbook")
        .code()
        .unwrap_or(-1);
    assert!(stopped, "{tool} never reached the pause:\n{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = stdout.replace(hosts.prefix(), "<P>");
    (code, oxible_tests::hosts::sort_host_results(&stdout))
}

/// `text` with ssh's port numbers masked (each run has its own hosts).
fn mask_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" port ") {
        out.push_str(&rest[..at + 6]);
        rest = rest[at + 6..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push_str("<PORT>");
    }
    out.push_str(rest);
    out
}

/// A host stopped while the play pauses is UNREACHABLE for the next task, the others carry on,
/// exit code 4. Over ssh both tools print the same (ansible-core words the reason with
/// pipelining's `Data could not be sent …`, oxible as ansible-core does without pipelining).
/// Over docker, community.docker's connection reports the stopped container as a FAILED
/// module (exit 2) where oxible says UNREACHABLE, as the ssh connection does.
#[test]
fn host_stopped_mid_run_is_unreachable() {
    let (code, theirs) = stopped_mid_run("ansible", "ssh");
    let theirs = mask_ports(&theirs.replace(
        "Data could not be sent to remote host \\\"127.0.0.1\\\". Make sure this host can be reached over ssh: ",
        "Failed to connect to the host via ssh: ",
    ).replace(
        "Data could not be sent to remote host \"127.0.0.1\". Make sure this host can be reached over ssh: ",
        "Failed to connect to the host via ssh: ",
    ));
    let (our_code, ours) = stopped_mid_run("oxible", "ssh");
    let ours = mask_ports(&ours);
    assert_eq!(
        (code, our_code),
        (4, 4),
        "exit codes\n--- ansible\n{theirs}--- oxible\n{ours}"
    );
    assert_eq!(ours, theirs, "output over ssh");

    let (code, theirs) = stopped_mid_run("ansible", "docker");
    assert_eq!(code, 2, "{theirs}");
    assert!(
        theirs.contains("fatal: [<P>-2]: FAILED!") && theirs.contains("is not running"),
        "{theirs}"
    );
    let (our_code, ours) = stopped_mid_run("oxible", "docker");
    assert_eq!(our_code, 4, "{ours}");
    assert!(ours.contains("fatal: [<P>-2]: UNREACHABLE! => {\"changed\": false, \"msg\": \"Task failed: Failed to connect to the host via docker: container <P>-2 is not running\", \"unreachable\": true}"), "{ours}");
    let recap = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("<P>-1 "))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(recap(&ours), recap(&theirs), "the host that stayed");
}
