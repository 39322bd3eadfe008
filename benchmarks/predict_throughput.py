"""Prediction speed: milliseconds per sampled frame of ``predict.py``'s work (decode, detect, crop, score).

Saves an untrained PEL model (``--backbone`` at ``--image_size``; the weights do not change the cost),
writes ``--videos`` H.264 videos of 640x360 (10 s at 30 fps, one public-domain face), then, for plain
scores and for scores with heatmaps: the model's load time, the first video (which includes tracing the
model) and the mean over the others, per sampled frame, in wall-clock and in CPU time; and the model alone
on a batch of ``--frames`` crops.

    python benchmarks/predict_throughput.py --backbone=efficientnet_b4 --image_size=320 --frames=32 --videos=3
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as predict.py: YuNet on one OpenMP thread beside TensorFlow

import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import pel_keras  # noqa: E402
from pel_keras.prediction.predict import PredictConfig, predict  # noqa: E402
from pel_keras.prediction.scorer import Scorer  # noqa: E402
from pel_keras.testing import data_media  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", "efficientnet_b4", "Backbone of both streams.")
flags.DEFINE_integer("image_size", 320, "Model input size.")
flags.DEFINE_integer("frames", 32, "Frames sampled per video.")
flags.DEFINE_integer("videos", 3, "Videos scored (the first one includes tracing).")


def timed(function, *args, **kwargs):
    """``(result, wall seconds, CPU seconds of this process)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def report(label, model_path, videos, heatmap_dir):
    scorer, load, _ = timed(Scorer, model_path, heatmaps=heatmap_dir is not None)
    config = PredictConfig(frames=FLAGS.frames, heatmap_dir=heatmap_dir)
    runs = [timed(predict, [path], scorer, config) for path in videos]
    crops = np.random.default_rng(0).uniform(0, 255, (FLAGS.frames, FLAGS.image_size, FLAGS.image_size, 3))
    _, model_wall, model_cpu = timed(scorer, crops)
    per_frame = 1000 / FLAGS.frames
    later = runs[1:] or runs
    print(
        f"{label}: load {load:.1f} s; first video {runs[0][1] * per_frame:.0f} ms/frame (tracing included); "
        f"then {np.mean([r[1] for r in later]) * per_frame:.0f} ms/frame wall, "
        f"{np.mean([r[2] for r in later]) * per_frame:.0f} ms/frame CPU; the model alone "
        f"{model_wall * per_frame:.0f} ms/crop wall, {model_cpu * per_frame:.0f} ms/crop CPU"
    )


def main(argv):
    del argv
    with tempfile.TemporaryDirectory() as work:
        model_path = os.path.join(work, "model.keras")
        model = pel_keras.build_model(FLAGS.backbone, image_size=FLAGS.image_size, weights=None)
        model.save(model_path)
        frames = [data_media.frame(i, size=(640, 360)) for i in range(300)]
        videos = [data_media.write_h264(os.path.join(work, f"{i}.mp4"), frames) for i in range(FLAGS.videos)]
        print(
            f"{FLAGS.backbone} two streams at {FLAGS.image_size} px, {FLAGS.frames} of 300 frames per 640x360 "
            f"H.264 video, {os.cpu_count()} CPU cores visible"
        )
        report("scores", model_path, videos, None)
        report("scores + heatmaps", model_path, videos, os.path.join(work, "heatmaps"))


if __name__ == "__main__":
    app.run(main)
