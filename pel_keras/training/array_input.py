"""Training and validation input as numpy batches, for the backends that do not train under ``tf.distribute``
(JAX, PyTorch): what their device classes' ``distribute_datasets_from_function`` returns."""

import tensorflow as tf


class NumpyBatches:
    """The batches of ``dataset_fn(input_context)`` as tuples of numpy arrays; iterable again and again."""

    def __init__(self, dataset_fn):
        self.dataset = dataset_fn(tf.distribute.InputContext())

    def __iter__(self):
        return self.dataset.as_numpy_iterator()
