"""Resumable training state in Keras' own files, readable on every backend: ``RUN/checkpoints/ckpt-<step>/``
holding ``model.weights.h5`` (``model.save_weights``), ``optimizer.npz`` (the optimizer's variables in
their order) and ``position.json`` (step, epoch and the Keras backend that wrote them).

A run resumes on the backend that started it (JAX or PyTorch): the files would load on the other, but its
numbers differ in the last bits, so the run would not go on as it began; a checkpoint of another backend
is refused by name.

Each checkpoint folder is written under a temporary name and renamed into place whole
(:func:`~pel_keras.files.atomic.atomic_output`), so a kill or a full disk leaves the earlier checkpoints
and at most a temporary folder, which the next run removes; the latest checkpoint is the highest-numbered
folder. One process (the chief) writes.
"""

import glob
import json
import os
import re
import zipfile

import keras
import numpy as np

from pel_keras.files.atomic import TEMPORARY_SUFFIX, atomic_output, remove_path
from pel_keras.run_folder import CHECKPOINTS
from pel_keras.training.workdir import damaged

MODEL, OPTIMIZER, POSITION = "model.weights.h5", "optimizer.npz", "position.json"
TF_STATE = "checkpoint"  # the state file of TensorFlow's checkpoints (pel_keras.training.checkpoints)
_FOLDER = re.compile(r"^ckpt-(\d+)$")


def checkpoint_folders(directory):
    """The checkpoint folders in ``directory``, oldest (lowest step) first."""
    if not os.path.isdir(directory):
        return []
    numbered = [(int(m.group(1)), name) for name in os.listdir(directory) if (m := _FOLDER.match(name))]
    return [os.path.join(directory, name) for _, name in sorted(numbered)]


class KerasCheckpointer:
    """Saves and restores ``model``, ``optimizer``, the step (optimizer steps done) and the epoch (epochs
    completed), on any Keras backend.

    Args:
        workdir: the run folder.
        chief: whether this process keeps checkpoints (the others neither write nor remove).
        task: unused (one process writes); for the signature of the TensorFlow checkpointer.
        model, optimizer: built (the optimizer's variables must exist, see ``optimizer.build``).
        keep: how many checkpoints to keep.
    """

    def __init__(self, workdir, chief, task, model, optimizer, keep):
        self.directory = os.path.join(workdir, CHECKPOINTS)
        self.chief, self.model, self.optimizer, self.keep = chief, model, optimizer, keep
        self.step = self.epoch = 0
        if chief:
            for path in glob.glob(os.path.join(glob.escape(self.directory), f".*{TEMPORARY_SUFFIX}*")):
                remove_path(path)

    def position(self):
        """``(step, epoch)``: where the run stands (0, 0 before a restore)."""
        return self.step, self.epoch

    def latest(self):
        """The path of the latest checkpoint, or None."""
        folders = checkpoint_folders(self.directory)
        return folders[-1] if folders else None

    def restore(self):
        """Restores the latest checkpoint, if any; returns its path or None.

        Raises:
            ValueError: the folder holds TensorFlow's checkpoints (a run of the TensorFlow backend), the
                latest checkpoint was written on another backend, or it is damaged; the message names the
                file and why.
        """
        if os.path.exists(os.path.join(self.directory, TF_STATE)):
            raise ValueError(
                f"--workdir: {self.directory} holds TensorFlow checkpoints (a run trained with "
                f"KERAS_BACKEND=tensorflow), which the {keras.backend.backend()} backend cannot resume: "
                "resume it with KERAS_BACKEND=tensorflow, or train in a new --workdir."
            )
        path = self.latest()
        if path is None:
            return None
        step, epoch, written_by = read_position(path)
        if written_by != keras.backend.backend():
            raise ValueError(
                f"--workdir: {path} was written with KERAS_BACKEND={written_by}; this run "
                f"({keras.backend.backend()}) does not resume it, since the numbers of two backends differ in "
                f"the last bits: resume it with KERAS_BACKEND={written_by}, or train in a new --workdir."
            )
        weights = os.path.join(path, MODEL)
        try:
            self.model.load_weights(weights)
        except (OSError, ValueError, KeyError) as error:
            raise damaged(weights, str(error).strip().splitlines()[0]) from error
        self._load_optimizer(os.path.join(path, OPTIMIZER))
        self.step, self.epoch = step, epoch
        return path

    def _load_optimizer(self, path):
        variables = self.optimizer.variables
        try:
            with np.load(path) as saved:
                values = [saved[str(i)] for i in range(len(saved.files))]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise damaged(path, f"cannot be read ({error})") from error
        shapes = [tuple(v.shape) for v in variables]
        if [value.shape for value in values] != shapes:
            raise damaged(
                path, f"holds {len(values)} optimizer variables that do not fit this optimizer's {len(shapes)}"
            )
        for variable, value in zip(variables, values):
            variable.assign(value)

    def save_at(self, step, epoch):
        """Writes the checkpoint of ``step`` and ``epoch`` and drops those beyond ``keep``; returns its path
        (None on a process that is not the chief).

        Raises:
            DiskFullError: the disk is full; this checkpoint is not written, the earlier ones are kept.
        """
        self.step, self.epoch = step, epoch
        if not self.chief:
            return None
        path = os.path.join(self.directory, f"ckpt-{step}")
        with atomic_output(path) as temporary:
            os.makedirs(temporary)
            self.model.save_weights(os.path.join(temporary, MODEL))
            values = {str(i): keras.ops.convert_to_numpy(v) for i, v in enumerate(self.optimizer.variables)}
            np.savez(os.path.join(temporary, OPTIMIZER), **values)
            with open(os.path.join(temporary, POSITION), "w") as f:
                json.dump({"step": step, "epoch": epoch, "backend": keras.backend.backend()}, f)
        for old in checkpoint_folders(self.directory)[: -self.keep]:
            remove_path(old)
        return path


def read_position(folder):
    """``(step, epoch, backend)`` of the checkpoint ``folder`` (its ``position.json``).

    Raises:
        ValueError: ``position.json`` is missing or damaged (named, with why).
    """
    path = os.path.join(folder, POSITION)
    try:
        with open(path) as f:
            saved = json.load(f)
        backend = str(saved.get("backend", "jax"))  # JAX alone wrote these before they named their backend
        return int(saved["step"]), int(saved["epoch"]), backend
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:  # AttributeError: not an object
        raise damaged(path, f"not a checkpoint's position ({error})") from error
