"""What the two input pipelines share around them (no TensorFlow here): the rows a worker reads, a dataset
function per input pipeline from a global batch, an input context without ``tf.distribute``, and which
pipeline a Keras backend reads through.

- ``tensorflow``: :func:`pel_keras.data.pipeline.build_dataset` (``tf.data``: PNG crops or TFRecord shards).
- any other backend (JAX, PyTorch): :func:`pel_keras.data.array_pipeline.build_batches` (numpy batches from the
  PNG crops), which needs no TensorFlow.
"""

import dataclasses

from pel_keras.data.manifest import read_split


def pipeline_rows(manifests, split, training, num_shards, shard_index, sbi, records=None):
    """The rows of ``split`` one input pipeline reads, after the checks both pipelines make first.

    Args:
        manifests, split, training, num_shards, shard_index, sbi, records: as
            :func:`pel_keras.data.pipeline.build_dataset` takes them. With ``records`` every worker gets the
            whole split (record shards are shared out by file); otherwise every ``num_shards``-th row from
            ``shard_index`` on.

    Raises:
        ValueError: the shard is out of range, ``sbi`` is set without ``training`` or with ``records``, or
            the split is empty in these manifests (or in this shard).
    """
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"need 0 <= shard_index < num_shards, got {shard_index} and {num_shards}")
    if sbi is not None and not training:
        raise ValueError("sbi makes pseudo-fakes for training batches only; pass training=True or sbi=None")
    if sbi is not None and records is not None:
        raise ValueError("sbi pairs crops by their PNG files; read the PNG preparation (records=None)")
    rows = read_split(manifests, split)
    rows = rows if records is not None else rows[shard_index::num_shards]
    if not rows:
        raise ValueError(f"no {split!r} rows in {manifests} (shard {shard_index} of {num_shards})")
    return rows


@dataclasses.dataclass(frozen=True)
class InputContext:
    """Which input pipeline a dataset function builds, as ``tf.distribute.InputContext`` says it, without
    TensorFlow: every input pipeline (one per process) feeds all the devices of its process.

    Attributes:
        num_input_pipelines: how many input pipelines (processes) read the data.
        input_pipeline_id: this one's, in ``[0, num_input_pipelines)``.
    """

    num_input_pipelines: int = 1
    input_pipeline_id: int = 0

    def __post_init__(self):
        if not 0 <= self.input_pipeline_id < self.num_input_pipelines:
            raise ValueError(
                f"need 0 <= input_pipeline_id < num_input_pipelines, got {self.input_pipeline_id} "
                f"and {self.num_input_pipelines}"
            )

    @property
    def num_replicas_in_sync(self):
        """Each input pipeline is one replica of the input: its batch is split over its devices by the caller."""
        return self.num_input_pipelines

    def get_per_replica_batch_size(self, global_batch_size):
        """The batch one input pipeline reads: ``global_batch_size / num_input_pipelines``.

        Raises:
            ValueError: the global batch does not split evenly.
        """
        if global_batch_size % self.num_input_pipelines:
            raise ValueError(
                f"the global batch size {global_batch_size} does not split evenly over "
                f"{self.num_input_pipelines} input pipelines"
            )
        return global_batch_size // self.num_input_pipelines


def per_input_pipeline(build, manifests, split, global_batch_size, **kwargs):
    """A dataset function (for ``strategy.distribute_datasets_from_function``) whose every input pipeline reads
    its own shard and batches ``input_context.get_per_replica_batch_size(global_batch_size)`` examples.

    Args:
        build: :func:`~pel_keras.data.pipeline.build_dataset` or
            :func:`~pel_keras.data.array_pipeline.build_batches` (see :func:`backend_pipeline`).
        kwargs: the rest of ``build``'s arguments (not ``batch_size``, ``num_shards``, ``shard_index``).
    """

    def dataset_fn(input_context):
        return build(
            manifests,
            split,
            batch_size=input_context.get_per_replica_batch_size(global_batch_size),
            num_shards=input_context.num_input_pipelines,
            shard_index=input_context.input_pipeline_id,
            **kwargs,
        )

    return dataset_fn


def reads_through_tf_data():
    """Whether the Keras backend reads its input through ``tf.data`` (TensorFlow) or numpy batches (the others)."""
    import keras  # here: the numpy pipeline, which imports this module, needs no Keras

    return keras.backend.backend() == "tensorflow"


def backend_pipeline():
    """``build_dataset`` on TensorFlow, ``build_batches`` on every other backend (imported only then, so that
    the other backends never import TensorFlow)."""
    if reads_through_tf_data():
        from pel_keras.data.pipeline import build_dataset

        return build_dataset
    from pel_keras.data.array_pipeline import build_batches

    return build_batches
