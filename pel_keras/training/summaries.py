"""TensorBoard scalars of a run: ``RUN/logs/train`` (per ``--log_every`` steps) and ``RUN/logs/val``.

Written on every backend by TensorBoard's own writer (``tensorboard.summary.Writer``: numpy and protobuf,
no TensorFlow; where TensorFlow is installed it writes through TensorFlow's file system layer). Without the
``tensorboard`` package the run says so once and keeps ``metrics.jsonl`` only.
"""

import os
import sys

from pel_keras.files.atomic import reporting_a_full_disk


def _writer_class():
    """``tensorboard.summary.Writer``, or None where the package is not installed."""
    try:
        from tensorboard.summary import Writer
    except ImportError:
        return None
    return Writer


class Summaries:
    """TensorBoard writers of the chief; every method does nothing elsewhere (``enabled=False``) and where
    the ``tensorboard`` package is missing.

    Raises:
        DiskFullError: the disk is full when the event files are made.
    """

    def __init__(self, logdir, enabled):
        self.logdir, self.writers = logdir, {}
        writer_class = _writer_class() if enabled else None
        if enabled and writer_class is None:
            print(
                f"No TensorBoard logs in {logdir}: the tensorboard package is not installed (pip install "
                "tensorboard); metrics.jsonl records every epoch.",
                file=sys.stderr,
                flush=True,
            )
        if writer_class is not None:
            with reporting_a_full_disk(logdir):
                self.writers = {name: writer_class(os.path.join(logdir, name)) for name in ("train", "val")}

    def scalars(self, split, step, values):
        """Writes ``values`` (name -> number) for ``split`` (``train`` or ``val``) at ``step``.

        Raises:
            DiskFullError: the disk is full (the event file may end in a partial record, which TensorBoard
                skips; a resumed run starts a new event file).
        """
        writer = self.writers.get(split)
        if writer is None:
            return
        with reporting_a_full_disk(os.path.join(self.logdir, split)):
            for name, value in values.items():
                writer.add_scalar(name, float(value), step)
            writer.flush()

    def close(self):
        with reporting_a_full_disk(self.logdir):
            for writer in self.writers.values():
                writer.close()
