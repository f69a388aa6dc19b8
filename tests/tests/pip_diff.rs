//! The pip module on real container hosts (`tests/hosts`), oxible against ansible-core: two
//! fresh hosts get the same local wheels (`tests/fixtures/pip/make-wheels.sh`, tiny packages
//! made with python3's zipfile, no index); ansible-core (pipelining on) runs a playbook on the
//! first, oxible on the second. Compared: exit code, output line for line, and what each
//! virtualenv holds afterwards; the converging play reports changed=0 on its second run.

use oxible_tests::pair::Pair;

/// What the virtualenvs hold, how they were made (with which `-p` interpreter: the
/// inventory's `ansible_python_interpreter` for both tools), and the modes `umask` gave.
const VENVS: &str = "cd /srv && for v in venv wvenv svenv cvenv cwvenv /home/tester/venv; do [ -x $v/bin/pip ] || continue; \
     echo \"== $v\"; $v/bin/pip list --format=freeze; grep system-site $v/pyvenv.cfg; done; \
     cat mkvenv.log; stat -c '%a %U %n' wvenv wvenv/bin/python3 /home/tester/venv; ls -d venv3 venv4 nopip 2>&1; true";

#[test]
fn pip_matches_ansible() {
    let pair = Pair::start("pip", None, &["make-wheels.sh"]);
    pair.run_same("pip.yml", "pip.yml", &[]);
    pair.converge_twice("converge.yml", &[], |_| {});
    pair.same_state("virtualenvs", VENVS);
}
