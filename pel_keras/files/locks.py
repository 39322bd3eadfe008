"""One writer per folder: an advisory lock that the operating system drops when its holder dies.

``with folder_lock(run_dir, "train.py"):`` holds ``run_dir/.pel-lock`` with ``fcntl.flock`` for the block.
A second process asking for the same folder is refused at once with a :class:`FolderLockedError` naming
the holder (process id, host, command, start time, read from the lock file). A holder killed with
``kill -9`` holds nothing any more: the kernel releases ``flock`` locks with the process, so a stale lock
file never blocks the next run (that is why the lock is not the file's existence). Network file systems
that do not pass ``flock`` on (old NFS) give no protection across hosts; local disks and NFSv4 do.
"""

import contextlib
import datetime
import errno
import fcntl
import json
import os
import socket
import sys

LOCK_FILE = ".pel-lock"


class FolderLockedError(RuntimeError):
    """Another process holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder, name=LOCK_FILE, wait=False):
    """Holds the exclusive lock of ``folder`` (made if missing) for the ``with`` block.

    Args:
        folder: the folder one process at a time may write.
        name: the lock file's name inside it; different names lock independently (e.g. one per shard).
        wait: wait for the holder to release it instead of raising (for locks held a short while).

    Raises:
        FolderLockedError: another live process holds it (and ``wait`` is false); the message names it.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderLockedError(
                f"{folder} is in use by {_holder(fd)}. One process at a time may write "
                f"it: wait for that one to finish or stop it (its lock is {path})."
            ) from None
        _write_holder(fd)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_holder(fd):
    """Names this process in the lock file, for the message of the next one refused; a full disk leaves the
    lock taken and the name out."""
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_me()).encode())
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise


def _me():
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(sys.argv) or sys.executable,
        "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _holder(fd):
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode())
        return f"process {holder['pid']} on {holder['host']} ({holder['command']!r}, since {holder['since']})"
    except (ValueError, KeyError, OSError):
        return "another process (its lock file names none yet)"
