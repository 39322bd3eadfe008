"""Worker processes that end with the process that started them.

A parent killed with ``kill -9`` (a scheduler, the OOM killer, a closed terminal) runs no clean-up, so its
pool workers would go on through their queued work, writing files nobody will record while a rerun writes
the same ones. :func:`die_with_parent`, called first in each worker, ties the worker's life to the parent's.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing import connection

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent():
    """Makes this process (a ``multiprocessing`` child) end as soon as its parent ends, however it ends.

    On Linux the kernel kills it (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), at once, even while it is busy in C
    code. Elsewhere :func:`watch_parent` does it from a thread. Linux sends the signal when the parent's
    thread that started this process ends: start workers from the thread that runs them (a ``Pool`` does).
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if not sys.platform.startswith("linux"):
        watch_parent()
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent.pid:  # the parent died before the request: no signal will come
        os._exit(1)


def watch_parent():
    """Ends this process (``os._exit``) when its parent ends, from a daemon thread waiting on the parent's
    sentinel, which ``multiprocessing`` gives every child on every platform."""
    sentinel = multiprocessing.parent_process().sentinel

    def wait_then_exit():
        connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=wait_then_exit, name="watch-parent", daemon=True).start()
