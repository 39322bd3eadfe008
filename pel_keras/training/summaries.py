"""TensorBoard scalars of a run: ``RUN/logs/train`` (per ``--log_every`` steps) and ``RUN/logs/val``."""

import os

import tensorflow as tf

from pel_keras.files.atomic import reporting_a_full_disk


class Summaries:
    """TensorBoard writers of the chief; every method does nothing elsewhere (``enabled=False``)."""

    def __init__(self, logdir, enabled):
        self.logdir, self.writers = logdir, {}
        if enabled:
            self.writers = {
                name: tf.summary.create_file_writer(os.path.join(logdir, name)) for name in ("train", "val")
            }

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
            with writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)
            writer.flush()

    def close(self):
        with reporting_a_full_disk(self.logdir):
            for writer in self.writers.values():
                writer.close()
