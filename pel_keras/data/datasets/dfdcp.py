"""DFDC preview (DFDCP; Dolhansky et al., 2019): ``method_A/``, ``method_B/`` and ``original_videos/`` folders
and ``dataset.json``, which maps each clip's path relative to the root (``method_A/<id>/.../<name>.mp4``)
to ``{"label": "real"|"fake", "set": "train"|"test", ...}``.

The ``test`` set is the test split. From the ``train`` set a ``val`` split is carved by the first folder
below the top one (``method_A/<id>/...``, ``original_videos/<id>/...``), so the clips filed under one id
never straddle train and val.
"""

import logging
import os

from pel_keras.data.datasets.source_records import FAKE, REAL, Record, carve_val, read_json, require

INDEX = "dataset.json"
LABELS = {"real": REAL, "fake": FAKE}
SETS = ("train", "test")

log = logging.getLogger(__name__)


def _record(root, index, key, entry, val_fraction):
    """The record of one checked ``dataset.json`` entry."""
    if not isinstance(entry, dict) or entry.get("label") not in LABELS or entry.get("set") not in SETS:
        raise ValueError(
            f"{index}: {key} has {entry!r}, expected an object with label real or fake and set train or test"
        )
    parts = key.split("/")
    if os.path.isabs(key) or ".." in parts or len(parts) < 2:
        raise ValueError(f"{index}: {key!r} is not a clip path below the root, such as method_A/<id>/<name>.mp4")
    group = parts[1] if len(parts) > 2 else key  # a clip straight in a top folder is a group of its own
    split = "test" if entry["set"] == "test" else carve_val(group, val_fraction)
    return Record(os.path.join(root, key), LABELS[entry["label"]], split, os.path.splitext(key)[0], parts[0])


def read_dfdcp(root, val_fraction=0.1):
    """Records of every clip ``root/dataset.json`` lists; a listed clip that is missing is left out, logged.

    Raises:
        FileNotFoundError: no ``dataset.json`` in ``root``.
        ValueError: ``dataset.json`` is not a JSON object, or an entry lacks a known label or set (named).
    """
    index = require(os.path.join(root, INDEX), "DFDC preview index")
    entries = read_json(index, "DFDC preview index", dict)
    records = []
    for key, entry in sorted(entries.items()):
        record = _record(root, index, key, entry, val_fraction)
        if os.path.isfile(record.path):
            records.append(record)
        else:
            log.warning("%s lists %s, which does not exist; left out", index, record.path)
    return records
