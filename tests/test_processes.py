"""Pool workers end with their parent, even when it is killed with SIGKILL (pel_keras.processes)."""

import os
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A parent that starts a spawn pool of two sleeping workers, each tied to it by ``initializer``.
PARENT = """
import multiprocessing, sys, time
from pel_keras import processes
if __name__ == "__main__":
    with multiprocessing.get_context("spawn").Pool(2, getattr(processes, sys.argv[1])) as pool:
        print(*(p.pid for p in pool._pool), flush=True)
        pool.map(time.sleep, [120, 120])
"""


def ended(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended; nobody reaped it yet
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")
@pytest.mark.parametrize("initializer", ["die_with_parent", "watch_parent"])
def test_workers_end_when_their_parent_is_killed(tmp_path, initializer):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), initializer],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    time.sleep(1)  # the workers are in their initializer or sleeping
    assert len(workers) == 2 and not any(ended(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 5
    while time.time() < deadline and not all(ended(pid) for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if not ended(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == []
