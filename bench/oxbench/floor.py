"""The floor: what the work costs with no executor at all. oxible records every command it
sends (`OXIBLE_TRACE_SSH=<file>`: host, command line and stdin, hex-encoded; stdin is left out
when it carries a become password); this replays exactly those commands as plain `ssh`
invocations over one warm ControlMaster per host, the hosts in parallel and each host's
commands in order, as the linear strategy sends them."""
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def replay(trace: Path, key: str, work: Path, runs: int = 4):
    """Median wall seconds of replaying `trace` (first replay discarded as warm-up), and the
    number of commands per host."""
    per_host = {}
    for line in trace.read_text().splitlines():
        host, cmd, stdin = line.split("\t")
        per_host.setdefault(host, []).append(
            (bytes.fromhex(cmd).decode(), b"" if stdin == "-" else bytes.fromhex(stdin)))
    base = ["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-l", "root"]
    masters = {}
    for host in per_host:
        addr, port = host.rsplit(":", 1)
        ctl = work / f"ctl-{port}"
        subprocess.run(base + ["-p", port, "-o", "ControlMaster=yes", "-o", f"ControlPath={ctl}",
                               "-o", "ControlPersist=60", "-fN", addr], check=True)
        masters[host] = base + ["-p", port, "-o", f"ControlPath={ctl}", addr]

    def one_host(host):
        for cmd, stdin in per_host[host]:
            subprocess.run(masters[host] + [cmd], input=stdin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    samples = []
    try:
        with ThreadPoolExecutor(len(per_host)) as pool:
            for _ in range(runs):
                start = time.perf_counter()
                list(pool.map(one_host, per_host))
                samples.append(time.perf_counter() - start)
    finally:
        for cmd in masters.values():
            subprocess.run(cmd[:-1] + ["-O", "exit", cmd[-1]], stderr=subprocess.DEVNULL)
    return statistics.median(samples[1:] or samples), {h: len(c) for h, c in per_host.items()}
