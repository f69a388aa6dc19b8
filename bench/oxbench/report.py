"""The benchmark report as Markdown: one table per scenario and the issue's targets, each
marked met or missed with the measured value."""


def _row(name, t, ratio=None):
    r = f"{ratio['median']:.1f}x ({ratio['min']:.1f}–{ratio['max']:.1f})" if ratio else "1x"
    peak = f"{t['peak_mib_median']:.0f}" if t["peak_mib_median"] else "-"
    return f"| {name} | {t['wall_median_s']:.3f} | {t['cpu_median_s']:.2f} | {peak} | {r} |"


def _table(title, res):
    lines = [f"**{title}**", "", "| tool | median wall s | CPU s | peak MiB | time vs oxible (min–max) |",
             "|---|---:|---:|---:|---:|"]
    for name, t in res["tools"].items():
        lines.append(_row(name, t, res["ratio_to_oxible"].get(name)))
    return lines + [""]


def _targets(s):
    out = []

    def target(what, ok, value):
        out.append(f"| {what} | {value} | {'met' if ok else 'MISSED'} |")

    fan = s.get("fanout", {})
    if fan:
        n = max(fan, key=int)
        ratios = fan[n].get("second", {}).get("ratio_to_oxible", {})
        if "ansible" in ratios:
            v = ratios["ansible"]["median"]
            target(f"fan-out second run, {n} hosts: ≥ 30x ansible-core", v >= 30, f"{v:.1f}x")
        if "mitogen" in ratios:
            v = ratios["mitogen"]["median"]
            target(f"fan-out second run, {n} hosts: ≥ 5x Mitogen", v >= 5, f"{v:.1f}x")
    fl = s.get("floor")
    if fl and fl.get("oxible_second_run_s"):
        v = fl["oxible_second_run_s"] / fl["floor_s"]
        target(f"within 2x of the floor ({fl['hosts']} hosts)", v <= 2, f"{v:.2f}x")
    st = s.get("startup", {}).get("syntax-check")
    if st:
        v = st["tools"]["oxible"]["wall_median_s"] * 1000
        target("syntax check under 20 ms", v < 20, f"{v:.1f} ms")
    for n, res in s.get("memory", {}).items():
        t = res["tools"]
        if "ansible" in t and t["oxible"]["peak_mib_median"]:
            v = t["ansible"]["peak_mib_median"] / t["oxible"]["peak_mib_median"]
            target(f"peak memory with {n} hosts under 1/10 of ansible-core's", v >= 10,
                   f"1/{v:.1f}")
    if not out:
        return []
    return ["## Targets", "", "| target | measured | |", "|---|---:|---|"] + out + [""]


def _settings(st) -> list:
    if "runs" in st:  # the startup scenario: each command run over and over, tools alternating
        done = f"{st['runs']} runs of each command, tools alternating, no warm-up"
    else:
        done = f"{st['pairs']} pair(s) after {st['warmup']} warm-up run(s) each"
    line = (f"Run {st['date']}: {', '.join(st['tools'])}; {done}; "
            f"the playbook has {st['tasks']} tasks.")
    return [line] + [f"Note: {n}" for n in st["notes"]] + [""]


def _startup(r):
    return [line for label, res in r.items() for line in _table(label, res)]


def _local(r):
    return [line for run in ("first", "second") if run in r
            for line in _table(f"{run} run", r[run])]


def _fanout(r):
    return [line for n, res in r.items() for run in ("first", "second") if run in res
            for line in _table(f"{n} host(s), {run} run", res[run])]


def _facts(r):
    return [line for n, res in r.items() for line in _table(f"gather_facts on {n} host(s)", res)]


def _floor(f):
    ox = f["oxible_second_run_s"]
    return [f"oxible's {'/'.join(map(str, f['commands_per_host']))} commands per host for the "
            f"second run on {f['hosts']} host(s), replayed as plain ssh over warm ControlMasters: "
            f"{f['floor_s']:.3f} s" + (f"; oxible takes {ox:.3f} s, {ox / f['floor_s']:.2f}x the floor."
                                        if ox else "."), ""]


def _memory(r):
    return [line for n, res in r.items() for line in _table(f"{n} host(s)", res)]


SECTIONS = [
    ("startup", "1. Startup", _startup),
    ("local", "2. Local (`-c local`)", _local),
    ("fanout", "3. Fan-out over ssh (forks = hosts)", _fanout),
    ("facts", "4. Facts", _facts),
    ("floor", "5. Floor", _floor),
    ("memory", "6. Memory (20-task playbook, second run, forks = hosts)", _memory),
]


def markdown(results) -> str:
    m = results["machine"]
    s = results["scenarios"]
    lines = ["# oxible benchmarks", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
             f"Docker {m['docker']}. Written by `bench/run.py` (docs/benchmarks.md). Peak MiB: the "
             "controller's process tree (ssh clients left out), summed PSS. Time vs oxible: the "
             "other tool's wall time over oxible's, per pair (median, min–max).", ""]
    if results["smoke"]:
        lines += ["**Smoke run: one host, one pair, no warm-up. These numbers prove nothing.**", ""]
    lines += _targets({k: v["results"] for k, v in s.items()})
    for key, title, render in SECTIONS:
        if key in s:
            lines += [f"## {title}", ""] + _settings(s[key]["settings"]) + render(s[key]["results"])
    return "\n".join(lines) + "\n"
