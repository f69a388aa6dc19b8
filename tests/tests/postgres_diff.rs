//! The PostgreSQL modules (community.postgresql's `postgresql_user`, `postgresql_db`,
//! `postgresql_privs`) on real container hosts, oxible against ansible-core with
//! community.postgresql (`tests/hosts/docker-collection.sh`).
//!
//! The hosts run `oxible-test/postgres:bookworm` (`tests/hosts/build-postgres-image.sh`:
//! Debian's PostgreSQL 15 and python3-psycopg2 for the oracle); the test starts the cluster in
//! each. The playbooks work as the OME roles do: `become_user: postgres`, the local socket.
//! `setup.yml` makes a user with a password, a database it owns and a second role with
//! privileges on the database, its schema, all its tables and sequences and default privileges;
//! it runs in check mode first (nothing may change; it fails where the database is needed, as
//! ansible-core's), then twice (the second run changed=0), then in check mode again (changed=0);
//! `changes.yml` changes a password, role attributes, a database's connection limit, grants
//! membership and function privileges and meets the modules' failures (twice: changed=0);
//! `remove.yml` revokes and drops everything, in check mode first. Compared after each: exit code, output line for
//! line (the registered `queries`/`executed_commands` included) and the catalog as psql's `\l`,
//! `\du`, `\dp` and `\ddp` show it, plus a password login over TCP.

use std::path::PathBuf;

use oxible_tests::Outcome;
use oxible_tests::fixtures_dir;
use oxible_tests::hosts::TestHosts;
use oxible_tests::pair;

/// The image with PostgreSQL 15.
const IMAGE: &str = "oxible-test/postgres:bookworm";

fn dir() -> PathBuf {
    fixtures_dir().join("postgres")
}

/// Two hosts with their PostgreSQL cluster running.
fn prepared_hosts() -> TestHosts {
    let hosts = TestHosts::start_image(2, IMAGE);
    for i in 0..2 {
        hosts.exec(i, "pg_ctlcluster 15 main start");
    }
    hosts
}

/// Runs `playbook` with ansible-core on h1 and with oxible on h2, at the same time.
fn both(hosts: &TestHosts, playbook: &str, extra: &[&str]) -> (Outcome, Outcome) {
    let work = std::env::temp_dir().join(format!("{}-work", hosts.prefix()));
    std::fs::create_dir_all(&work).expect("work dir");
    pair::both(hosts, &work, &dir().join(playbook), extra)
}

/// psql's view of the catalog, as the postgres OS user.
fn psql(command: &str, db: &str) -> String {
    format!("su postgres -c \"psql -X -d {db} -c '{command}'\" 2>&1\n")
}

/// The databases, roles and (while it exists) the omero database's privileges on both hosts.
fn same_catalog(hosts: &TestHosts, after: &str, with_db: bool) {
    let mut script = psql("\\l", "postgres") + &psql("\\du", "postgres");
    if with_db {
        script += &psql("\\dp", "omero");
        script += &psql("\\ddp", "omero");
        script += "PGPASSWORD=omero-secret psql -X -A -t -h 127.0.0.1 -U omero -d omero -c 'SELECT 1' 2>&1 || true\n";
    }
    pair::assert_same_state(hosts, &format!("catalog after {after}"), &script);
}

#[test]
fn postgresql_modules_match_ansible() {
    let hosts = prepared_hosts();

    let (ansible, oxible) = both(&hosts, "setup.yml", &["--check"]);
    pair::assert_same("setup.yml --check", &ansible, &oxible, &[]);
    same_catalog(&hosts, "check mode", false);

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "setup.yml", &[]);
        pair::assert_same(&format!("setup.yml run {run}"), &ansible, &oxible, &[]);
        same_catalog(&hosts, &format!("setup.yml run {run}"), true);
        if run == 2 {
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
    }
    let login = hosts.exec(
        1,
        "PGPASSWORD=omero-secret psql -X -A -t -h 127.0.0.1 -U omero -d omero -c 'SELECT 1'",
    );
    assert_eq!(login.trim(), "1", "the password set by oxible logs in");

    let (ansible, oxible) = both(&hosts, "setup.yml", &["--check"]);
    pair::assert_same("setup.yml --check, converged", &ansible, &oxible, &[]);
    assert_eq!(
        pair::recap_changed(&oxible),
        "changed=0",
        "{}",
        oxible.stdout
    );

    for run in 1..=2 {
        let (ansible, oxible) = both(&hosts, "changes.yml", &[]);
        pair::assert_same(&format!("changes.yml run {run}"), &ansible, &oxible, &[]);
        same_catalog(&hosts, &format!("changes.yml run {run}"), true);
        if run == 2 {
            assert_eq!(
                pair::recap_changed(&oxible),
                "changed=0",
                "{}",
                oxible.stdout
            );
        }
    }

    let (ansible, oxible) = both(&hosts, "remove.yml", &["--check"]);
    pair::assert_same("remove.yml --check", &ansible, &oxible, &[]);
    same_catalog(&hosts, "remove.yml --check", true);

    let (ansible, oxible) = both(&hosts, "remove.yml", &[]);
    pair::assert_same("remove.yml", &ansible, &oxible, &[]);
    same_catalog(&hosts, "remove.yml", false);
}
