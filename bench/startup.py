#!/usr/bin/env python3
"""Scenario 1 (startup): `oxible --version` and `--syntax-check` of a generated 500-task playbook,
against ansible-playbook on the same files. Reports median wall time over many runs and writes
Markdown and JSON under bench/results/.

Usage: bench/startup.py [--runs N]   (builds oxible in release mode first)
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    ("ansible.builtin.file", ["path: /tmp/f{i}", "state: directory", "mode: 0755"]),
    ("ansible.builtin.copy", ["content: 'x{i}'", "dest: /tmp/c{i}"]),
    ("ansible.builtin.command", ["cmd: echo {i}", "creates: /tmp/x{i}"]),
    ("ansible.builtin.set_fact", ["v{i}: \"{{{{ {i} | int + 1 }}}}\""]),
    ("ansible.builtin.debug", ["msg: \"task {i}\""]),
]


def playbook(n_tasks: int) -> str:
    """A play of n_tasks tasks cycling through common modules, each with name, tags and when."""
    out = ["- hosts: all\n  gather_facts: false\n  tasks:\n"]
    for i in range(n_tasks):
        module, args = MODULES[i % len(MODULES)]
        out.append(f"    - name: task {i}\n      tags: [t{i % 7}]\n      when: x{i % 3} is not defined\n"
                   f"      {module}:\n")
        out.extend(f"        {arg.format(i=i)}\n" for arg in args)
    return "".join(out)


def median_ms(cmd, cwd, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{cmd} failed: {proc.stderr.decode()}")
    return statistics.median(samples), min(samples), max(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-ansible", action="store_true")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "oxible"], cwd=ROOT, check=True)
    oxible = ROOT / "target/release/oxible"
    oracle = subprocess.run([ROOT / "tests/oracle.sh"], capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="oxible-bench-"))
    (work / "site.yml").write_text(playbook(500))
    (work / "hosts").write_text("localhost ansible_connection=local\n")
    rows = []
    cases = [("--version", [str(oxible), "--version"], [f"{oracle}/ansible-playbook", "--version"]),
             ("syntax-check 500 tasks", [str(oxible), "playbook", "-i", "hosts", "site.yml", "--syntax-check"],
              [f"{oracle}/ansible-playbook", "-i", "hosts", "site.yml", "--syntax-check"])]
    for name, ours, theirs in cases:
        o = median_ms(ours, work, args.runs)
        a = None if args.no_ansible else median_ms(theirs, work, max(3, args.runs // 6))
        rows.append({"scenario": name, "oxible_ms": o, "ansible_ms": a})
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "system": platform.platform()}
    results = ROOT / "bench/results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "startup.json").write_text(json.dumps({"machine": machine, "runs": args.runs, "rows": rows}, indent=2) + "\n")
    lines = ["# Startup benchmark", "", f"Machine: {machine['system']}, {machine['cores']} cores. "
             f"Median (min–max) wall time over {args.runs} runs for oxible.", "",
             "| scenario | oxible ms | ansible-playbook ms | ratio |", "|---|---:|---:|---:|"]
    for r in rows:
        o = r["oxible_ms"]
        a = r["ansible_ms"]
        ratio = f"{a[0] / o[0]:.0f}x" if a else "-"
        astr = f"{a[0]:.0f}" if a else "-"
        lines.append(f"| {r['scenario']} | {o[0]:.1f} ({o[1]:.1f}–{o[2]:.1f}) | {astr} | {ratio} |")
    (results / "startup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
