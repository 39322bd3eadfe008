"""Runs a script as on a host without TensorFlow, where every import of it fails:

    python tests/without_tensorflow.py train.py --flag=value ...

:func:`block` does the same for other packages inside a process.
"""

import runpy
import sys


class _Blocked:
    """An import finder that fails every import of the named top-level packages, as if they were missing."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"{name.split('.')[0]} is not installed here")


def block(*names):
    """Makes every later import of the packages ``names`` fail with ImportError in this process."""
    sys.meta_path.insert(0, _Blocked(names))


if __name__ == "__main__":
    block("tensorflow")
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
