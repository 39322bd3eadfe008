"""Input-pipeline throughput: images per second out of each input pipeline at 320x320.

Writes ``--crops`` face crops (public-domain faces, shifted and rescaled so no two are alike) as 320x320 PNG
with a 4:1 fake:real manifest, then times ``--images`` images of training batches with augmentation on
(the defaults), with it off, and of evaluation batches, through each of ``--pipelines``: ``tf_data``
(``build_dataset``, TensorFlow's) and ``arrays`` (``build_batches``, numpy batches without TensorFlow, as JAX
and PyTorch read them); ``tf_data`` reads from each of ``--sources``: ``png`` (the PNG files) and
``tfrecord`` (the same crops converted to TFRecord shards of ``--examples_per_shard``).

    python benchmarks/pipeline_throughput.py --crops=256 --images=3200 --batch=32
    python benchmarks/pipeline_throughput.py --pipelines=arrays        # on a host without TensorFlow
    python benchmarks/pipeline_throughput.py --sources=png,tfrecord --pipelines=tf_data

The machine may be shared: it also prints the CPU time per image and the rate that gives on as many
dedicated cores as this machine has.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import itertools  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402
from cpu_time import cpu_seconds  # noqa: E402

from pel_keras.data.array_pipeline import build_batches  # noqa: E402
from pel_keras.data.augment import AugmentConfig  # noqa: E402
from pel_keras.testing import data_media, fixtures  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("crops", 256, "PNG crops in the manifest.")
flags.DEFINE_integer("images", 3200, "Images timed per setting (after one warm-up batch).")
flags.DEFINE_integer("batch", 32, "Batch size.")
flags.DEFINE_integer("size", 320, "Image side.")
flags.DEFINE_list(
    "pipelines", ["tf_data", "arrays"], "Pipelines timed: tf_data (build_dataset), arrays (build_batches)."
)
flags.DEFINE_list("sources", ["png"], "Where tf_data reads the crops from: png, tfrecord (arrays reads png).")
flags.DEFINE_integer("examples_per_shard", 32, "Crops per shard with tfrecord (8 real and 24 fake shards of 256).")
flags.DEFINE_integer("workers", 0, "Threads of the arrays pipeline; 0: its default (the CPU cores).")


def write_crops(folder):
    """A prepared dataset of ``--crops`` training crops: the astronaut's face, resized and shifted."""
    face = data_media.portraits()[0][0:300, 100:400]
    examples = []
    for i in range(FLAGS.crops):
        shifted = np.roll(
            cv2.resize(face, (FLAGS.size + i % 17, FLAGS.size + i % 17))[: FLAGS.size, : FLAGS.size], i, axis=1
        )
        row = {"label": int(i % 5 != 0), "video": f"v{i // 8}", "split": "train", "source": "bench", "frame": i}
        examples.append((row, shifted[..., ::-1]))
    return fixtures.write_prepared(folder, examples)


def measure(name, batches):
    """Times ``--images`` images of the endless iterable ``batches`` (numpy arrays or tensors)."""
    iterator = iter(batches)
    next(iterator)  # warm-up: graph tracing, thread pools, first reads
    count = FLAGS.images // FLAGS.batch
    cpu, start = cpu_seconds(), time.perf_counter()
    labels = [np.asarray(next(iterator)[1]) for _ in range(count)]
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    images = count * FLAGS.batch
    print(
        f"{name}: {images / seconds:.0f} images/s ({seconds:.1f} s for {images}); CPU {1000 * cpu / images:.2f} ms "
        f"per image = {images / cpu * os.cpu_count():.0f} images/s on {os.cpu_count()} dedicated cores; "
        f"fake share {np.mean(labels):.2f}",
        flush=True,
    )


def settings(build, manifest, **source):
    """``(name, endless batches)`` of the three settings timed, from ``build`` (either pipeline)."""
    common = {"image_size": FLAGS.size, "batch_size": FLAGS.batch, **source}
    one_pass = build(manifest, "train", **common)
    return [
        ("training, augmentation on ", build(manifest, "train", training=True, **common)),
        (
            "training, augmentation off",
            build(manifest, "train", training=True, augment_config=AugmentConfig.off(), **common),
        ),
        ("evaluation (one pass, repeated)", itertools.chain.from_iterable(itertools.repeat(one_pass))),
    ]


def tf_data_settings(folder, manifest):
    """The settings of ``tf_data`` for every source of ``--sources`` (TensorFlow is imported here only)."""
    from pel_keras.data.convert_shards import convert
    from pel_keras.data.pipeline import build_dataset
    from pel_keras.data.shards import index_path

    if "tfrecord" in FLAGS.sources:
        convert(folder, FLAGS.examples_per_shard)
    for source in FLAGS.sources:
        records = index_path(folder) if source == "tfrecord" else None
        for name, batches in settings(build_dataset, manifest, records=records):
            yield f"tf_data, {source}, {name}", batches


def main(argv):
    del argv
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_crops(tmp)
        print(f"{FLAGS.crops} PNG crops {FLAGS.size}x{FLAGS.size}, batch {FLAGS.batch}, {os.cpu_count()} cores")
        if "tf_data" in FLAGS.pipelines:
            for name, batches in tf_data_settings(tmp, manifest):
                measure(name, batches)
        if "arrays" in FLAGS.pipelines:
            for name, batches in settings(build_batches, manifest, workers=FLAGS.workers or None):
                measure(f"arrays, png, {name}", batches)


if __name__ == "__main__":
    app.run(main)
