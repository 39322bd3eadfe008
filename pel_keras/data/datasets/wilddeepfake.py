"""WildDeepfake (Zi et al., ACM MM 2020): face-image sequences in ``real_train/``, ``fake_train/``,
``real_test/`` and ``fake_test/`` (the archives extracted), one folder of frames per sequence (nested
folders allowed: every folder that directly holds images is one sequence). There is no official val:
one is carved out of train by sequence.
"""

import os

from pel_keras.data.datasets.source_records import FAKE, REAL, Record, carve_val, require
from pel_keras.data.media_files import list_images

FOLDERS = {
    "real_train": (REAL, "train"),
    "fake_train": (FAKE, "train"),
    "real_test": (REAL, "test"),
    "fake_test": (FAKE, "test"),
}


def sequences(folder):
    """Every folder below ``folder`` (itself included) that directly holds image files, sorted."""
    found = [d for d, _, _ in os.walk(folder) if list_images(d)]
    return sorted(found)


def read_wilddeepfake(root, val_fraction=0.1):
    """Records of WildDeepfake, one per sequence; ids ``<folder>/<relative path of the sequence>``."""
    records = []
    for folder, (label, split) in FOLDERS.items():
        base = require(os.path.join(root, folder), "WildDeepfake folder")
        for sequence in sequences(base):
            video = f"{folder}/{os.path.relpath(sequence, base)}"
            records.append(
                Record(
                    sequence,
                    label,
                    carve_val(video, val_fraction) if split == "train" else split,
                    video,
                    "fake" if label else "real",
                )
            )
    return records
