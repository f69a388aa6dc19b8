"""Measuring one run of a command: wall time, CPU seconds and the controller's peak memory.

CPU seconds are the user + system time of the command and every descendant it waited for
(`wait4`'s rusage). Peak memory is sampled: every `interval` seconds the harness sums the
proportional set size (PSS, /proc/<pid>/smaps_rollup) of the command's whole process tree,
leaving out `ssh` processes (both tools use the same OpenSSH client for transport); PSS counts
pages shared between forked workers once, which RSS would count once per worker and so
overstate ansible-core's forks. The peak of those sums is reported in MiB.
"""
import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Sample:
    """One run: wall seconds, CPU seconds, peak PSS of the controller tree (MiB), stdout."""
    wall: float
    cpu: float
    peak_mib: float
    stdout: str = field(repr=False, default="")


class RunFailed(Exception):
    """A measured command exited non-zero (the message has its output)."""


class _Tree:
    """A process tree's members, found from /proc. A process's parent is read once, when its
    pid first appears (this kernel has no /proc/<pid>/task/*/children), so a sample costs a
    listing of /proc plus one read per new process: scanning every process each time cost the
    measured runs a good part of a core."""

    def __init__(self, root: int):
        self.root = root
        self.parents = {}

    def members(self) -> list:
        alive = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            alive.add(pid)
            if pid not in self.parents:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                # The command name is in parentheses and may hold spaces: fields follow the last ')'.
                self.parents[pid] = int(stat[stat.rindex(")") + 2:].split()[1])
        # Forget the dead: their pids may be reused by processes outside the tree.
        self.parents = {pid: ppid for pid, ppid in self.parents.items() if pid in alive}
        children = {}
        for pid, ppid in self.parents.items():
            children.setdefault(ppid, []).append(pid)
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, ()))
        return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "ssh":
                return 0
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(cmd, cwd, env, interval=0.05) -> Sample:
    """Runs `cmd` in `cwd` with `env`, sampling its tree's memory every `interval` seconds (not
    at all when None: for millisecond runs the sampler would cost more than it measures).
    Raises RunFailed when it exits non-zero."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sampler():
        nonlocal peak
        tree = _Tree(proc.pid)
        while not done.is_set():
            peak = max(peak, sum(_pss_kib(pid) for pid in tree.members()))
            done.wait(interval)

    thread = threading.Thread(target=sampler, daemon=True)
    if interval is not None:
        thread.start()
    # Read the pipes before reaping (a full pipe would block the child), then wait4 for rusage.
    out_chunks = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    stdout = proc.stdout.read()
    reader.join()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    if interval is not None:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = stdout.decode(errors="replace")
    if proc.returncode != 0:
        raise RunFailed(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{text}\n"
                        f"{out_chunks[0].decode(errors='replace')}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak / 1024, text)


def summary(samples) -> dict:
    """Median wall/CPU/peak of samples, plus every wall time."""
    return {
        "wall_median_s": statistics.median(s.wall for s in samples),
        "cpu_median_s": statistics.median(s.cpu for s in samples),
        "peak_mib_median": statistics.median(s.peak_mib for s in samples),
        "walls_s": [round(s.wall, 4) for s in samples],
    }


def ratios(baseline, ours) -> dict:
    """Per-pair ratio baseline/ours of wall time: min, median, max."""
    per_pair = [b.wall / o.wall for b, o in zip(baseline, ours)]
    return {"min": min(per_pair), "median": statistics.median(per_pair), "max": max(per_pair)}
