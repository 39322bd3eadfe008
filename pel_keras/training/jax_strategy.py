"""The JAX counterpart of a ``tf.distribute`` strategy, as far as the training loop uses one: the replicas,
a scope, the input as numpy batches, and where a batch goes.

The input is numpy batches (:class:`~pel_keras.training.array_input.NumpyBatches`, built by
:mod:`pel_keras.data.array_pipeline`): no TensorFlow.
"""

import contextlib

from pel_keras.training.array_input import NumpyBatches


class JaxDevices:
    """One JAX device (the first: a GPU or TPU where JAX has one, else the CPU), one process."""

    num_replicas_in_sync = 1

    def scope(self):
        """A context for building the model and the optimizer (nothing to enter on one device)."""
        return contextlib.nullcontext()

    def distribute_datasets_from_function(self, dataset_fn):
        """The whole global batch for the one device: ``dataset_fn``'s batches as numpy arrays."""
        return NumpyBatches(dataset_fn)

    def place(self, arrays):
        """The arrays of a batch as the steps take them (as they are: ``jax.jit`` moves them)."""
        return arrays
