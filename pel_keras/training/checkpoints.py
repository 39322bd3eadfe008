"""Resumable training state: ``tf.train.Checkpoint`` of model, optimizer, step and epoch in ``RUN/checkpoints``.

Every worker of a cluster writes (saving may need all of them), the chief into ``RUN/checkpoints`` and the
others into a scratch folder that is removed at once (the pattern of TensorFlow's multi-worker guide);
every worker restores from the chief's. ``RUN`` must then be on a file system all machines see.

A save that fails (a full disk) or is killed leaves TensorFlow's temporary files behind; they are removed
after the failure and when a run starts, and the checkpoints saved before are kept.
"""

import glob
import os
import shutil

import tensorflow as tf

from pel_keras.files.atomic import remove_path, reporting_full_disk

CHECKPOINTS = "checkpoints"
NAME = "ckpt"  # CheckpointManager's file names: ckpt-<step>.index, ckpt-<step>.data-*


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
        if chief:
            for path in _temporaries(self.directory):
                remove_path(path)
        write_to = self.directory if chief else os.path.join(self.directory, f".scratch_{task}")
        self.manager = tf.train.CheckpointManager(self.checkpoint, write_to, max_to_keep=keep if chief else 1,
                                                  checkpoint_name=NAME)

    def restore(self):
        """Restores the latest checkpoint of the chief, if any; returns its path or None."""
        path = tf.train.latest_checkpoint(self.directory)
        if path:
            self.checkpoint.restore(path).assert_consumed()
        return path

    def save(self):
        """Writes a checkpoint numbered by the current step; returns its path on the chief.

        Raises:
            DiskFullError: the disk is full; the files of this checkpoint are removed, the earlier ones kept.
        """
        number = int(self.step.numpy())
        try:
            with reporting_full_disk(self.manager.directory):
                return self.manager.save(checkpoint_number=number)
        except BaseException:
            if self.chief:
                for path in _temporaries(self.directory) + _unlisted(self.directory, number):
                    remove_path(path)
            raise
        finally:
            if not self.chief:
                shutil.rmtree(self.manager.directory, ignore_errors=True)


def _temporaries(directory):
    """TensorFlow's temporary files of a save: ``ckpt-<n>_temp/`` folders, ``checkpoint.tmp<id>`` states."""
    folder = glob.escape(directory)
    return glob.glob(os.path.join(folder, f"{NAME}-*_temp")) + glob.glob(os.path.join(folder, "checkpoint.tmp*"))


def _unlisted(directory, number):
    """The files of checkpoint ``number`` unless the state file lists it (then it was saved whole)."""
    prefix = os.path.join(directory, f"{NAME}-{number}")
    state = tf.train.get_checkpoint_state(directory)
    listed = state is not None and any(os.path.basename(path) == os.path.basename(prefix)
                                       for path in state.all_model_checkpoint_paths)
    return [] if listed else glob.glob(glob.escape(prefix) + ".*")

