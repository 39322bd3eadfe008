"""Training and validation input as numpy batches, for the backends that do not train under ``tf.distribute``
(JAX, PyTorch): what their device classes' ``distribute_datasets_from_function`` returns. No TensorFlow here:
on those backends the run's dataset functions build :mod:`pel_keras.data.array_pipeline` batches."""

from pel_keras.data.input_pipelines import InputContext


class NumpyBatches:
    """The batches of ``dataset_fn(input_context)`` as tuples of numpy arrays; iterable again and again.

    Args:
        dataset_fn: takes an :class:`~pel_keras.data.input_pipelines.InputContext` and returns this input
            pipeline's batches: an :class:`~pel_keras.data.array_pipeline.ArrayBatches` (what the run's
            dataset functions build off TensorFlow), any other iterable of numpy tuples that can be iterated
            again, or a ``tf.data.Dataset`` (read as numpy; TensorFlow must then be installed).
        num_input_pipelines: the processes reading the data (one per host); each reads its share of the
            global batch, which its devices split.
        input_pipeline_id: this process's, in ``[0, num_input_pipelines)``.
    """

    def __init__(self, dataset_fn, num_input_pipelines=1, input_pipeline_id=0):
        self.dataset = dataset_fn(InputContext(num_input_pipelines, input_pipeline_id))

    def __iter__(self):
        as_numpy = getattr(self.dataset, "as_numpy_iterator", None)  # a tf.data.Dataset
        return as_numpy() if as_numpy else iter(self.dataset)
