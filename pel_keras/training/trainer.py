"""A whole training run: ``train(config)`` from prepared data to ``RUN/best.keras``, resuming when it can."""

import os

import keras

from pel_keras.run_folder import RUN_MANIFEST
from pel_keras.training import workdir as files
from pel_keras.training.backend_parts import backend, checkpointer_class
from pel_keras.training.loop import Trainer
from pel_keras.training.model import build_training_model, precision_policy
from pel_keras.training.optimizer import make_optimizer
from pel_keras.training.strategy import (
    check_batch_size,
    is_chief,
    select_strategy,
    strategy_name,
    task_name,
    worker_count,
)
from pel_keras.training.train_val_datasets import (
    check_run_crops,
    dataset_manifest,
    epoch_images,
    train_dataset_fn,
    val_dataset_fn,
    write_run_manifest,
)


def train(config, strategy=None):
    """Trains PEL as ``config`` says, in ``config.workdir``; started again, resumes from its last checkpoint.

    Args:
        config: a :class:`~pel_keras.training.train_config.TrainConfig`.
        strategy: a ``tf.distribute`` strategy; default :func:`~pel_keras.training.strategy.select_strategy`
            (``MultiWorkerMirroredStrategy`` under ``TF_CONFIG``, ``MirroredStrategy`` over several local
            GPUs, else one device; on JAX every JAX device; on PyTorch the device Keras' torch backend uses).

    Returns:
        The run's per-epoch records (the lines of ``RUN/metrics.jsonl``).

    Raises:
        FolderLockedError: another process is training in ``--workdir`` (named in the message).
        ValueError: a flag does not fit the data, the devices or the run already in ``--workdir``; or
            crops of the data are missing or not whole (an UnreadableCropsError naming them).
        FileNotFoundError: ``--data_dir`` or the dataset's manifest is missing.
        FloatingPointError: the loss became NaN (the last good checkpoint is kept).
        RuntimeError: the Keras backend is one training does not run on.
    """
    backend()
    strategy = strategy or select_strategy()
    check_batch_size(strategy, config.batch_size)
    dataset_manifest(config)  # a missing dataset is named before the run folder is made
    with files.lock(config.workdir, is_chief(strategy), task_name(strategy)):
        files.check_resumable(config)
        manifest = os.path.join(config.workdir, RUN_MANIFEST)
        rows = write_run_manifest(config, manifest)
        check_run_crops(config, rows, files.crop_cache(config.workdir, is_chief(strategy), task_name(strategy)))
        steps_per_epoch = config.steps_per_epoch or max(1, epoch_images(config, rows["train"]) // config.batch_size)
        data_info = {
            "train_frames": len(rows["train"]),
            "val_frames": len(rows["val"]),
            "val_videos": len({row["video"] for row in rows["val"]}),
        }
        return _fit(
            config,
            strategy,
            lambda seed: train_dataset_fn(config, manifest, seed),
            val_dataset_fn(config, manifest, [row["path"] for row in rows["val"]]),
            [row["video"] for row in rows["val"]],
            steps_per_epoch,
            data_info,
        )


def best_summary(config, records):
    """The line that names the epoch and validation score of ``best.keras`` in ``records`` (:func:`train`'s)."""
    best = [record for record in records if record.get("best")]
    if not best:
        return f"no epoch finished, so no best.keras yet ({config.workdir})"
    metric = config.selection_metric
    return f"best.keras: epoch {best[-1]['epoch']}, val {metric} {best[-1]['val_' + metric]:.4f} ({config.workdir})"


def fit(config, strategy, train_data, val_dataset_fn, val_videos, steps_per_epoch, data_info=None):
    """Builds model and optimizer under ``strategy``, restores the latest checkpoint, and trains.

    The data-independent half of :func:`train`, for any data: ``train_data(seed)`` returns a dataset
    function of endless ``(images, labels)`` batches, ``val_dataset_fn`` one of ``(images, labels, index)``
    with ``val_videos[index]`` the video of each example (both per replica, for
    ``strategy.distribute_datasets_from_function``). Holds ``config.workdir`` as :func:`train` does.
    """
    with files.lock(config.workdir, is_chief(strategy), task_name(strategy)):
        return _fit(config, strategy, train_data, val_dataset_fn, val_videos, steps_per_epoch, data_info)


def _fit(config, strategy, train_data, val_dataset_fn, val_videos, steps_per_epoch, data_info):
    policy = precision_policy(config.mixed_precision)
    previous_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(config.seed)
        model, optimizer = build_model_and_optimizer(config, strategy, config.epochs * steps_per_epoch)
        with strategy.scope():
            checkpointer = checkpointer_class()(
                config.workdir, is_chief(strategy), task_name(strategy), model, optimizer, config.keep_checkpoints
            )
        resumed_from = checkpointer.restore()
        if is_chief(strategy) and resumed_from:
            step, epoch = checkpointer.position()
            print(f"Resuming from {resumed_from}: step {step}, {epoch} epochs done.", flush=True)
        if is_chief(strategy):
            environment = _environment(strategy, policy, steps_per_epoch, resumed_from, data_info or {})
            files.write_settings(config, environment)
        trainer = Trainer(config, strategy, model, optimizer, checkpointer, steps_per_epoch, is_chief(strategy))
        val_dataset = strategy.distribute_datasets_from_function(val_dataset_fn)
        return trainer.run(train_data, val_dataset, val_videos)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def build_model_and_optimizer(config, strategy, total_steps=None):
    """PEL and its built Adam under ``strategy.scope()``, in the global precision policy (set it first: see
    :func:`~pel_keras.training.model.precision_policy`); loss scaling comes with ``mixed_float16``.
    ``total_steps``: the run's length, which ``--lr_schedule=cosine`` needs."""
    with strategy.scope():
        model = build_training_model(config, strategy.num_replicas_in_sync)
        loss_scaling = keras.mixed_precision.global_policy().name == "mixed_float16"
        optimizer = make_optimizer(config.learning_rate, loss_scaling, config.lr_schedule, total_steps)
        optimizer.build(model.trainable_variables)
    return model, optimizer


def _environment(strategy, policy, steps_per_epoch, resumed_from, data_info):
    """What ``environment.json`` records about the machines and the data of the latest start."""
    return {
        "strategy": strategy_name(strategy),
        "replicas": strategy.num_replicas_in_sync,
        "workers": worker_count(strategy),
        "precision_policy": policy,
        "steps_per_epoch": steps_per_epoch,
        "resumed_from": resumed_from,
        "keras": keras.__version__,
        **_backend_environment(),
        **data_info,
    }


def _backend_environment():
    """The Keras backend, the devices it computes on, and its version (imported only for the backend in use)."""
    name = keras.backend.backend()
    if name == "jax":
        import jax

        return {"backend": "jax", "devices": [str(d) for d in jax.devices()], "jax": jax.__version__}
    if name == "torch":
        import torch

        device = keras.ops.zeros(()).device  # where Keras' torch backend puts every tensor
        gpu = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
        return {"backend": "torch", "devices": [f"{device}{gpu}"], "torch": torch.__version__}
    import tensorflow as tf

    return {
        "backend": "tensorflow",
        "devices": [d.name for d in tf.config.list_logical_devices()],
        "tensorflow": tf.__version__,
    }
