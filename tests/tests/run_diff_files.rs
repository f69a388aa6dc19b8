//! Differential runs of the file modules: the same playbook through ansible-core and oxible on
//! localhost, compared on exit code, output (timings masked) and files left behind.

use oxible_tests::check_run_fixture;

macro_rules! fixtures {
    ($($name:ident: $idempotent:expr),* $(,)?) => {
        $( #[test] fn $name() { check_run_fixture(stringify!($name), $idempotent); } )*
    };
}

fixtures!(
    files_touch_times: false,
    files_file_states: false,
    files_file_check: false,
    files_file_check_owner: false,
    files_stat: false,
    files_lineinfile: false,
    files_lineinfile_diff: false,
    files_slurp: false,
    files_copy: false,
    files_copy_check: false,
    files_copy_remote: false,
    files_blockinfile: false,
    files_replace: false,
    files_edit_check: false,
    files_tempfile: false,
    files_fetch: false,
    files_find: false,
    files_converge: true,
);
