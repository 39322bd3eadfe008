"""DFDC (Dolhansky et al., 2020): training parts ``dfdc_train_part_N/metadata.json`` mapping each file to
``{"label": "REAL"|"FAKE", "split": ..., "original": ...}``, and the public test set's ``labels.csv``
(``filename,label``, 1 = fake) with its videos beside it or in ``videos/``.

The training parts become ``train`` with a ``val`` carved out by source video: a fake goes with the real
it was made from (its ``original``), so no identity straddles the two.
"""

import csv
import glob
import json
import logging
import os

from pel_keras.data.datasets.records import FAKE, REAL, Record, carve_val, require, stem

PART_PATTERN = "dfdc_train_part_*"
LABELS = "labels.csv"

log = logging.getLogger(__name__)


def _existing(path, origin):
    if os.path.isfile(path):
        return True
    log.warning("%s lists %s, which does not exist; left out", origin, path)
    return False


def read_part(part, val_fraction):
    """Records of one training part, from its ``metadata.json``."""
    meta_path = require(os.path.join(part, "metadata.json"), "DFDC part metadata")
    with open(meta_path) as f:
        metadata = json.load(f)
    name, records = os.path.basename(part.rstrip("/")), []
    for filename, entry in sorted(metadata.items()):
        if entry.get("label") not in ("REAL", "FAKE"):
            raise ValueError(f"{meta_path}: {filename} has label {entry.get('label')!r}, expected REAL or FAKE")
        path = os.path.join(part, filename)
        if _existing(path, meta_path):
            split = carve_val(entry.get("original") or filename, val_fraction)
            records.append(Record(path, FAKE if entry["label"] == "FAKE" else REAL, split, f"{name}/{stem(filename)}", name))
    return records


def read_test_labels(labels_path):
    """Records of the public test set from its ``labels.csv`` (all ``test``)."""
    folder = os.path.dirname(labels_path)
    name, records = os.path.basename(folder), []
    with open(labels_path, newline="") as f:
        rows = list(csv.DictReader(f))
    for number, row in enumerate(rows, 2):
        if row.get("label") not in ("0", "1") or not row.get("filename"):
            raise ValueError(f"{labels_path}:{number}: expected columns filename,label with label 0 or 1, got {row}")
        beside, inside = os.path.join(folder, row["filename"]), os.path.join(folder, "videos", row["filename"])
        path = beside if os.path.isfile(beside) else inside
        if _existing(path, labels_path):
            records.append(Record(path, int(row["label"]), "test", f"{name}/{stem(path)}", name))
    return records


def read_dfdc(root, val_fraction=0.1):
    """Records of every training part and of the test set's ``labels.csv`` found under ``root``
    (``root/labels.csv`` or ``root/<folder>/labels.csv``)."""
    parts = sorted(p for p in glob.glob(os.path.join(root, PART_PATTERN)) if os.path.isdir(p))
    labels = sorted(glob.glob(os.path.join(root, LABELS)) + glob.glob(os.path.join(root, "*", LABELS)))
    if not parts and not labels:
        raise FileNotFoundError(
            f"DFDC metadata not found: expected {os.path.join(root, 'dfdc_train_part_N', 'metadata.json')} "
            f"and/or {os.path.join(root, '[test]', LABELS)}"
        )
    records = [r for part in parts for r in read_part(part, val_fraction)]
    return records + [r for path in labels for r in read_test_labels(path)]
