"""Self-blending throughput: pseudo-fake pairs per second in numpy, and its effect on the input pipeline.

1. ``pseudo_fake_pair`` on 320x320 face crops (the two public-domain faces, YuNet landmarks), one thread.
2. ``build_dataset`` training batches of ``--batch`` at ``--size`` from ``--crops`` PNG crops, augmentation
   on: without SBI (manifest real and fake drawn 1:1) and with ``sbi=SBIConfig()`` (each real frame and
   its pseudo-fake).

    python benchmarks/sbi_throughput.py --crops=64 --pairs=200 --images=1600 --batch=32

The machine may be shared: CPU time per pair or image is printed beside the wall-clock rate.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402
from cpu_time import cpu_seconds  # noqa: E402

from pel_keras.data.faces import crop_face, detect_faces, make_detector  # noqa: E402
from pel_keras.data.pipeline import SBIConfig, build_dataset  # noqa: E402
from pel_keras.data.sbi import pseudo_fake_pair  # noqa: E402
from pel_keras.testing import data_media, fixtures  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("crops", 64, "PNG crops in the manifest (half real, half fake).")
flags.DEFINE_integer("pairs", 200, "Pairs timed in numpy.")
flags.DEFINE_integer("images", 1600, "Images timed per pipeline setting (after one warm-up batch).")
flags.DEFINE_integer("batch", 32, "Batch size.")
flags.DEFINE_integer("size", 320, "Image side.")


def face_crops():
    """``[(BGR crop, landmarks)]``: each public-domain face cropped at margins 1.2 to 1.4."""
    detector = make_detector("yunet")
    crops = []
    for image in data_media.portraits():
        face = detect_faces(image, detector)[0]
        crops += [crop_face(image, face, FLAGS.size, margin) for margin in np.linspace(1.2, 1.4, 8)]
    return crops


def report(name, count, unit, seconds, cpu):
    print(
        f"{name}: {count / seconds:.0f} {unit}/s ({seconds:.1f} s for {count}); CPU {1000 * cpu / count:.2f} ms "
        f"per {unit[:-1]} = {count / cpu * os.cpu_count():.0f} {unit}/s on {os.cpu_count()} dedicated cores"
    )


def time_numpy(crops):
    config, rng = SBIConfig(), np.random.default_rng(0)
    rgb = [(np.ascontiguousarray(crop[..., ::-1]), landmarks) for crop, landmarks in crops]
    cpu, start = cpu_seconds(), time.perf_counter()
    for i in range(FLAGS.pairs):
        pseudo_fake_pair(*rgb[i % len(rgb)], rng, config)
    report("pseudo_fake_pair, numpy, 1 thread", FLAGS.pairs, "pairs", time.perf_counter() - start, cpu_seconds() - cpu)


def write_manifest(folder, crops):
    """A prepared dataset of ``--crops`` training crops (the face crops in turn) with their landmarks."""
    examples = []
    for i in range(FLAGS.crops):
        crop, landmarks = crops[i % len(crops)]
        row = {"label": i % 2, "video": f"v{i // 8}", "split": "train", "source": "bench", "frame": i}
        examples.append((dict(row, landmarks=" ".join(f"{v:.1f}" for v in landmarks.ravel())), crop[..., ::-1]))
    return fixtures.write_prepared(folder, examples)


def time_pipeline(name, dataset):
    iterator = iter(dataset)
    next(iterator)  # warm-up: tracing, thread pools, first reads
    batches = FLAGS.images // FLAGS.batch
    cpu, start = cpu_seconds(), time.perf_counter()
    labels = [next(iterator)[1].numpy() for _ in range(batches)]
    report(
        f"{name} (fake share {np.mean(labels):.2f})",
        batches * FLAGS.batch,
        "images",
        time.perf_counter() - start,
        cpu_seconds() - cpu,
    )


def main(argv):
    del argv
    crops = face_crops()
    time_numpy(crops)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_manifest(tmp, crops)
        common = {"image_size": FLAGS.size, "batch_size": FLAGS.batch, "training": True}
        time_pipeline("training, augmentation on, no SBI", build_dataset(manifest, "train", **common))
        time_pipeline("training, augmentation on, SBI", build_dataset(manifest, "train", sbi=SBIConfig(), **common))


if __name__ == "__main__":
    app.run(main)
