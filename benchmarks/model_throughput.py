"""Prints training and inference images/s of a PEL configuration on the available device, per precision.

Backend-agnostic (Keras ``fit``/``predict`` on synthetic in-memory batches), so the same script measures
TensorFlow on CPU here and, with ``KERAS_BACKEND=jax`` or ``torch``, a GPU host that has JAX or PyTorch but no
TensorFlow. Each precision builds the model afresh; ``float16`` is Keras' ``mixed_float16`` with the loss
scaling ``compile`` adds (a ``LossScaleOptimizer``), ``bfloat16`` is ``mixed_bfloat16``. The first call of
``fit`` and of ``predict`` at each batch size compiles (JAX) or warms up; the second is timed, host-to-device
copies of the batches included.

    python benchmarks/model_throughput.py --image_size=320 --batch_size=4 --steps=3
    KERAS_BACKEND=jax python benchmarks/model_throughput.py --batch_size=32 --precisions=float32,bfloat16,float16 \
        --infer_batch_sizes=1,32
"""

import time

import keras
import numpy as np
from absl import app, flags

import pel_keras
from pel_keras.models.efficientnet_backbones import BACKBONES

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}

FLAGS = flags.FLAGS
flags.DEFINE_enum("backbone", "efficientnet_b4", list(BACKBONES), "EfficientNet backbone.")
flags.DEFINE_integer("image_size", 320, "Square input size.")
flags.DEFINE_integer("batch_size", 8, "Images per training step.")
flags.DEFINE_integer("steps", 5, "Timed training steps, and timed batches per inference batch size.")
flags.DEFINE_list("precisions", ["float32"], f"Any of {', '.join(POLICIES)}.")
flags.DEFINE_list("infer_batch_sizes", [], "Inference batch sizes; default: --batch_size.")
flags.DEFINE_enum("streams", "two", ["two", "rgb", "freq"], "Stream configuration.")


def _timed(function, *args, **kwargs):
    function(*args, **kwargs)  # compiles
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def measure(precision, infer_batch_sizes):
    """Builds PEL in ``precision`` and prints its training and inference speed."""
    keras.mixed_precision.set_global_policy(POLICIES[precision])
    model = pel_keras.build_model(FLAGS.backbone, FLAGS.image_size, streams=FLAGS.streams, weights=None)
    model.compile(optimizer=keras.optimizers.Adam(2e-4), loss="binary_crossentropy", jit_compile="auto")
    rng = np.random.default_rng(0)
    largest = max(FLAGS.batch_size, *infer_batch_sizes) * FLAGS.steps
    images = rng.uniform(0, 255, (largest, FLAGS.image_size, FLAGS.image_size, 3)).astype("float32")
    labels = rng.integers(0, 2, (largest, 1)).astype("float32")
    count = FLAGS.batch_size * FLAGS.steps
    train = _timed(model.fit, images[:count], labels[:count], batch_size=FLAGS.batch_size, epochs=1, verbose=0)
    print(
        f"{precision:>8} train  batch {FLAGS.batch_size:>3}: {count / train:8.1f} images/s "
        f"({train / FLAGS.steps * 1000:.0f} ms/step, {type(model.optimizer).__name__})",
        flush=True,
    )
    for batch_size in infer_batch_sizes:
        count = batch_size * FLAGS.steps
        infer = _timed(model.predict, images[:count], batch_size=batch_size, verbose=0)
        print(
            f"{precision:>8} infer  batch {batch_size:>3}: {count / infer:8.1f} images/s "
            f"({infer / FLAGS.steps * 1000:.1f} ms/batch)",
            flush=True,
        )
    return model.count_params()


def main(argv):
    del argv
    unknown = sorted(set(FLAGS.precisions) - set(POLICIES))
    if unknown:
        raise app.UsageError(f"--precisions: {', '.join(unknown)} not among {', '.join(POLICIES)}")
    infer_batch_sizes = [int(size) for size in FLAGS.infer_batch_sizes] or [FLAGS.batch_size]
    print(
        f"backend={keras.backend.backend()} device={_device()} model={FLAGS.backbone}/{FLAGS.streams} "
        f"size={FLAGS.image_size}",
        flush=True,
    )
    for precision in FLAGS.precisions:
        params = measure(precision, infer_batch_sizes)
        keras.backend.clear_session()  # the next precision's model starts from free memory
    print(f"params={params:,}")


def _device():
    """The device Keras computes on, by name."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.devices()[0].device_kind
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return gpus[0].name if gpus else "cpu"


if __name__ == "__main__":
    app.run(main)
