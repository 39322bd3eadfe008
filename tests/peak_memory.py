"""Runs an entry script in a fresh Python and reports the peak of its own memory.

The peak is ``VmHWM`` from ``/proc/self/status`` (Linux), the high-water mark of the script's own address
space, read as it exits; ``getrusage``'s ``ru_maxrss`` would also count the forking test process.
"""

import subprocess
import sys

_WRAPPER = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    print(f"peak memory: {peak // 1024} MB", file=sys.stderr)

atexit.register(report)
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_script(script, args, cwd, env=None, timeout=600):
    """``(subprocess.CompletedProcess, peak memory in MB)`` of ``python script *args`` run in ``cwd``."""
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, script, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    line = next(line for line in done.stderr.splitlines()[::-1] if line.startswith("peak memory: "))
    return done, int(line.split()[2])
