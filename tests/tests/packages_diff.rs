//! Package modules on real container hosts (`tests/hosts`), oxible against ansible-core:
//! two fresh hosts get the same local apt repository (`tests/fixtures/packages/make-repo.sh`,
//! tiny packages built with dpkg-deb, no network); ansible-core (pipelining on) runs a playbook
//! on the first, oxible on the second. Compared: exit code, output line for line (host name and
//! the cache's mtime masked), and the packages each host ends with; converging plays report
//! changed=0 on their second run. One slower test installs a real package from Debian's archive.

use oxible_tests::pair::Pair;

/// The installed `ox*` packages and the automatically installed set.
const PACKAGES: &str =
    "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'ox*'; apt-mark showauto";

#[test]
fn apt_matches_ansible() {
    let pair =
        Pair::start("packages", None, &["make-repo.sh"]).masking(&["\"cache_update_time\": "]);
    pair.run_same("apt.yml", "apt.yml", &[]);
    pair.same_state("installed packages after apt.yml", PACKAGES);
    pair.converge_twice("converge.yml", &[], |_| {});
    pair.same_state("installed packages after converge.yml", PACKAGES);
}

/// The slower one: a real package (nginx-light) from Debian's archive, on fresh hosts whose
/// only source is the archive the image was built from.
#[test]
fn apt_installs_a_package_from_the_debian_archive() {
    let pair = Pair::start("packages", None, &[]).masking(&["\"cache_update_time\": "]);
    let nginx =
        "dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\\n' 'nginx*' 'libnginx*'";
    pair.converge_twice("archive.yml", &[], |run| {
        pair.same_state(&format!("nginx packages after run {run}"), nginx);
    });
    assert!(
        pair.hosts.exec(1, nginx).contains("nginx-light"),
        "nginx-light is not installed"
    );
}
