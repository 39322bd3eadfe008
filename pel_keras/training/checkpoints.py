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

from pel_keras.files.atomic import remove_path, reporting_a_full_disk
from pel_keras.run_folder import CHECKPOINTS
from pel_keras.training.keras_checkpoints import checkpoint_folders, read_position
from pel_keras.training.workdir import damaged

NAME = "ckpt"  # CheckpointManager's file names: ckpt-<step>.index, ckpt-<step>.data-*
STATE = "checkpoint"  # the manager's state file: the latest checkpoint and those kept


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
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, write_to, max_to_keep=keep if chief else 1, checkpoint_name=NAME
        )

    def restore(self):
        """Restores the latest checkpoint of the chief, if any; returns its path or None.

        Raises:
            ValueError: the state file (``RUN/checkpoints/checkpoint``) cannot be read, or the checkpoint it
                names is missing or damaged; the message names the file and why (the run does not start
                over silently). Or the folder holds the Keras weight checkpoints of a JAX or PyTorch run
                (:mod:`.keras_checkpoints`), whose backend the message names.
        """
        state_file = os.path.join(self.directory, STATE)
        if not os.path.exists(state_file):
            folders = checkpoint_folders(self.directory)
            if folders:
                backend = read_position(folders[-1])[2]
                raise ValueError(
                    f"--workdir: {self.directory} holds Keras weight checkpoints (a run trained with "
                    f"KERAS_BACKEND={backend}), which TensorFlow does not resume: resume it with "
                    f"KERAS_BACKEND={backend}, or train in a new --workdir."
                )
            return None
        state = tf.train.get_checkpoint_state(self.directory)
        if state is None:
            raise _damaged(state_file, "TensorFlow cannot read it as a checkpoint state")
        path = state.model_checkpoint_path
        if not os.path.exists(f"{path}.index"):
            raise _damaged(path, f"{path}.index, named in {state_file}, is missing")
        try:
            self.checkpoint.restore(path).assert_consumed()
        except tf.errors.OpError as error:
            raise _damaged(path, error.message.strip().splitlines()[0]) from error
        except IndexError as error:  # TensorFlow's "Read less bytes than requested"
            raise _damaged(path, "a data file is shorter than its index says (cut short)") from error
        return path

    def position(self):
        """``(step, epoch)``: where the run stands (0, 0 before a restore)."""
        return int(self.step.numpy()), int(self.epoch.numpy())

    def latest(self):
        """The path of the latest checkpoint, or None."""
        return self.manager.latest_checkpoint

    def save_at(self, step, epoch):
        """Sets the counters to ``step`` and ``epoch`` and saves (see :meth:`save`)."""
        self.step.assign(step)
        self.epoch.assign(epoch)
        return self.save()

    def save(self):
        """Writes a checkpoint numbered by the current step; returns its path on the chief.

        Raises:
            DiskFullError: the disk is full; the files of this checkpoint are removed, the earlier ones kept.
        """
        number = int(self.step.numpy())
        try:
            with reporting_a_full_disk(self.manager.directory):
                return self.manager.save(checkpoint_number=number)
        except BaseException:
            if self.chief:
                for path in _temporaries(self.directory) + _unlisted(self.directory, number):
                    remove_path(path)
            raise
        finally:
            if not self.chief:
                shutil.rmtree(self.manager.directory, ignore_errors=True)


def _damaged(path, reason):
    """:func:`~pel_keras.training.workdir.damaged`, naming the checkpoint's files that exist."""
    files = ", ".join(sorted(os.path.basename(name) for name in glob.glob(glob.escape(path) + ".*")))
    return damaged(f"{path} ({files})" if files else path, reason)


def _temporaries(directory):
    """TensorFlow's temporary files of a save: ``ckpt-<n>_temp/`` folders, ``checkpoint.tmp<id>`` states."""
    folder = glob.escape(directory)
    return glob.glob(os.path.join(folder, f"{NAME}-*_temp")) + glob.glob(os.path.join(folder, f"{STATE}.tmp*"))


def _unlisted(directory, number):
    """The files of checkpoint ``number`` unless the state file lists it (then it was saved whole)."""
    prefix = os.path.join(directory, f"{NAME}-{number}")
    state = tf.train.get_checkpoint_state(directory)
    listed = state is not None and any(
        os.path.basename(path) == os.path.basename(prefix) for path in state.all_model_checkpoint_paths
    )
    return [] if listed else glob.glob(glob.escape(prefix) + ".*")
