"""Users' own data: ``real/`` and ``fake/`` sub-folders holding videos and/or images, either at the top
(everything is ``test``) or below ``train/``, ``val/`` and ``test/``.

Inside a class folder, each video file is one item, each image lying directly in it is one item, and
each sub-folder of images is one sequence (like WildDeepfake): :func:`pel_keras.data.media_files.list_media`'s
rule, whose skipped files are logged with their reason. Ids are paths relative to the root, extensions
kept, so that ``clip.mp4`` and a frame folder ``clip/`` cannot collide.
"""

import logging
import os

from pel_keras.data.datasets.source_records import FAKE, REAL, SPLITS, Record
from pel_keras.data.media_files import list_media

log = logging.getLogger(__name__)

CLASSES = {"real": REAL, "fake": FAKE}


def read_folder(root):
    """Records of a user folder; ``source`` is the class folder's name."""
    layouts = [s for s in SPLITS if os.path.isdir(os.path.join(root, s))]
    bases = {s: os.path.join(root, s) for s in layouts} or {"test": root}
    records = []
    for split, base in bases.items():
        for name, label in CLASSES.items():
            class_dir = os.path.join(base, name)
            if os.path.isdir(class_dir):
                listing = list_media(class_dir)
                for path, reason in listing.skipped:
                    log.warning("%s: skipped: %s", path, reason)
                records += [Record(p, label, split, os.path.relpath(p, root), name) for p in listing.media]
    if not records:
        raise FileNotFoundError(
            f"no media found: expected videos or images in {os.path.join(root, 'real')} and "
            f"{os.path.join(root, 'fake')} (or in train/, val/, test/ sub-folders holding real/ and fake/)"
        )
    return records
