"""A small prepared dataset written as ``prepare.py`` writes one: PNG face-crop stand-ins and a manifest.

The classes are learnable: fakes are brighter and carry a fine checkerboard (a stand-in for blending
and up-sampling traces), reals are smooth; every image has its own random texture.
"""

import os

import cv2
import numpy as np

from pel_keras.data.manifest import COLUMNS, MANIFEST, csv_text
from pel_keras.files.atomic import atomic_write

SPLITS = {"train": 6, "val": 3, "test": 2}  # videos per class


def image(rng, size, fake):
    """One RGB uint8 image: a smooth random texture; fakes brighter with a checkerboard."""
    texture = cv2.resize(rng.uniform(0, 1, (4, 4, 3)), (size, size), interpolation=cv2.INTER_CUBIC)
    base = 70 + 60 * texture + (60 if fake else 0)
    if fake:
        base += 25 * (np.indices((size, size)).sum(axis=0) % 2)[..., None]
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def write_dataset(data_dir, tag="toy", size=32, frames=4, splits=SPLITS, seed=0):
    """Writes ``data_dir/tag/{crops/..., manifest.csv}``; returns the manifest's path.

    ``splits`` maps each split to its number of videos per class; each video has ``frames`` crops.
    """
    rng = np.random.default_rng(seed)
    root = os.path.join(data_dir, tag)
    rows = []
    for split, videos in splits.items():
        for v in range(videos):
            for label in (0, 1):
                video = f"{'fake' if label else 'real'}/{split}_{v:03d}"
                for frame in range(0, 10 * frames, 10):
                    path = f"crops/{video}/{frame:06d}.png"
                    os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
                    cv2.imwrite(os.path.join(root, path), image(rng, size, label)[..., ::-1])
                    rows.append(
                        {
                            "path": path,
                            "label": label,
                            "video": video,
                            "split": split,
                            "source": "synthetic",
                            "frame": frame,
                            "score": "",
                            "box": "",
                            "landmarks": "",
                        }
                    )
    atomic_write(os.path.join(root, MANIFEST), csv_text(COLUMNS, rows))
    return os.path.join(root, MANIFEST)
