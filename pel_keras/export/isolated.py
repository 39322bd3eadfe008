"""Runs a converter in a fresh process, so that the memory it takes goes back to the system when it ends.

TensorFlow's converters keep what they allocate. Converting PEL with two B4 streams grew one process by about
1-2 GB per TFLite file and 7 GB for ONNX (measured at 64 px; more at 320), past 20 GB for a whole export.
"""

import multiprocessing
from concurrent import futures


def in_fresh_process(function, *args):
    """``function(*args)`` in a newly spawned Python process; returns its result, raises its exception.

    ``function`` must be importable (defined at module level) and its arguments picklable.
    """
    with futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()
