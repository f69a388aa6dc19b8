"""The tools compared: oxible (release build, or a given binary), ansible-core 2.19.14 from the
test oracle's venv (pipelining on; ControlPersist is its default) and, where it installs,
ansible-core with Mitogen's `mitogen_linear` strategy (PyPI `mitogen`, in its own venv beside
the oracle's so the oracle stays untouched)."""
import glob
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_CORE = "2.19.14"
MITOGEN = "0.3.54"  # supports ansible-core 2.19 (ansible_mitogen checks the running version)


@dataclass
class Tool:
    """A way to run a playbook: `argv` is prepended to the playbook's own arguments."""
    name: str
    argv: list
    env: dict = field(default_factory=dict)

    def playbook(self, *args) -> list:
        return self.argv + [str(a) for a in args]


def cache_dir() -> Path:
    """Where the test suite keeps its venvs and images (tests/hosts/common.sh's rule)."""
    if os.environ.get("OXIBLE_CACHE"):
        return Path(os.environ["OXIBLE_CACHE"])
    try:
        Path("/var/cache/oxible").mkdir(parents=True, exist_ok=True)
        if os.access("/var/cache/oxible", os.W_OK):
            return Path("/var/cache/oxible")
    except OSError:
        pass
    return Path.home() / ".cache/oxible"


def oxible(binary=None) -> Tool:
    """oxible: `binary`, else a fresh release build."""
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "oxible"], cwd=ROOT, check=True)
        binary = ROOT / "target/release/oxible"
    return Tool("oxible", [str(Path(binary).resolve()), "playbook"])


def ansible() -> Tool:
    """ansible-playbook from the oracle venv (tests/oracle.sh installs it)."""
    bin_dir = subprocess.run([ROOT / "tests/oracle.sh"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # Local modules run under the venv's own Python (remote hosts set theirs in the inventory).
    return Tool("ansible", [f"{bin_dir}/ansible-playbook"],
                {"ANSIBLE_PIPELINING": "1", "ANSIBLE_PYTHON_INTERPRETER": f"{bin_dir}/python"})


def mitogen():
    """ansible-core with Mitogen's linear strategy, installing its venv on first use; on
    failure returns (None, reason)."""
    venv = cache_dir() / f"mitogen-{MITOGEN}-ansible-core-{ANSIBLE_CORE}"
    if not (venv / "bin/ansible-playbook").exists():
        try:
            subprocess.run(["python3", "-m", "venv", venv], check=True, capture_output=True)
            subprocess.run([venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check",
                            f"ansible-core=={ANSIBLE_CORE}", f"mitogen=={MITOGEN}"],
                           check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as e:
            return None, f"installing mitogen {MITOGEN} failed: {e.stderr or e}"
    strategy = glob.glob(str(venv / "lib/python3*/site-packages/ansible_mitogen/plugins/strategy"))
    if not strategy:
        return None, "ansible_mitogen's strategy plugins are missing from its venv"
    return Tool("mitogen", [str(venv / "bin/ansible-playbook")],
                {"ANSIBLE_STRATEGY_PLUGINS": strategy[0], "ANSIBLE_STRATEGY": "mitogen_linear",
                 "ANSIBLE_PYTHON_INTERPRETER": str(venv / "bin/python")}), None
