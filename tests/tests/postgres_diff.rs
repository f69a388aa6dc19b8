//! The PostgreSQL modules (community.postgresql's `postgresql_user`, `postgresql_db`,
//! `postgresql_privs`, `postgresql_ping`, `postgresql_query`) on real container hosts, oxible
//! against ansible-core with community.postgresql (`tests/hosts/docker-collection.sh`).
//!
//! The hosts run `oxible-test/postgres:bookworm` (`tests/hosts/build-postgres-image.sh`:
//! Debian's PostgreSQL 15 and python3-psycopg2 for the oracle); `start-cluster.sh` starts the
//! cluster in each. The playbooks work as the OME roles do: `become_user: postgres`, the local
//! socket. `setup.yml` makes a user with a password, a database it owns and a second role with
//! privileges on the database, its schema, all its tables and sequences and default privileges;
//! it runs in check mode first (nothing may change; it fails where the database is needed, as
//! ansible-core's), then twice (the second run changed=0), then in check mode again (changed=0).
//! `changes.yml` changes a password, role attributes, a database's connection limit, grants
//! membership and function privileges, uses deprecated aliases and meets the modules' failures
//! (twice: changed=0). `remove.yml` revokes and drops everything, in check mode first.
//! Compared after each: exit code, output line for line (the registered `queries` and
//! `executed_commands` included) and the catalog as psql's `\l`, `\du`, `\dp` and `\ddp` show
//! it, plus a password login over TCP.

use oxible_tests::pair::Pair;

/// The image with PostgreSQL 15.
const IMAGE: &str = "oxible-test/postgres:bookworm";

/// psql's view of the catalog, as the postgres OS user.
fn psql(command: &str, db: &str) -> String {
    format!("su postgres -c \"psql -X -d {db} -c '{command}'\" 2>&1\n")
}

/// The databases, roles and (while it exists) the omero database's privileges and a password
/// login as its owner, on both hosts.
fn same_catalog(pair: &Pair, after: &str, with_db: bool) {
    let mut script = psql("\\l", "postgres") + &psql("\\du", "postgres");
    if with_db {
        script += &psql("\\dp", "omero");
        script += &psql("\\ddp", "omero");
        script += "PGPASSWORD=omero-secret psql -X -A -t -h 127.0.0.1 -U omero -d omero \
                   -c 'SELECT 1' 2>&1 || true\n";
    }
    pair.same_state(&format!("catalog after {after}"), &script);
}

#[test]
fn postgresql_modules_match_ansible() {
    let pair = Pair::start("postgres", Some(IMAGE), &["start-cluster.sh"]);

    pair.run_same("setup.yml --check", "setup.yml", &["--check"]);
    same_catalog(&pair, "check mode", false);

    pair.converge_twice("setup.yml", &[], |run| {
        same_catalog(&pair, &format!("setup.yml run {run}"), true)
    });
    let login = pair.hosts.exec(
        1,
        "PGPASSWORD=omero-secret psql -X -A -t -h 127.0.0.1 -U omero -d omero -c 'SELECT 1'",
    );
    assert_eq!(login.trim(), "1", "the password set by oxible logs in");

    let (_, oxible) = pair.run_same("setup.yml --check, converged", "setup.yml", &["--check"]);
    assert_eq!(
        oxible_tests::pair::recap_changed(&oxible),
        "changed=0",
        "{}",
        oxible.stdout
    );

    pair.converge_twice("changes.yml", &[], |run| {
        same_catalog(&pair, &format!("changes.yml run {run}"), true)
    });

    pair.run_same("remove.yml --check", "remove.yml", &["--check"]);
    same_catalog(&pair, "remove.yml --check", true);

    pair.run_same("remove.yml", "remove.yml", &[]);
    same_catalog(&pair, "remove.yml", false);
}

/// `postgresql_ping` (`ping.yml`: a running server, a port where none listens) and
/// `postgresql_query`: `query-check.yml` in check mode (DDL reported as a change, nothing
/// stays; autocommit refused), then `query.yml` twice (typed rows, arguments, changes, an SQL
/// error), the table compared after each run. `remote-tmp.sh` spares ansible-core's first
/// module run as postgres its remote_tmp warning.
#[test]
fn postgresql_ping_and_query_match_ansible() {
    let pair = Pair::start(
        "postgres",
        Some(IMAGE),
        &["start-cluster.sh", "remote-tmp.sh"],
    );
    pair.run_same("ping.yml", "ping.yml", &[]);

    pair.run_same("query-check.yml --check", "query-check.yml", &["--check"]);
    pair.same_state("no table after check mode", &psql("\\dt", "postgres"));
    for run in 1..=2 {
        pair.run_same(&format!("query.yml run {run}"), "query.yml", &[]);
        pair.same_state(
            &format!("table after query.yml run {run}"),
            &psql("SELECT * FROM items ORDER BY id", "postgres"),
        );
    }
}
