"""Celeb-DF (v2) (Li et al., CVPR 2020): ``Celeb-real/``, ``YouTube-real/``, ``Celeb-synthesis/`` and
``List_of_testing_videos.txt``, whose lines read ``<flag> <folder>/<file>.mp4`` with flag 1 = REAL (the
inverse of this project's 1 = fake). Listed videos are ``test``; the rest are ``train``.
"""

import logging
import os

from pel_keras.data.datasets.source_records import FAKE, REAL, Record, list_files, read_text, require, stem
from pel_keras.data.media_files import is_video

FOLDERS = {"Celeb-real": REAL, "YouTube-real": REAL, "Celeb-synthesis": FAKE}
TEST_LIST = "List_of_testing_videos.txt"

log = logging.getLogger(__name__)


def read_test_list(path):
    """``{"<folder>/<file>": label}`` from the official test list, the flag inverted to 1 = fake."""
    labels = {}
    for number, line in enumerate(read_text(path, "Celeb-DF test list").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or fields[0] not in ("0", "1"):
            raise ValueError(f"{path}:{number}: expected '<0|1> <folder>/<file>.mp4', got {line.strip()!r}")
        labels[fields[1]] = 1 - int(fields[0])
    return labels


def read_celebdf(root):
    """Records of Celeb-DF; ids ``<folder>/<name>``, source = the folder.

    Raises:
        FileNotFoundError: the test list or one of the three folders is missing.
        ValueError: the test list gives a video a label that contradicts its folder.
    """
    test = read_test_list(require(os.path.join(root, TEST_LIST), "Celeb-DF test list"))
    records = []
    for folder, label in FOLDERS.items():
        for path in list_files(require(os.path.join(root, folder), "Celeb-DF folder"), is_video):
            name = f"{folder}/{os.path.basename(path)}"
            if name in test and test[name] != label:
                raise ValueError(
                    f"{TEST_LIST} labels {name} as {'fake' if test[name] else 'real'}, "
                    f"but {folder}/ holds {'fake' if label else 'real'} videos"
                )
            records.append(Record(path, label, "test" if name in test else "train", f"{folder}/{stem(path)}", folder))
    missing = set(test) - {f"{r.source}/{os.path.basename(r.path)}" for r in records}
    for name in sorted(missing):
        log.warning("%s lists %s, which is not under %s; left out", TEST_LIST, name, root)
    return records
