"""TensorBoard scalars of a run: ``RUN/logs/train`` (per ``--log_every`` steps) and ``RUN/logs/val``."""

import os

import tensorflow as tf


class Summaries:
    """TensorBoard writers of the chief; every method does nothing elsewhere (``enabled=False``)."""

    def __init__(self, logdir, enabled):
        self.writers = {}
        if enabled:
            self.writers = {name: tf.summary.create_file_writer(os.path.join(logdir, name)) for name in ("train", "val")}

    def scalars(self, split, step, values):
        """Writes ``values`` (name -> number) for ``split`` (``train`` or ``val``) at ``step``."""
        writer = self.writers.get(split)
        if writer is None:
            return
        with writer.as_default(step=step):
            for name, value in values.items():
                tf.summary.scalar(name, value)
        writer.flush()

    def close(self):
        for writer in self.writers.values():
            writer.close()
