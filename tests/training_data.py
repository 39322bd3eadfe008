"""A small prepared dataset written as ``prepare.py`` writes one: PNG face-crop stand-ins and a manifest.

The classes are learnable: fakes are brighter and carry a fine checkerboard (a stand-in for blending
and up-sampling traces), reals are smooth; every image has its own random texture.
"""

import os

import cv2
import numpy as np

from pel_keras.testing import fixtures

SPLITS = {"train": 6, "val": 3, "test": 2}  # videos per class


def image(rng, size, fake):
    """One RGB uint8 image: a smooth random texture; fakes brighter with a checkerboard."""
    texture = cv2.resize(rng.uniform(0, 1, (4, 4, 3)), (size, size), interpolation=cv2.INTER_CUBIC)
    base = 70 + 60 * texture + (60 if fake else 0)
    if fake:
        base += 25 * (np.indices((size, size)).sum(axis=0) % 2)[..., None]
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def write_dataset(data_dir, tag="toy", size=32, frames=4, splits=SPLITS, seed=0):
    """Writes ``data_dir/tag/{crops/..., manifest.csv}`` (:func:`pel_keras.testing.fixtures.write_prepared`);
    returns the manifest's path.

    ``splits`` maps each split to its number of videos per class; each video has ``frames`` crops.
    """
    return fixtures.write_prepared(os.path.join(data_dir, tag), _examples(size, frames, splits, seed))


def _examples(size, frames, splits, seed):
    rng = np.random.default_rng(seed)
    for split, videos in splits.items():
        for v in range(videos):
            for label in (0, 1):
                video = f"{'fake' if label else 'real'}/{split}_{v:03d}"
                for frame in range(0, 10 * frames, 10):
                    row = {"label": label, "video": video, "split": split, "source": "synthetic", "frame": frame}
                    yield row, image(rng, size, label)
