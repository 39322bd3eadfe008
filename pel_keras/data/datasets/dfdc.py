"""DFDC (Dolhansky et al., 2020): training parts ``dfdc_train_part_N/metadata.json`` mapping each file to
``{"label": "REAL"|"FAKE", "split": ..., "original": ...}``, and the public test set's ``labels.csv``
(``filename,label``, 1 = fake) with its videos beside it or in ``videos/``.

The training parts become ``train`` with a ``val`` carved out by source video: a fake goes with the real
it was made from (its ``original``), so no identity straddles the two.
"""

import csv
import glob
import io
import logging
import os

from pel_keras.data.datasets.source_records import FAKE, REAL, Record, carve_val, read_json, read_text, require, stem

PART_PATTERN = "dfdc_train_part_*"
LABELS = "labels.csv"

log = logging.getLogger(__name__)


def _existing(path, origin):
    if os.path.isfile(path):
        return True
    log.warning("%s lists %s, which does not exist; left out", origin, path)
    return False


def _original(meta_path, filename, entry):
    """The file that the video of a checked metadata entry was made from (its own name for a real)."""
    if not isinstance(entry, dict) or entry.get("label") not in ("REAL", "FAKE"):
        raise ValueError(f"{meta_path}: {filename} has {entry!r}, expected an object with label REAL or FAKE")
    original = entry.get("original") or filename
    if not isinstance(original, str):
        raise ValueError(f"{meta_path}: {filename} has original {original!r}, expected a file name")
    return original


def read_part(part, val_fraction):
    """Records of one training part, from its ``metadata.json``."""
    meta_path = require(os.path.join(part, "metadata.json"), "DFDC part metadata")
    metadata = read_json(meta_path, "DFDC part metadata", dict)
    name, records = os.path.basename(part.rstrip("/")), []
    for filename, entry in sorted(metadata.items()):
        split = carve_val(_original(meta_path, filename, entry), val_fraction)
        path = os.path.join(part, filename)
        if _existing(path, meta_path):
            label = FAKE if entry["label"] == "FAKE" else REAL
            records.append(Record(path, label, split, f"{name}/{stem(filename)}", name))
    return records


def read_test_labels(labels_path):
    """Records of the public test set from its ``labels.csv`` (all ``test``)."""
    folder = os.path.dirname(labels_path)
    name, records = os.path.basename(folder), []
    reader = csv.DictReader(io.StringIO(read_text(labels_path, "DFDC test labels"), newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ValueError(f"DFDC test labels {labels_path}: not CSV after line {reader.line_num} ({error})") from None
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
