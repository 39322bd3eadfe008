"""Training throughput of PEL: images per second through the training step at 320x320.

The real model (two-stream EfficientNet-B4, self and mutual enhancement, weights none) and the real step
(``pel_keras.training``: Adam with coupled L2, loss scaling for float16, the strategy ``train.py`` picks),
fed one random batch held in memory so that only the step is timed (the input pipeline has its own
benchmark, ``benchmarks/pipeline_throughput.py``).

    python benchmarks/bench_train.py                       # CPU: batch 4; GPU: batch 32 per GPU
    python benchmarks/bench_train.py --batch_size=16 --steps=20 --precisions=mixed

For each precision (``float32``; ``mixed``: float16 on GPUs, bfloat16 on CPUs) it prints the device, the
global batch, milliseconds per step and images per second over ``--steps`` steps after ``--warmup``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from pel_keras.training import TrainConfig  # noqa: E402
from pel_keras.training.model import precision_policy  # noqa: E402
from pel_keras.training.steps import make_train_step  # noqa: E402
from pel_keras.training.strategy import select_strategy  # noqa: E402
from pel_keras.training.trainer import build_model_and_optimizer  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", "efficientnet_b4", "Backbone of both streams.")
flags.DEFINE_integer("image_size", 320, "Image side.")
flags.DEFINE_integer("batch_size", 0, "Global batch; 0: 32 per GPU, 4 on a CPU.")
flags.DEFINE_integer("warmup", 2, "Steps run before timing (the first traces the step).")
flags.DEFINE_integer("steps", 5, "Steps timed.")
flags.DEFINE_list("precisions", ["float32", "mixed"], "float32 and/or mixed.")


def device_name():
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"{len(gpus)} x {tf.config.experimental.get_device_details(gpus[0]).get('device_name', 'GPU')}"
    return f"CPU ({os.cpu_count()} cores)"


def measure(strategy, precision, batch_size):
    """Milliseconds per step of PEL's training step under ``strategy`` in ``precision``."""
    config = TrainConfig(
        workdir="unused",
        backbone=FLAGS.backbone,
        weights="none",
        image_size=FLAGS.image_size,
        batch_size=batch_size,
        mixed_precision=precision == "mixed",
    )
    policy = precision_policy(config.mixed_precision)
    keras.mixed_precision.set_global_policy(policy)
    model, optimizer = build_model_and_optimizer(config, strategy)
    step = make_train_step(model, optimizer, strategy, batch_size, config.weight_decay)
    rng = np.random.default_rng(0)

    def dataset_fn(context):
        per_replica = context.get_per_replica_batch_size(batch_size)
        images = rng.uniform(0, 255, (per_replica, FLAGS.image_size, FLAGS.image_size, 3)).astype("float32")
        labels = (np.arange(per_replica) % 2).astype("float32")[:, None]
        return tf.data.Dataset.from_tensors((images, labels)).repeat()

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
    for _ in range(FLAGS.warmup):
        float(step(iterator))
    start = time.perf_counter()
    for _ in range(FLAGS.steps):
        float(step(iterator))
    keras.mixed_precision.set_global_policy("float32")
    return policy, 1000 * (time.perf_counter() - start) / FLAGS.steps


def main(argv):
    del argv
    strategy = select_strategy()
    gpus = len(tf.config.list_physical_devices("GPU"))
    batch_size = FLAGS.batch_size or (32 * gpus if gpus else 4)
    print(
        f"PEL {FLAGS.backbone} two streams, {FLAGS.image_size}x{FLAGS.image_size}, {device_name()}, "
        f"{strategy.num_replicas_in_sync} replica(s), global batch {batch_size}, {FLAGS.steps} steps timed"
    )
    for precision in FLAGS.precisions:
        policy, milliseconds = measure(strategy, precision, batch_size)
        print(
            f"{policy:>15}: {milliseconds:8.1f} ms/step, {1000 * batch_size / milliseconds:8.2f} images/s", flush=True
        )


if __name__ == "__main__":
    app.run(main)
