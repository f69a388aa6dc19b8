#!/usr/bin/env python3
"""Scenario 2 (remote): a 20-task idempotent playbook on 3 container hosts over ssh, oxible
(release build) against ansible-playbook 2.19.14 (pipelining on, ControlPersist on — its
default — forks=3), alternating A B A B after a warm-up run of each; median wall time and the
ratio. Plus the raw floor: the very commands oxible ran (recorded with OXIBLE_TRACE_SSH),
replayed as plain `ssh` commands over a warm ControlMaster per host, hosts in parallel, each
host's commands one after another as the linear strategy runs them.

Usage: bench/remote.py [--pairs N]   (builds oxible in release mode first; starts and removes
its own 3 container hosts with tests/hosts/start.sh / stop.sh)
"""
import argparse, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# 20 tasks, all idempotent: after the warm-up run every run changes nothing.
PLAYBOOK = """- hosts: ssh
  gather_facts: false
  vars:
    base: /tmp/oxible-bench
  tasks:
    - file: path={{ base }} state=directory mode=0755
    - file: path={{ base }}/etc state=directory mode=0750
    - copy: content="port = 80\\n" dest={{ base }}/etc/app.conf mode=0644 force=false
    - lineinfile: path={{ base }}/etc/app.conf line="user = app"
    - lineinfile: path={{ base }}/etc/app.conf regexp='^port' line='port = 8080'
    - replace: path={{ base }}/etc/app.conf regexp='^debug = true$' replace='debug = false'
    - blockinfile: path={{ base }}/etc/app.conf block="a=1"
    - file: path={{ base }}/etc/current src=app.conf state=link
    - stat: path={{ base }}/etc/app.conf
      register: st
    - command: cat {{ base }}/etc/app.conf
      register: cat
      changed_when: false
    - shell: test -f {{ base }}/etc/app.conf && echo yes
      changed_when: false
    - command: touch {{ base }}/marker creates={{ base }}/marker
    - file: path={{ base }}/d{{ item }} state=directory
      loop: [1, 2]
    - copy: content="{{ cat.stdout }}" dest={{ base }}/copy.conf
    - template: src=t.j2 dest={{ base }}/t.conf
    - file: path={{ base }}/t.conf mode=0600
    - lineinfile: path={{ base }}/extra.conf line="# managed" create=true
    - debug: msg="{{ st.stat.size }}"
    - set_fact: done=true
    - command: id -un
      changed_when: false
"""


def run(cmd, cwd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def floor(trace, key, work):
    """Replays the traced commands: one warm ControlMaster per host, hosts in parallel."""
    per_host = {}
    for line in trace.read_text().splitlines():
        host, cmd, stdin = line.split("\t")
        per_host.setdefault(host, []).append((bytes.fromhex(cmd).decode(),
                                              b"" if stdin == "-" else bytes.fromhex(stdin)))
    base = ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-l", "root"]
    masters = {}
    for host in per_host:
        addr, port = host.rsplit(":", 1)
        ctl = work / f"ctl-{port}"
        subprocess.run(base + ["-p", port, "-o", "ControlMaster=yes", "-o", f"ControlPath={ctl}",
                               "-o", "ControlPersist=60", "-fN", addr], check=True)
        masters[host] = base + ["-p", port, "-o", f"ControlPath={ctl}", addr]

    def replay(host):
        for cmd, stdin in per_host[host]:
            subprocess.run(masters[host] + [cmd], input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    samples = []
    with ThreadPoolExecutor(len(per_host)) as pool:
        for _ in range(4):
            start = time.perf_counter()
            list(pool.map(replay, per_host))
            samples.append(time.perf_counter() - start)
    for host, cmd in masters.items():
        subprocess.run(cmd[:-1] + ["-O", "exit", cmd[-1]], stderr=subprocess.DEVNULL)
    counts = {h: len(c) for h, c in per_host.items()}
    return statistics.median(samples[1:]), counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "oxible"], cwd=ROOT, check=True)
    oxible = ROOT / "target/release/oxible"
    oracle = subprocess.run([ROOT / "tests/oracle.sh"], capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="oxible-bench-remote-"))
    prefix = f"oxible-bench-{os.getpid()}"
    inventory = work / "hosts.ini"
    subprocess.run([ROOT / "tests/hosts/start.sh", "3", prefix, inventory], check=True, stdout=subprocess.DEVNULL)
    try:
        key = next(l.split("=", 1)[1] for l in inventory.read_text().splitlines()
                   if l.startswith("ansible_ssh_private_key_file="))
        (work / "site.yml").write_text(PLAYBOOK)
        (work / "t.j2").write_text("host={{ inventory_hostname }}\n")
        home = work / "home"
        home.mkdir()
        env = dict(os.environ, HOME=str(home), ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="1",
                   ANSIBLE_SSH_CONTROL_PATH_DIR=str(home / "cp"))
        env.pop("OXIBLE_TRACE_SSH", None)
        ours = [str(oxible), "playbook", "-i", str(inventory), "-f", "3", "site.yml"]
        theirs = [f"{oracle}/ansible-playbook", "-i", str(inventory), "-f", "3", "site.yml"]
        # Warm-up: the first run converges the hosts; both must then report nothing changed.
        for cmd in (theirs, ours, theirs, ours):
            _, out = run(cmd, work, env)
        for name, cmd in (("ansible", theirs), ("oxible", ours)):
            _, out = run(cmd, work, env)
            recap = out.split("PLAY RECAP")[-1]
            if recap.count("changed=0") != 3:
                sys.exit(f"{name} is not idempotent on this playbook:\n{out}")
        a, o = [], []
        for _ in range(args.pairs):
            a.append(run(theirs, work, env)[0])
            o.append(run(ours, work, env)[0])
        trace = work / "trace"
        run(ours, work, dict(env, OXIBLE_TRACE_SSH=str(trace)))
        floor_s, counts = floor(trace, key, work)
    finally:
        subprocess.run([ROOT / "tests/hosts/stop.sh", prefix], stdout=subprocess.DEVNULL)
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "system": platform.platform()}
    result = {"machine": machine, "pairs": args.pairs, "hosts": 3, "tasks": 20,
              "ansible_s": a, "oxible_s": o,
              "ansible_median_s": statistics.median(a), "oxible_median_s": statistics.median(o),
              "ratio": statistics.median(a) / statistics.median(o),
              "floor_s": floor_s, "commands_per_host": counts}
    results = ROOT / "bench/results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "remote.json").write_text(json.dumps(result, indent=2) + "\n")
    n = sorted(counts.values())
    lines = ["# Remote benchmark (3 container hosts over ssh)", "",
             f"Machine: {machine['system']}, {machine['cores']} cores. A 20-task idempotent playbook "
             f"(nothing changes), forks 3, {args.pairs} alternating pairs after a warm-up; ansible-core "
             "2.19.14 with pipelining and ControlPersist.", "",
             "| | median s | runs (s) |", "|---|---:|---|",
             f"| ansible-playbook | {statistics.median(a):.2f} | {', '.join(f'{x:.2f}' for x in a)} |",
             f"| oxible | {statistics.median(o):.2f} | {', '.join(f'{x:.2f}' for x in o)} |",
             f"| floor: oxible's {n[0]}–{n[-1]} commands per host as plain ssh over a warm ControlMaster "
             f"| {floor_s:.2f} | |", "",
             f"oxible is {result['ratio']:.1f}x faster than ansible-playbook; it takes "
             f"{statistics.median(o) / floor_s:.2f}x the floor."]
    (results / "remote.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
