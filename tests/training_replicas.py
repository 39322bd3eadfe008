"""Runs ``pel_keras.training.fit`` on fixed-order data, for the tests comparing strategies.

    python tests/training_replicas.py DATA_DIR WORKDIR single|mirrored|selected

``mirrored``: MirroredStrategy over 2 logical CPU devices (set before TensorFlow starts, hence a process of
its own); ``selected``: the strategy ``select_strategy`` picks, from ``TF_CONFIG`` on TensorFlow (start one
process per worker), on JAX every device (``XLA_FLAGS``) of every process (``KERAS_DISTRIBUTION_*``);
``single``: TensorFlow's default strategy. The data are the train split in manifest order, read through
the pipeline's sharded ``distributed_dataset_fn`` without shuffling or augmentation, so every strategy sees
the same examples in each global batch; dropout and stochastic depth are off.
"""

import os
import sys

from pel_keras.data.pipeline import distributed_dataset_fn
from pel_keras.training import TrainConfig, fit
from pel_keras.training.strategy import select_strategy
from pel_keras.training.train_val_datasets import val_dataset_fn, write_run_manifest

CONFIG = dict(
    train_dataset="toy",
    backbone="efficientnet_b0",
    weights="none",
    image_size=64,
    streams="rgb",
    self_enhancement=False,
    mutual_enhancement=False,
    dropout=0.0,
    stochastic_depth=0.0,
    batch_size=8,
    epochs=1,
    steps_per_epoch=4,
    frames=4,
    seed=7,
)


def strategy_for(mode):
    if mode == "selected":
        return select_strategy()
    import tensorflow as tf  # the JAX runs use none of its strategies

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    return tf.distribute.get_strategy()


def run(data_dir, workdir, mode):
    strategy = strategy_for(mode)
    config = TrainConfig(data_dir=data_dir, workdir=workdir, **CONFIG)
    manifest = os.path.join(workdir, "manifest.csv")
    rows = write_run_manifest(config, manifest)

    def train_data(seed):
        in_order = distributed_dataset_fn(manifest, "train", config.batch_size, image_size=config.image_size)
        return lambda context: in_order(context).repeat()

    val = val_dataset_fn(config, manifest, [row["path"] for row in rows["val"]])
    return fit(config, strategy, train_data, val, [row["video"] for row in rows["val"]], config.steps_per_epoch)


if __name__ == "__main__":
    run(*sys.argv[1:4])
