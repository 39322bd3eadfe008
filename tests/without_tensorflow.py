"""Runs Python as on a host where TensorFlow is not installed, though it is installed here.

    python tests/without_tensorflow.py SCRIPT [ARGS...]     # as `python SCRIPT ARGS...`
    python tests/without_tensorflow.py -c CODE [ARGS...]    # as `python -c CODE ARGS...`

Every module finder is told that there is no ``tensorflow`` (nor any of its submodules): ``import tensorflow``
raises ModuleNotFoundError and ``importlib.util.find_spec("tensorflow")`` is None, as on such a host. Both
matter: Keras and PyTorch look for TensorFlow with ``find_spec`` or ``"tensorflow" in sys.modules`` before
they use it, so a finder that raised, or a ``None`` placed in ``sys.modules``, would fail where a host
without TensorFlow works. Choose the Keras backend with ``KERAS_BACKEND`` as usual. :func:`hide` does the same
for other packages inside a process.
"""

import os
import runpy
import sys


class _FindsNone:
    """A module finder that answers as ``finder`` does, except that it finds none of the packages ``names``."""

    def __init__(self, finder, names):
        self.finder, self.names = finder, names

    def __getattr__(self, name):  # invalidate_caches and the finder's other methods
        return getattr(self.finder, name)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            return None
        return self.finder.find_spec(name, path, target)


def hide(*names):
    """Makes the packages ``names`` look not installed to every later import and ``find_spec`` in this process."""
    sys.meta_path[:] = [_FindsNone(finder, set(names)) for finder in sys.meta_path]


def main():
    hide("tensorflow")
    if sys.argv[1] == "-c":
        code, sys.argv = sys.argv[2], ["-c", *sys.argv[3:]]
        sys.path[0] = ""  # the current folder, as `python -c` has it
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = sys.argv[1:]
        sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))  # the script's folder, as `python SCRIPT`
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
