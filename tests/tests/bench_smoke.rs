//! The benchmark harness works: `bench/run.py --smoke` runs every scenario once (one container
//! host, a 20-task playbook, ansible-core and this build of oxible) and writes its report. Speed
//! is not asserted here (benchmarks are not tests); what is checked is that each scenario ran
//! both tools to completion, that both converged (the harness itself refuses a second run that
//! changes something), and that the floor replay found oxible's commands.

use oxible_tests::{oxible_bin, run, workspace_root};
use serde_json::Value;

#[test]
fn bench_harness_runs_every_scenario_once() {
    let out_dir = std::env::temp_dir().join(format!("oxible-bench-smoke-{}", std::process::id()));
    let mut cmd = std::process::Command::new(workspace_root().join("bench/run.py"));
    cmd.arg("--smoke")
        .arg("--oxible")
        .arg(oxible_bin())
        .arg("--out")
        .arg(&out_dir);
    let out = run(cmd);
    assert_eq!(
        out.code, 0,
        "bench/run.py --smoke failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("bench.json")).expect("bench.json written"),
    )
    .expect("bench.json is JSON");
    let scenarios = &json["scenarios"];
    for name in ["startup", "local", "fanout", "facts", "floor", "memory"] {
        assert!(
            scenarios.get(name).is_some(),
            "scenario {name} missing from {json}"
        );
    }
    let second = &scenarios["fanout"]["results"]["1"]["second"]["tools"];
    for tool in ["ansible", "oxible"] {
        let wall = second[tool]["wall_median_s"].as_f64().unwrap_or(0.0);
        assert!(wall > 0.0, "no fan-out time for {tool}: {second}");
    }
    let commands = &scenarios["floor"]["results"]["commands_per_host"][0];
    assert!(
        commands.as_u64().unwrap_or(0) >= 10,
        "the floor replayed too few commands: {commands}"
    );
    let md = std::fs::read_to_string(out_dir.join("bench.md")).expect("bench.md written");
    assert!(md.contains("## 5. Floor"), "{md}");
    let _ = std::fs::remove_dir_all(&out_dir);
}
