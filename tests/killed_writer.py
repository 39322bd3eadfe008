"""Kill a writer in the middle of its work: a fresh Python process, killed with SIGKILL (with every process it
started) as soon as it has begun to write, the way a scheduler, an OOM killer or a closed terminal stops it."""

import contextlib
import os
import signal
import subprocess
import sys
import time

from pel_keras.files.atomic import TEMPORARY_SUFFIX

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def snapshot(folder):
    """``{name: bytes}`` of every file directly in ``folder`` and below its sub-folders (relative names)."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = f.read()
    return found


def _changed(folder, before):
    """True once ``folder`` holds a temporary entry of ``pel_keras.files.atomic`` with something in it, or one
    of the files of ``before`` (``{path: os.stat}``) was changed in place."""
    with contextlib.suppress(FileNotFoundError):  # an entry may be renamed between listing and looking
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if TEMPORARY_SUFFIX in name and (os.path.isdir(path) and os.listdir(path) or os.path.getsize(path)):
                return True
        for path, stat in before.items():
            now = os.stat(path)
            if (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                return True
    return False


def kill_while_writing(args, folder, timeout=300):
    """Runs ``python *args`` from the repository root and kills it once it writes in ``folder``.

    Returns:
        The seconds the writer ran.

    Raises:
        AssertionError: the writer ended, or had not begun to write after ``timeout`` seconds.
    """
    before = {
        os.path.join(root, name): os.stat(os.path.join(root, name))
        for root, _, names in os.walk(folder)
        for name in names
    }
    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not _changed(folder, before):
            if child.poll() is not None:
                raise AssertionError(
                    f"the writer ended (status {child.returncode}) before it was killed: {child.stderr.read()[-2000:]}"
                )
            if time.monotonic() - start > timeout:
                raise AssertionError(f"the writer had not begun to write in {folder} after {timeout} s")
            time.sleep(0.002)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        child.stderr.close()
    return time.monotonic() - start
