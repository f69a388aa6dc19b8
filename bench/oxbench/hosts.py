"""Container hosts for the remote scenarios, from the test suite's scripts (tests/hosts): start
N, write inventories for the first k of them, reset their work directory, remove them."""
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests/hosts"


class Hosts:
    """`n` running containers (h1..hN over ssh as root with the test key); `close` removes them."""

    def __init__(self, n: int, prefix: str, work: Path):
        self.prefix = prefix
        self.work = work
        inventory = work / f"{prefix}.ini"
        try:
            subprocess.run([SCRIPTS / "start.sh", str(n), prefix, inventory], check=True,
                           stdout=subprocess.DEVNULL)
        except BaseException:
            self.close()  # the hosts started before the failure (or ^C) go too
            raise
        self.ports = []
        self.key = None
        for line in inventory.read_text().splitlines():
            if line.startswith("h") and "ansible_port=" in line:
                self.ports.append(int(line.split("ansible_port=")[1].split()[0]))
            if line.startswith("ansible_ssh_private_key_file="):
                self.key = line.split("=", 1)[1]
        self.containers = [f"{prefix}-{i + 1}" for i in range(n)]

    def inventory(self, k: int) -> Path:
        """An inventory of the first `k` hosts (group `all`), written once."""
        path = self.work / f"hosts-{k}.ini"
        if not path.exists():
            lines = [f"h{i + 1} ansible_host=127.0.0.1 ansible_port={port}"
                     for i, port in enumerate(self.ports[:k])]
            lines += ["", "[all:vars]", "ansible_user=root", f"ansible_ssh_private_key_file={self.key}",
                      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
                      "ansible_python_interpreter=/usr/bin/python3"]
            path.write_text("\n".join(lines) + "\n")
        return path

    def reset(self, k: int, base: str):
        """Removes `base` on the first `k` hosts (in parallel), so the next run is a first run."""
        def rm(container):
            subprocess.run(["docker", "exec", container, "rm", "-rf", base], check=True)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(rm, self.containers[:k]))

    def close(self):
        """Removes the hosts; when that fails, says which containers are left behind."""
        done = subprocess.run([SCRIPTS / "stop.sh", self.prefix], stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            print(f"bench: containers labelled oxible-test={self.prefix} may be left behind "
                  f"(stop.sh exited {done.returncode}); remove them with "
                  f"tests/hosts/stop.sh {self.prefix}", file=sys.stderr)
