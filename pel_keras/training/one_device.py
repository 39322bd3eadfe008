"""One device, one process, for the backends that train outside ``tf.distribute`` on one device: the part of
a strategy the training loop uses (the replicas, a scope, the input as numpy batches, where a batch goes).

On PyTorch the device is the one Keras' torch backend puts every tensor on (``KERAS_TORCH_DEVICE`` if set,
else a GPU where torch sees one, else the CPU): Keras converts the numpy batches there itself, so a batch
is handed over as it is.
"""

import contextlib

from pel_keras.training.array_input import NumpyBatches


class OneDevice:
    """The Keras backend's one device in one process (see the module docstring)."""

    num_replicas_in_sync = 1

    def scope(self):
        """A context for building the model and the optimizer (nothing to enter on one device)."""
        return contextlib.nullcontext()

    def distribute_datasets_from_function(self, dataset_fn):
        """The whole global batch for the one device: ``dataset_fn``'s batches as numpy arrays."""
        return NumpyBatches(dataset_fn)

    def place(self, arrays):
        """The arrays of a batch as the steps take them (as they are: Keras moves them to the device)."""
        return arrays
