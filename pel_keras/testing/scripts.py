"""An entry script (``predict.py``, ``evaluate.py``, ...) run in the test's own process, as ``python script``
would run it, without the seconds a fresh interpreter spends importing TensorFlow and Keras.

The script's file is executed as ``__main__`` (so its ``if __name__ == "__main__"`` block runs: ``cli.run``,
absl's flag parsing, the exit status), with ``sys.argv`` set to the command line. The flags it defines are
removed afterwards and every other flag gets back its value (absl's ``flagsaver``), so the next script can
define flags of the same names. An exception the script does not handle propagates to the test (where a
fresh interpreter would print a traceback and exit with 1).

Keep a subprocess where the fresh process is the point: a killed writer, imports that must not happen, a
lock held by another process, what the real interpreter does at exit.
"""

import contextlib
import io
import os
import runpy
import subprocess
import sys

from absl import app
from absl.testing import flagsaver


def run_script(path, *args, cwd=None):
    """Runs the entry script ``path`` with the command-line arguments ``args`` in this process.

    Args:
        path: the script's file (``ROOT/predict.py``); its base name starts the script's messages.
        *args: the command-line arguments (converted with ``str``).
        cwd: the folder to run in (the current one by default); the current folder is restored after.

    Returns:
        A ``subprocess.CompletedProcess``: ``returncode`` the exit status (``SystemExit``'s code, 0 when the
        script returns), ``stdout`` and ``stderr`` what the script printed to them.
    """
    argv = [str(path), *map(str, args)]
    stdout, stderr = io.StringIO(), io.StringIO()
    app.define_help_flags()  # absl defines them on its first run; defined here they outlive the script's flags
    folder, previous_argv = os.getcwd(), sys.argv
    try:
        with flagsaver.flagsaver(), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            if cwd is not None:
                os.chdir(cwd)
            sys.argv = argv
            status = _exit_status(runpy.run_path, str(path), run_name="__main__")
    finally:
        sys.argv = previous_argv
        os.chdir(folder)
    return subprocess.CompletedProcess(argv, status, stdout.getvalue(), stderr.getvalue())


def _exit_status(function, *args, **kwargs):
    """The status the interpreter would exit with after ``function(*args, **kwargs)``: ``SystemExit``'s
    code (``None`` is 0; a message is printed to stderr and is 1), else 0."""
    try:
        function(*args, **kwargs)
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    return 0
