"""The JAX counterpart of a ``tf.distribute`` strategy, as far as the training loop uses one: data parallel
over every JAX device of every process, with Keras' ``keras.distribution.DataParallel``.

- The variables are replicated on every device (built under :meth:`JaxDevices.scope`) and each global
  batch is split over the device mesh's ``batch`` axis. One jitted program computes over the whole global
  batch, so the gradients and the batch-norm statistics are those of one device holding the whole batch
  (on JAX there is no per-replica batch-norm, whatever ``--sync_batchnorm`` says).
- Several processes (hosts): start the same command in each, with ``KERAS_DISTRIBUTION_JOB_ADDRESSES``
  (``host:port`` of process 0, the coordinator), ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
  ``KERAS_DISTRIBUTION_PROCESS_ID`` (0 to N-1) set: ``keras.distribution.initialize`` joins them. Each
  process reads its share of the input (every N-th example, ``global batch / N`` per batch) and process 0
  writes the run's files.

The input is numpy batches (:class:`~pel_keras.training.array_input.NumpyBatches`, built by
:mod:`pel_keras.data.array_pipeline`): no TensorFlow.
"""

import itertools
import os

import jax
import keras
import numpy as np
from jax.experimental import multihost_utils

from pel_keras.training.array_input import NumpyBatches

CLUSTER_VARIABLES = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)


class JaxDevices:
    """Every JAX device of every process (see the module docstring); joins the processes of a cluster
    first when ``KERAS_DISTRIBUTION_*`` says there is one (create it before JAX computes anything)."""

    def __init__(self):
        if any(os.environ.get(name) for name in CLUSTER_VARIABLES) and not jax.distributed.is_initialized():
            keras.distribution.initialize()
        self.distribution = keras.distribution.DataParallel(auto_shard_dataset=False)  # each process reads its share
        self.num_replicas_in_sync = jax.device_count()
        self.process_index, self.process_count = jax.process_index(), jax.process_count()
        self.replicated = keras.distribution.TensorLayout([], self.distribution.device_mesh).backend_layout

    def scope(self):
        """The context for building the model and the optimizer: their variables are replicated."""
        return self.distribution.scope()

    def distribute_datasets_from_function(self, dataset_fn):
        """This process's share of ``dataset_fn``'s batches, as numpy arrays; with several processes, in step
        with theirs (see :class:`InStep`)."""
        batches = NumpyBatches(dataset_fn, self.process_count, self.process_index)
        return batches if self.process_count == 1 else InStep(batches)

    def place(self, arrays):
        """This process's share of a batch as global arrays split over the devices (the ``batch`` axis).

        Every process must hand over as many rows, a multiple of its local devices (training batches
        are, by :func:`~pel_keras.training.strategy.check_batch_size`); see :meth:`place_padded` otherwise.
        """
        return tuple(
            jax.make_array_from_process_local_data(self.distribution.get_data_layout(a.shape).backend_layout, a)
            for a in arrays
        )

    def place_padded(self, arrays):
        """Like :meth:`place` for batches of any size (the last of a split, or a process's shorter share):
        each process's rows padded with zeros to a number every device and process can take.

        Returns:
            The placed arrays and, last, a placed boolean array that is true on the rows not padded.
        """
        rows = len(arrays[0])
        most = rows if self.process_count == 1 else int(max(multihost_utils.process_allgather(np.asarray(rows))))
        local_devices = jax.local_device_count()
        padded_rows = -(-most // local_devices) * local_devices
        kept = np.arange(padded_rows) < rows
        return self.place([*(_pad(array, padded_rows) for array in arrays), kept])


class InStep:
    """One process's batches in step with the other processes': every process yields as many batches, one
    whose share has ended yielding batches of no rows until every share has ended (each step is one
    program on the devices of all processes, which all must run it)."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        last = None
        for batch in itertools.chain(self.batches, itertools.repeat(None)):
            if not any(multihost_utils.process_allgather(np.asarray(batch is not None))):
                return
            if batch is None and last is None:
                raise ValueError(f"process {jax.process_index()} has no input: its share of the split is empty")
            last = batch if batch is not None else tuple(array[:0] for array in last)
            yield last


def _pad(array, rows):
    """``array`` with zero rows appended up to ``rows``."""
    return np.concatenate([array, np.zeros((rows - len(array), *array.shape[1:]), array.dtype)])
