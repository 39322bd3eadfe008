"""Cost of the up-front crop check (``pel_keras.data.crop_check``) against decoding every crop.

Writes ``--crops`` PNG crops of ``--size`` pixels in a prepared dataset's layout (``crops/<video>/<frame>.png``,
50 per folder) under ``--dir``, then times: the first check (every crop read: a ``stat``, the first 16 and
the last 64 bytes), the same on one thread, both again with the crops' pages evicted from the page cache
(``posix_fadvise(DONTNEED)`` on each crop only: the data is read from the disk, the inodes stay cached), a
second check answered by the cache (``stat`` only), and, for scale, decoding crops with TensorFlow (what a
check by full decode would cost). A network file system adds a round trip per open, which the threads
overlap.

    python benchmarks/crop_check.py --crops=20000 --size=64 --dir=/data
"""

import os
import tempfile
import time

import cv2
import numpy as np
from absl import app, flags

from pel_keras.data import crop_check  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("crops", 20000, "Crops to write and check.", lower_bound=1)
flags.DEFINE_integer(
    "size", 64, "Side of each crop in pixels (the check reads the same bytes whatever the size).", lower_bound=8
)
flags.DEFINE_string("dir", None, "Folder to write the crops in (a temporary folder inside it); default: the system's.")
flags.DEFINE_integer(
    "decode", 2000, "Crops decoded with TensorFlow for the full-decode comparison (0: skip).", lower_bound=0
)


def write_crops(folder, count, size):
    """``count`` PNG crops (8 distinct images, so that writing is quick); returns their paths."""
    rng = np.random.default_rng(0)
    encoded = [
        cv2.imencode(".png", cv2.GaussianBlur(rng.integers(0, 256, (size, size, 3), np.uint8), (5, 5), 0))[1]
        for _ in range(8)
    ]
    paths = []
    for index in range(count):
        path = os.path.join(folder, "crops", f"video_{index // 50:05d}", f"{index % 50:06d}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        encoded[index % 8].tofile(path)
        paths.append(path)
    return paths


def evict(paths):
    """Drops the crops' pages from the page cache (after flushing them), so the next read goes to the disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(label, function, count):
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:8.3f} s  {1e6 * seconds / count:8.1f} us/crop", flush=True)
    return result


def main(argv):
    with tempfile.TemporaryDirectory(dir=FLAGS.dir) as folder:
        paths = write_crops(folder, FLAGS.crops, FLAGS.size)
        print(
            f"{FLAGS.crops} PNG crops of {FLAGS.size}x{FLAGS.size}, {os.path.getsize(paths[0])} bytes each; "
            f"{crop_check.THREADS} threads\n"
        )
        cache = os.path.join(folder, "run", crop_check.CACHE)
        read = timed("first check (no cache)", lambda: crop_check.check_crops(paths, cache), FLAGS.crops)
        assert read == FLAGS.crops
        threads = crop_check.THREADS
        for label, count, cold in (
            ("first check, one thread", 1, False),
            ("first check, pages evicted", threads, True),
            ("first check, pages evicted, one thread", 1, True),
        ):
            crop_check.THREADS = count
            if cold:
                evict(paths)
            timed(label, lambda: crop_check.check_crops(paths), FLAGS.crops)
        crop_check.THREADS = threads
        read = timed("second check (cache: stat only)", lambda: crop_check.check_crops(paths, cache), FLAGS.crops)
        assert read == 0
        print(f"{'cache file':<44} {os.path.getsize(cache) / 1e6:8.2f} MB")
        evict(paths[: FLAGS.decode])
        if FLAGS.decode:
            import tensorflow as tf

            subset = paths[: FLAGS.decode]

            def decode():
                for path in subset:
                    tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)

            timed(f"TensorFlow decode of {len(subset)} crops, one thread", decode, len(subset))


if __name__ == "__main__":
    app.run(main)
