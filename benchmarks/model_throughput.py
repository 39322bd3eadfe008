"""Prints training and inference images/s of a PEL configuration on the available device.

Backend-agnostic (Keras ``fit``/``predict`` on synthetic in-memory batches), so the same script measures
TensorFlow on CPU here and, with ``KERAS_BACKEND=jax``, a GPU host that has JAX but no TensorFlow. The
first call of each compiles; the second is timed.

    python benchmarks/model_throughput.py --image_size=320 --batch_size=4 --steps=3
    KERAS_BACKEND=jax python benchmarks/model_throughput.py --batch_size=32 --mixed_precision=bfloat16
"""

import time

import keras
import numpy as np
from absl import app, flags

import pel_keras
from pel_keras.models.efficientnet_backbones import BACKBONES

FLAGS = flags.FLAGS
flags.DEFINE_enum("backbone", "efficientnet_b4", list(BACKBONES), "EfficientNet backbone.")
flags.DEFINE_integer("image_size", 320, "Square input size.")
flags.DEFINE_integer("batch_size", 8, "Images per step.")
flags.DEFINE_integer("steps", 5, "Timed steps (after one untimed compile call).")
flags.DEFINE_enum("mixed_precision", "none", ["none", "float16", "bfloat16"], "Compute dtype policy.")
flags.DEFINE_enum("streams", "two", ["two", "rgb", "freq"], "Stream configuration.")


def _timed(function, *args, **kwargs):
    function(*args, **kwargs)  # compiles
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main(argv):
    del argv
    if FLAGS.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(f"mixed_{FLAGS.mixed_precision}")
    model = pel_keras.build_model(FLAGS.backbone, FLAGS.image_size, streams=FLAGS.streams, weights=None)
    model.compile(optimizer=keras.optimizers.Adam(2e-4), loss="binary_crossentropy", jit_compile="auto")
    count = FLAGS.batch_size * FLAGS.steps
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (count, FLAGS.image_size, FLAGS.image_size, 3)).astype("float32")
    labels = rng.integers(0, 2, (count, 1)).astype("float32")
    train = _timed(model.fit, images, labels, batch_size=FLAGS.batch_size, epochs=1, verbose=0)
    infer = _timed(model.predict, images, batch_size=FLAGS.batch_size, verbose=0)
    print(
        f"backend={keras.backend.backend()} device={_device()} model={FLAGS.backbone}/{FLAGS.streams} "
        f"size={FLAGS.image_size} batch={FLAGS.batch_size} precision={FLAGS.mixed_precision} "
        f"params={model.count_params():,}"
    )
    print(f"train: {count / train:.1f} images/s ({train / FLAGS.steps * 1000:.0f} ms/step)")
    print(f"infer: {count / infer:.1f} images/s ({infer / FLAGS.steps * 1000:.0f} ms/batch)")


def _device():
    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].device_kind
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return gpus[0].name if gpus else "cpu"


if __name__ == "__main__":
    app.run(main)
