"""Input-pipeline throughput: images per second out of ``build_dataset`` at 320x320.

Writes ``--crops`` face crops (public-domain faces, shifted and rescaled so no two are alike) as 320x320 PNG
with a 4:1 fake:real manifest, then times ``--images`` images of training batches with augmentation on
(the defaults), with it off, and of evaluation batches, from each of ``--sources``: ``png`` (the PNG files)
and ``tfrecord`` (the same crops converted to TFRecord shards of ``--examples_per_shard``).

    python benchmarks/pipeline_throughput.py --crops=256 --images=3200 --batch=32
    python benchmarks/pipeline_throughput.py --crops=256 --images=3200 --batch=32 --sources=png,tfrecord

The machine may be shared: it also prints the CPU time per image and the rate that gives on as many
dedicated cores as this machine has.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402
from cpu_time import cpu_seconds  # noqa: E402
from skimage import data  # noqa: E402

from pel_keras.data.convert_shards import convert  # noqa: E402
from pel_keras.data.manifest import COLUMNS, csv_text  # noqa: E402
from pel_keras.data.pipeline import AugmentConfig, build_dataset  # noqa: E402
from pel_keras.data.shards import index_path  # noqa: E402
from pel_keras.files.atomic import atomic_write  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("crops", 256, "PNG crops in the manifest.")
flags.DEFINE_integer("images", 3200, "Images timed per setting (after one warm-up batch).")
flags.DEFINE_integer("batch", 32, "Batch size.")
flags.DEFINE_integer("size", 320, "Image side.")
flags.DEFINE_list("sources", ["png"], "Where the crops are read from: png, tfrecord.")
flags.DEFINE_integer("examples_per_shard", 32, "Crops per shard with tfrecord (8 real and 24 fake shards of 256).")


def write_crops(folder):
    face = data.astronaut()[0:300, 100:400, ::-1]
    rows = []
    for i in range(FLAGS.crops):
        shifted = np.roll(
            cv2.resize(face, (FLAGS.size + i % 17, FLAGS.size + i % 17))[: FLAGS.size, : FLAGS.size], i, axis=1
        )
        path = f"crops/{i:05d}.png"
        os.makedirs(os.path.join(folder, "crops"), exist_ok=True)
        cv2.imwrite(os.path.join(folder, path), shifted)
        label = int(i % 5 != 0)
        rows.append(
            {"path": path, "label": label, "video": f"v{i // 8}", "split": "train", "source": "bench", "frame": i}
        )
    manifest = os.path.join(folder, "manifest.csv")
    atomic_write(manifest, csv_text(COLUMNS, rows))
    return manifest


def measure(name, dataset):
    iterator = iter(dataset)
    next(iterator)  # warm-up: graph tracing, thread pools, first reads
    batches = FLAGS.images // FLAGS.batch
    cpu, start = cpu_seconds(), time.perf_counter()
    labels = [next(iterator)[1].numpy() for _ in range(batches)]
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    images = batches * FLAGS.batch
    print(
        f"{name}: {images / seconds:.0f} images/s ({seconds:.1f} s for {images}); CPU {1000 * cpu / images:.2f} ms "
        f"per image = {images / cpu * os.cpu_count():.0f} images/s on {os.cpu_count()} dedicated cores; "
        f"fake share {np.mean(labels):.2f}"
    )


def main(argv):
    del argv
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_crops(tmp)
        print(f"{FLAGS.crops} PNG crops {FLAGS.size}x{FLAGS.size}, batch {FLAGS.batch}, {os.cpu_count()} cores")
        convert(tmp, FLAGS.examples_per_shard)
        for source in FLAGS.sources:
            common = {"image_size": FLAGS.size, "batch_size": FLAGS.batch}
            common["records"] = index_path(tmp) if source == "tfrecord" else None
            measure(f"{source}, training, augmentation on ", build_dataset(manifest, "train", training=True, **common))
            measure(
                f"{source}, training, augmentation off",
                build_dataset(manifest, "train", training=True, augment_config=AugmentConfig.off(), **common),
            )
            measure(f"{source}, evaluation (one pass, repeated)", build_dataset(manifest, "train", **common).repeat())


if __name__ == "__main__":
    app.run(main)
