#!/usr/bin/env python3
"""oxible's benchmarks: oxible against ansible-core 2.19.14 (pipelining on, ControlPersist on,
forks = hosts) and ansible-core with Mitogen, on the same targets, in one run.

Scenarios (docs/benchmarks.md describes each and the targets):
  startup   `--version`, and `--syntax-check` of a generated 500-task playbook
  local     the 100-task idempotent playbook with `-c local` in a temp dir: first and second run
  fanout    the same playbook over ssh on 1, 3 and 10 container hosts: first and second run
  facts     gather_facts alone on 10 hosts
  floor     oxible's own commands for fanout's second run on 10 hosts, replayed as plain ssh
  memory    peak controller memory with 10 and 50 hosts

The tools alternate run by run (A B A B …) for --pairs pairs after a warm-up run of each; the
report gives median wall time, CPU seconds and peak memory per tool, and the per-pair ratio
(min/median/max) of each other tool's wall time to oxible's. Results go to bench/results/ as
bench.md and bench.json, with the machine's description.

Usage: bench/run.py [--pairs N] [--only SCENARIO ...] [--hosts N ...] [--memory-hosts N ...]
                   [--runs first|second ...] [--no-mitogen] [--oxible BINARY]
       bench/run.py --smoke --oxible target/debug/oxible --out DIR
--smoke runs every scenario once with 1 host and a 20-task playbook, to check that the harness
works (the test suite does this); it proves nothing about speed.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oxbench import floor, measure, playbooks, tools  # noqa: E402
from oxbench.hosts import Hosts  # noqa: E402
from oxbench.report import markdown  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ["startup", "local", "fanout", "facts", "floor", "memory"]
REMOTE_BASE = "/tmp/oxible-bench"


class Bench:
    """One benchmark run: the tools, the settings and the work directory."""

    def __init__(self, args, tool_list, work: Path):
        self.args = args
        self.tools = tool_list
        self.work = work
        home = work / "home"
        home.mkdir(exist_ok=True)
        self.env = dict(os.environ, HOME=str(home), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                        ANSIBLE_SSH_CONTROL_PATH_DIR=str(home / "cp"),
                        ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False")
        for var in ("OXIBLE_TRACE_SSH", "ANSIBLE_CONFIG", "ANSIBLE_INVENTORY"):
            self.env.pop(var, None)
        (work / "unit.j2").write_text(playbooks.TEMPLATE)

    def log(self, text):
        print(text, file=sys.stderr, flush=True)

    def compare(self, label, inventory, playbook, forks, before=None, idempotent=False,
                pairs=None, tool_list=None):
        """Warm-up run of each tool, then `pairs` alternating rounds; returns the summaries."""
        tool_list = tool_list or self.tools
        pairs = pairs or self.args.pairs
        argv = ["-i", inventory, "-f", str(forks), playbook]
        samples = {t.name: [] for t in tool_list}
        for round_ in range(self.args.warmup + pairs):
            for tool in tool_list:
                if before:
                    before()
                sample = measure.run(tool.playbook(*argv), self.work, dict(self.env, **tool.env))
                if idempotent and not all_unchanged(sample.stdout):
                    raise SystemExit(f"{label}: {tool.name} changed something on a second run:\n"
                                     f"{sample.stdout}")
                if round_ >= self.args.warmup:
                    samples[tool.name].append(sample)
        self.log(f"  {label}: " + ", ".join(
            f"{name} {measure.summary(s)['wall_median_s']:.2f}s" for name, s in samples.items()))
        return result(samples)


def all_unchanged(stdout: str) -> bool:
    """Every recap line says changed=0."""
    recap = [l for l in stdout.split("PLAY RECAP")[-1].splitlines() if "ok=" in l]
    return bool(recap) and all("changed=0 " in l for l in recap)


def result(samples: dict) -> dict:
    """Summaries per tool and the ratio of each other tool's wall time to oxible's, per pair."""
    out = {"tools": {name: measure.summary(s) for name, s in samples.items()}}
    out["ratio_to_oxible"] = {name: measure.ratios(s, samples["oxible"])
                              for name, s in samples.items() if name != "oxible"}
    return out


STARTUP_TASKS = 500  # a playbook as big as a real site.yml with its roles


def startup_runs(args) -> int:
    """How many times the startup scenario runs each command per tool (no pairs, no warm-up)."""
    return 3 if args.smoke else 30


def startup(bench: Bench) -> dict:
    (bench.work / "startup.yml").write_text(playbooks.startup(STARTUP_TASKS))
    (bench.work / "startup.ini").write_text("localhost ansible_connection=local\n")
    runs = startup_runs(bench.args)
    rows = {}
    for label, args in (("--version", ["--version"]),
                        ("syntax-check", ["-i", "startup.ini", "startup.yml", "--syntax-check"])):
        samples = {}
        for _ in range(runs):
            for tool in bench.tools:
                if tool.name == "mitogen":
                    continue  # the same program as ansible before any strategy runs
                s = measure.run(tool.playbook(*args), bench.work, dict(bench.env, **tool.env),
                                interval=None)
                samples.setdefault(tool.name, []).append(s)
        rows[label] = result(samples)
        bench.log(f"  startup {label}: " + ", ".join(
            f"{n} {rows[label]['tools'][n]['wall_median_s'] * 1000:.1f}ms" for n in samples))
    return rows


def converge_files(bench: Bench, units: int, base: str, name: str) -> str:
    path = bench.work / name
    path.write_text(playbooks.converge(units, base))
    return name


def first_and_second(bench, label, inventory, playbook, forks, reset):
    """The first run (from a reset target) and the second (idempotent) run, as --runs asks."""
    out = {}
    if "first" in bench.args.runs:
        out["first"] = bench.compare(f"{label} first run", inventory, playbook, forks, before=reset)
    if "second" in bench.args.runs:
        if "first" not in bench.args.runs:
            converge(bench, inventory, playbook, forks, reset)
        out["second"] = bench.compare(f"{label} second run", inventory, playbook, forks,
                                      idempotent=True)
    return out


def converge(bench, inventory, playbook, forks, reset):
    """Brings the targets to the converged state with one unmeasured oxible run."""
    reset()
    oxible = next(t for t in bench.tools if t.name == "oxible")
    argv = ["-i", inventory, "-f", str(forks), playbook]
    measure.run(oxible.playbook(*argv), bench.work, dict(bench.env, **oxible.env))


def local(bench: Bench) -> dict:
    base = bench.work / "local-target"
    playbook = converge_files(bench, bench.args.units, str(base), "local.yml")
    inventory = bench.work / "local.ini"
    inventory.write_text("localhost ansible_connection=local\n")
    return first_and_second(bench, "local", inventory, playbook, 1,
                            lambda: shutil.rmtree(base, ignore_errors=True))


def fanout(bench: Bench, hosts: Hosts) -> dict:
    playbook = converge_files(bench, bench.args.units, REMOTE_BASE, "fanout.yml")
    out = {}
    for n in bench.args.hosts:
        out[str(n)] = first_and_second(bench, f"fanout {n} hosts", hosts.inventory(n), playbook, n,
                                       lambda n=n: hosts.reset(n, REMOTE_BASE))
    return out


def facts(bench: Bench, hosts: Hosts) -> dict:
    (bench.work / "facts.yml").write_text(playbooks.FACTS)
    n = bench.args.hosts[-1]
    return {str(n): bench.compare(f"facts {n} hosts", hosts.inventory(n), "facts.yml", n)}


def floor_scenario(bench: Bench, hosts: Hosts, fanout_result) -> dict:
    n = bench.args.hosts[-1]
    playbook = converge_files(bench, bench.args.units, REMOTE_BASE, "fanout.yml")
    converge(bench, hosts.inventory(n), playbook, n, lambda: hosts.reset(n, REMOTE_BASE))
    oxible = next(t for t in bench.tools if t.name == "oxible")
    argv = ["-i", hosts.inventory(n), "-f", str(n), playbook]
    trace = bench.work / "trace"
    trace.unlink(missing_ok=True)
    measure.run(oxible.playbook(*argv), bench.work, dict(bench.env, OXIBLE_TRACE_SSH=str(trace)))
    floor_s, counts = floor.replay(trace, hosts.key, bench.work, runs=2 if bench.args.smoke else 6)
    second = (fanout_result or {}).get("results", {}).get(str(n), {}).get("second")
    oxible_s = second["tools"]["oxible"]["wall_median_s"] if second else None
    bench.log(f"  floor {n} hosts: {floor_s:.2f}s" + (f", oxible {oxible_s:.2f}s" if oxible_s else ""))
    return {"hosts": n, "floor_s": floor_s, "oxible_second_run_s": oxible_s,
            "commands_per_host": sorted(set(counts.values()))}


MEMORY_UNITS = 2  # a 20-task playbook: 50 hosts of ansible-core take minutes per run
MEMORY_PAIRS = 2


def memory(bench: Bench, hosts: Hosts) -> dict:
    playbook = converge_files(bench, MEMORY_UNITS, REMOTE_BASE + "-mem", "memory.yml")
    out = {}
    for n in bench.args.memory_hosts:
        out[str(n)] = bench.compare(f"memory {n} hosts", hosts.inventory(n), playbook, n,
                                    pairs=1 if bench.args.smoke else MEMORY_PAIRS)
    return out


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.machine())
    mem = next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
               if l.startswith("MemTotal"))
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "system": platform.platform(), "docker": docker,
            "python": platform.python_version()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=SCENARIOS)
    parser.add_argument("--no-mitogen", action="store_true")
    parser.add_argument("--oxible", help="an oxible binary to use instead of a release build")
    parser.add_argument("--smoke", action="store_true",
                        help="every scenario once, 1 host, 20 tasks: checks the harness only")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 3, 10],
                        help="host counts of the fan-out scenario (the largest also serves facts and floor)")
    parser.add_argument("--memory-hosts", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--runs", nargs="+", choices=["first", "second"], default=["first", "second"],
                        help="which runs of the local and fan-out scenarios to measure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = parser.parse_args()
    args.units = 10
    if args.smoke:
        args.pairs, args.warmup, args.units, args.hosts, args.memory_hosts = 1, 0, 2, [1], [1]
        args.no_mitogen = True

    tool_list = [tools.ansible()]
    notes = []
    if not args.no_mitogen:
        mitogen, why = tools.mitogen()
        if mitogen:
            tool_list.append(mitogen)
        else:
            notes.append(f"Mitogen left out: {why}")
    tool_list.append(tools.oxible(args.oxible))

    work = Path(tempfile.mkdtemp(prefix="oxible-bench-"))
    bench = Bench(args, tool_list, work)
    # Scenarios run now replace their earlier results in bench.json; the others are kept (with
    # their own date and settings), so a long benchmark can be run a few scenarios at a time.
    results = {"machine": machine(), "smoke": args.smoke, "scenarios": {}}
    previous = args.out / "bench.json"
    if previous.exists() and not args.smoke:
        old = json.loads(previous.read_text())
        if old.get("machine", {}).get("cpu") == results["machine"]["cpu"]:
            results["scenarios"] = {k: v for k, v in old.get("scenarios", {}).items()
                                    if k not in args.only}
    settings = {"date": time.strftime("%Y-%m-%d"), "pairs": args.pairs, "warmup": args.warmup,
                "tasks": args.units * 10, "tools": [t.name for t in tool_list], "notes": notes}
    remote = [s for s in args.only if s in ("fanout", "facts", "floor", "memory")]
    n_hosts = max(args.hosts[-1] if set(remote) - {"memory"} else 0,
                  args.memory_hosts[-1] if "memory" in remote else 0)
    hosts = None
    text = ""
    try:
        if remote:
            bench.log(f"starting {n_hosts} container hosts")
            hosts = Hosts(n_hosts, f"oxible-bench-{os.getpid()}", work)
        scen = results["scenarios"]
        for name in args.only:
            bench.log(name)
            if name == "startup":
                scen[name] = startup(bench)
            elif name == "local":
                scen[name] = local(bench)
            elif name == "fanout":
                scen[name] = fanout(bench, hosts)
            elif name == "facts":
                scen[name] = facts(bench, hosts)
            elif name == "floor":
                scen[name] = floor_scenario(bench, hosts, scen.get("fanout"))
            elif name == "memory":
                scen[name] = memory(bench, hosts)
            own = settings
            if name == "memory":  # its own playbook and pair count
                own = dict(settings, tasks=MEMORY_UNITS * 10,
                           pairs=1 if args.smoke else MEMORY_PAIRS)
            elif name == "startup":  # its own playbook, runs instead of pairs, no Mitogen
                own = dict(settings, tasks=STARTUP_TASKS, runs=startup_runs(args),
                           tools=[t for t in settings["tools"] if t != "mitogen"])
            scen[name] = {"settings": own, "results": scen[name]}
            # Written after every scenario: a long run that is stopped keeps what it measured.
            text = write(results, args.out)
    except measure.RunFailed as e:
        sys.exit(f"bench: {e}")
    finally:
        if hosts:
            hosts.close()
    print(text)
    shutil.rmtree(work, ignore_errors=True)


def write(results: dict, out: Path) -> str:
    """Writes bench.json and bench.md into `out`; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (out / "bench.md").write_text(text)
    return text


if __name__ == "__main__":
    main()
