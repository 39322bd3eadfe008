"""End-to-end preparation throughput: frames per second (decode + detect + crop + PNG write).

Writes ``--videos`` H.264 videos of 640x360 (``--seconds`` at 30 fps; a public-domain face moving over a
natural background), prepares them as a ``folder`` dataset sampling ``--frames`` frames each, with
``--workers`` processes with each of ``--runners`` (``local``: the process pool; ``beam``: Apache Beam's
local runner, one worker process per ``--workers``), and prints frames/s; then times each stage on one video
in one process.

The machine may be shared: besides wall-clock frames/s it prints the CPU time spent per frame (this
process and its workers) and the frames/s that cost gives on the same number of dedicated cores.

    python benchmarks/prepare_throughput.py --videos=8 --frames=32 --workers=0
    python benchmarks/prepare_throughput.py --videos=8 --frames=32 --workers=0 --runners=local,beam
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the stage timing runs in this process: one core, like a worker

import tempfile  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402
from cpu_time import cpu_seconds  # noqa: E402
from skimage import data  # noqa: E402

from pel_keras.data.faces import crop_face, detect_faces, make_detector  # noqa: E402
from pel_keras.data.prepare import PrepareConfig, prepare  # noqa: E402
from pel_keras.data.video import sample_video  # noqa: E402
from pel_keras.testing import data_media  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("videos", 8, "Videos to prepare.")
flags.DEFINE_integer("seconds", 10, "Length of each video at 30 fps.")
flags.DEFINE_integer("frames", 32, "Frames sampled per video.")
flags.DEFINE_integer("workers", 0, "Worker processes (0 = one per core).")
flags.DEFINE_string("detector", "yunet", "Face detector.")
flags.DEFINE_list("runners", ["local"], "prepare.py --runner values to time, one after the other.")


def video_frames(seconds, face):
    background = cv2.resize(data.coffee()[..., ::-1], (640, 360))
    head = cv2.resize(data_media.faces()[face], (150, 170))
    frames = []
    for i in range(30 * seconds):
        frame = background.copy()
        x, y = 200 + int(80 * np.sin(i / 40)), 90 + int(20 * np.cos(i / 25))
        frame[y : y + 170, x : x + 150] = head
        frames.append(frame)
    return frames


def stage_times(path, detector):
    start = time.perf_counter()
    frames = sample_video(path, FLAGS.frames)
    decode = time.perf_counter() - start
    start = time.perf_counter()
    faces = [detect_faces(f, detector) for _, f in frames]
    detect = time.perf_counter() - start
    start = time.perf_counter()
    crops = [crop_face(f, found[0], 320)[0] for (_, f), found in zip(frames, faces)]
    crop = time.perf_counter() - start
    start = time.perf_counter()
    encoded = [cv2.imencode(".png", c)[1] for c in crops]
    write = time.perf_counter() - start
    n = len(frames)
    print(
        f"one process, one video ({n} of {30 * FLAGS.seconds} frames): decode {1000 * decode / n:.1f} ms, "
        f"detect {1000 * detect / n:.1f} ms, crop {1000 * crop / n:.1f} ms, PNG {1000 * write / n:.1f} ms "
        f"per sampled frame ({sum(len(e) for e in encoded) / n / 1024:.0f} KiB each)"
    )


def main(argv):
    del argv
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "bench")
        clips = [
            data_media.write_h264(os.path.join(tmp, f"clip{f}.mp4"), video_frames(FLAGS.seconds, f)) for f in (0, 1)
        ]
        for i in range(FLAGS.videos):
            os.makedirs(os.path.join(raw, ("real", "fake")[i % 2]), exist_ok=True)
            os.link(clips[i % 2], os.path.join(raw, ("real", "fake")[i % 2], f"v{i}.mp4"))
        for runner in FLAGS.runners:
            config = PrepareConfig(
                dataset="folder",
                input=raw,
                output=os.path.join(tmp, runner),
                frames=FLAGS.frames,
                size=320,
                detector=FLAGS.detector,
                workers=FLAGS.workers,
                runner=runner,
            )
            cpu = cpu_seconds(children=True)
            start = time.perf_counter()
            summary = prepare(config)
            seconds, cpu = time.perf_counter() - start, cpu_seconds(children=True) - cpu
            workers = FLAGS.workers or os.cpu_count()
            print(
                f"{runner}: {summary.videos} videos 640x360 H.264, {summary.frames} frames sampled, {summary.crops} "
                f"crops, {workers} workers on {os.cpu_count()} cores: {seconds:.1f} s, "
                f"{summary.frames / seconds:.1f} frames/s end to end"
            )
            print(
                f"{runner}: CPU time {1000 * cpu / summary.frames:.1f} ms per frame (worker start-up included): "
                f"{summary.frames / cpu * workers:.1f} frames/s on {workers} dedicated cores"
            )
        stage_times(clips[0], make_detector(FLAGS.detector))


if __name__ == "__main__":
    app.run(main)
