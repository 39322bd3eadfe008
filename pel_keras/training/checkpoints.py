"""Resumable training state: ``tf.train.Checkpoint`` of model, optimizer, step and epoch in ``RUN/checkpoints``.

Every worker of a cluster writes (saving may need all of them), the chief into ``RUN/checkpoints`` and the
others into a scratch folder that is removed at once (the pattern of TensorFlow's multi-worker guide);
every worker restores from the chief's. ``RUN`` must then be on a file system all machines see.
"""

import os
import shutil

import tensorflow as tf

CHECKPOINTS = "checkpoints"


class Checkpointer:
    """Saves and restores ``model``, ``optimizer`` and the counters ``step`` (optimizer steps done) and
    ``epoch`` (epochs completed).

    Args:
        workdir: the run folder.
        chief: whether this process is the one that keeps checkpoints.
        task: this process's name, for the scratch folder of the others.
        model, optimizer: built (the optimizer's variables must exist, see ``optimizer.build``).
        keep: how many checkpoints to keep.
    """

    def __init__(self, workdir, chief, task, model, optimizer, keep):
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=self.step, epoch=self.epoch)
        self.directory = os.path.join(workdir, CHECKPOINTS)
        self.chief = chief
        write_to = self.directory if chief else os.path.join(self.directory, f".scratch_{task}")
        self.manager = tf.train.CheckpointManager(self.checkpoint, write_to, max_to_keep=keep if chief else 1)

    def restore(self):
        """Restores the latest checkpoint of the chief, if any; returns its path or None."""
        path = tf.train.latest_checkpoint(self.directory)
        if path:
            self.checkpoint.restore(path).assert_consumed()
        return path

    def save(self):
        """Writes a checkpoint numbered by the current step; returns its path on the chief."""
        path = self.manager.save(checkpoint_number=int(self.step.numpy()))
        if not self.chief:
            shutil.rmtree(self.manager.directory, ignore_errors=True)
        return path
