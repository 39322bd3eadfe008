"""Runs Python as on a host where TensorFlow is not installed, though it is installed here.

    python tests/without_tensorflow.py SCRIPT [ARGS...]     # as `python SCRIPT ARGS...`
    python tests/without_tensorflow.py -c CODE [ARGS...]    # as `python -c CODE ARGS...`

Every module finder is told that there is no ``tensorflow`` (nor any of its submodules): ``import tensorflow``
raises ModuleNotFoundError and ``importlib.util.find_spec("tensorflow")`` is None, as on such a host. Both
matter: Keras and PyTorch look for TensorFlow with ``find_spec`` or ``"tensorflow" in sys.modules`` before
they use it, so a finder that raised, or a ``None`` placed in ``sys.modules``, would fail where a host
without TensorFlow works. Choose the Keras backend with ``KERAS_BACKEND`` as usual.
"""

import os
import runpy
import sys


class _FindsNoTensorFlow:
    """A module finder that answers as ``finder`` does, except that it finds no ``tensorflow``."""

    def __init__(self, finder):
        self.finder = finder

    def __getattr__(self, name):  # invalidate_caches and the finder's other methods
        return getattr(self.finder, name)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "tensorflow":
            return None
        return self.finder.find_spec(name, path, target)


def main():
    sys.meta_path[:] = [_FindsNoTensorFlow(finder) for finder in sys.meta_path]
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
