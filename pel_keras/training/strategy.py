"""One code path from one device to several machines: which ``tf.distribute`` strategy, and who writes.

- ``TF_CONFIG`` naming more than one task: ``MultiWorkerMirroredStrategy`` (every local GPU of every
  machine is a replica). It must be created before TensorFlow runs anything, so call
  :func:`select_strategy` first.
- Otherwise several local GPUs: ``MirroredStrategy`` over all of them.
- Otherwise the default strategy (one device: the GPU if there is one, else the CPU).

On the JAX backend, data parallel over every JAX device (:class:`~pel_keras.training.jax_strategy.JaxDevices`),
of every process when ``KERAS_DISTRIBUTION_*`` names several; process 0 writes. On PyTorch, the device Keras'
torch backend computes on (:class:`~pel_keras.training.one_device.OneDevice`).
"""

import json
import os

import keras


def cluster_size():
    """How many tasks (machines or processes) ``TF_CONFIG`` names; 1 when it is unset."""
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    return sum(len(tasks) for role, tasks in cluster.items() if role in ("chief", "worker")) or 1


def select_strategy():
    """The strategy for this process, from ``TF_CONFIG`` and the local GPUs (see the module docstring)."""
    if keras.backend.backend() == "jax":
        from pel_keras.training.jax_strategy import JaxDevices

        return JaxDevices()
    if keras.backend.backend() == "torch":
        from pel_keras.training.one_device import OneDevice

        return OneDevice()
    import tensorflow as tf  # here: the other backends train without it

    if cluster_size() > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def worker_count(strategy):
    """How many processes train together: JAX's processes, else the tasks ``TF_CONFIG`` names."""
    return getattr(strategy, "process_count", None) or cluster_size()


def is_chief(strategy):
    """Whether this process writes the run's files: the ``chief`` task, else worker 0, else the only one
    (on JAX process 0)."""
    if hasattr(strategy, "process_index"):
        return strategy.process_index == 0
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs


def task_name(strategy):
    """``worker_<id>`` (or ``chief``; on JAX ``process_<id>``) of this process in a cluster, ``local`` outside one."""
    if getattr(strategy, "process_count", 1) > 1:
        return f"process_{strategy.process_index}"
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return "local"
    return f"{resolver.task_type}_{resolver.task_id}"


def strategy_name(strategy):
    """``MultiWorkerMirroredStrategy``, ``MirroredStrategy``, ``OneDevice`` (the default strategy, and PyTorch's
    one device) or, on JAX, ``JaxDevices``."""
    if keras.backend.backend() != "tensorflow":
        return type(strategy).__name__
    import tensorflow as tf

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return "MultiWorkerMirroredStrategy"  # its class is CollectiveAllReduceStrategy
    return "OneDevice" if strategy is tf.distribute.get_strategy() else type(strategy).__name__


def check_batch_size(strategy, batch_size):
    """Raises a ValueError naming ``--batch_size`` unless it splits evenly over the replicas."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ValueError(
            f"--batch_size: the global batch must split evenly over the {replicas} replicas, got {batch_size}."
        )
