//! Differential runs of the executor's task keywords and controller-side actions (includes,
//! template, delegation, retries, serial, strategies …): the same playbook through ansible-core
//! and oxible on localhost, compared on exit code, output (timings masked) and files left.

use oxible_tests::{check_run_fixture, interrupt_fixture, run_fixture};

macro_rules! fixtures {
    ($($name:ident: $idempotent:expr),* $(,)?) => {
        $( #[test] fn $name() { check_run_fixture(stringify!($name), $idempotent); } )*
    };
}

fixtures!(
    exec_add_host: false,
    exec_any_errors_fatal: false,
    exec_arg_errors: false,
    exec_assert: false,
    exec_async: false,
    exec_become: false,
    exec_check_mode: false,
    exec_command_check: false,
    exec_delegate: false,
    exec_connection_vars: false,
    exec_timeout: false,
    exec_failed_results: false,
    exec_environment: false,
    exec_free: false,
    exec_failures: false,
    exec_force_handlers: false,
    exec_force_handlers_cli: false,
    exec_handlers_roles: false,
    exec_include_apply: false,
    exec_import_role: false,
    exec_include_role: false,
    exec_role_search: false,
    exec_include_tasks: false,
    exec_include_vars: false,
    exec_missing_files: false,
    exec_loop_extended: true,
    exec_loop_keywords: false,
    exec_loop_invocation: false,
    exec_loop_register: false,
    exec_raw: false,
    exec_max_fail: false,
    exec_no_log: false,
    exec_run_once: false,
    exec_serial: false,
    exec_start_at: false,
    exec_module_facts: false,
    exec_template: true,
    exec_template_check: false,
    exec_template_role: false,
    exec_pause: false,
    exec_rescue: false,
    exec_throttle: false,
    exec_until: false,
    exec_untrusted: false,
    exec_when_errors: false,
    exec_wait_for: false,
);

/// `^C` while a task runs: as ansible-playbook, exit code 99, nothing more on stdout (no recap),
/// `[ERROR]: User interrupted execution` on stderr, and the later tasks never run.
#[test]
fn exec_interrupt() {
    let theirs = interrupt_fixture("ansible", "exec_interrupt", "TASK [long]");
    let ours = interrupt_fixture("oxible", "exec_interrupt", "TASK [long]");
    assert_eq!(
        theirs.code, 99,
        "ansible-playbook:\n{}{}",
        theirs.stdout, theirs.stderr
    );
    assert_eq!(
        ours.code, theirs.code,
        "oxible:\n{}{}",
        ours.stdout, ours.stderr
    );
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(ours.stderr, theirs.stderr);
    assert_eq!(ours.files, theirs.files);
}

/// Warnings on stderr too: `debug var=` on undefined values (`Encountered 1 template error.`
/// with the place, once per place).
#[test]
fn exec_template_warning() {
    let theirs = run_fixture("ansible", "exec_template_warning", &[], 1);
    let ours = run_fixture("oxible", "exec_template_warning", &[], 1);
    assert_eq!(ours.code, theirs.code);
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(ours.stderr, theirs.stderr);
}
