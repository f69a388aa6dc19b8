//! The container test hosts work for the oracle: two hosts from `tests/hosts/start.sh`, reached
//! by ansible-core over ssh (pipelining on) and over community.docker's `docker` connection,
//! with become to root and to an unprivileged user. Later transport tests build on these hosts;
//! when this fails, the hosts are broken, not oxible.

use oxible_tests::Outcome;
use oxible_tests::hosts::TestHosts;

fn assert_ok(what: &str, out: &Outcome) {
    assert_eq!(
        out.code, 0,
        "{what} failed:\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
}

/// Every host of both groups answered `<name> | <status>` and printed `line` that many times.
fn assert_each_host(hosts: &TestHosts, out: &Outcome, status: &str, line: &str) {
    for host in hosts.hosts() {
        for name in [&host.name, &host.container] {
            let head = format!("{name} | {status}");
            assert!(
                out.stdout.lines().any(|l| l.starts_with(&head)),
                "no `{head}` in:\n{}",
                out.stdout
            );
        }
    }
    let count = out.stdout.lines().filter(|l| l.trim() == line).count();
    assert_eq!(count, 2 * hosts.hosts().len(), "output:\n{}", out.stdout);
}

#[test]
fn oracle_reaches_container_hosts_over_ssh_and_docker() {
    let hosts = TestHosts::start(2);
    let dir = std::env::temp_dir().join(format!("{}-smoke", hosts.prefix()));
    std::fs::create_dir_all(&dir).unwrap();

    // `all` is both groups: h1, h2 over ssh and the same containers by name over docker.
    let ping = hosts.ansible("", &dir, &["all", "-m", "ping"]);
    assert_ok("ansible all -m ping", &ping);
    assert_each_host(&hosts, &ping, "SUCCESS", "\"ping\": \"pong\"");

    // become_user to an unprivileged user: what needs pipelining on the oracle's side.
    let whoami = hosts.ansible(
        "",
        &dir,
        &[
            "all",
            "-b",
            "--become-user",
            "tester",
            "-m",
            "command",
            "-a",
            "whoami",
        ],
    );
    assert_ok("ansible all -b --become-user tester", &whoami);
    assert_each_host(&hosts, &whoami, "CHANGED", "tester");

    // Password sudo: pwuser logs in with the test key (extra vars, since the inventory's
    // ansible_user beats `-u`) and becomes root with its password; only sudo sets SUDO_USER.
    let sudo = hosts.ansible(
        "",
        &dir,
        &[
            "ssh",
            "-e",
            "ansible_user=pwuser",
            "-e",
            "ansible_become_password=oxible",
            "-b",
            "-m",
            "command",
            "-a",
            "printenv SUDO_USER",
        ],
    );
    assert_ok("ansible ssh as pwuser -b with a password", &sudo);
    let via_pwuser = sudo.stdout.lines().filter(|l| l.trim() == "pwuser").count();
    assert_eq!(via_pwuser, 2, "{}", sudo.stdout);

    let _ = std::fs::remove_dir_all(&dir);
}
