"""A real full disk for tests: a tiny tmpfs mounted for the test (needs root, as on CI's machines)."""

import contextlib
import os
import subprocess
import tempfile

import pytest


@contextlib.contextmanager
def tiny_filesystem(kilobytes=64):
    """Yields a folder on a fresh tmpfs of ``kilobytes``; skips the test where mounting is not allowed."""
    folder = tempfile.mkdtemp(prefix="pel-full-disk-")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", "tmpfs", folder], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        os.rmdir(folder)
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the full-disk test needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", folder], check=False)
        os.rmdir(folder)


def fill(folder, leave_bytes=0):
    """Fills the file system of ``folder`` up to ``leave_bytes`` free; returns the filler's path."""
    path = os.path.join(folder, "filler")
    with open(path, "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
    if leave_bytes:
        with open(path, "r+b") as f:
            f.truncate(max(0, os.path.getsize(path) - leave_bytes))
    return path
