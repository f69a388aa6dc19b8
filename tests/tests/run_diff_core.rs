//! Differential runs of the executor's core keywords: the same playbook through ansible-core and
//! oxible on localhost, compared on exit code, output (timings masked) and files left behind.

use oxible_tests::check_run_fixture;

macro_rules! fixtures {
    ($($name:ident: $idempotent:expr),* $(,)?) => {
        $( #[test] fn $name() { check_run_fixture(stringify!($name), $idempotent); } )*
    };
}

fixtures!(
    core_basics: false,
);
