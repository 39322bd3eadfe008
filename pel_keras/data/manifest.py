"""The prepared dataset's files: ``manifest.csv``, ``failures.csv`` and the per-video records behind them.

``manifest.csv`` has one row per face crop, columns :data:`COLUMNS`:

- ``path``: the PNG, relative to the manifest's folder; ``label``: 1 = fake, 0 = real;
- ``video``: id unique to one source video within the dataset (``Deepfakes/000_003``);
- ``split``: ``train``/``val``/``test``; ``source``: method or origin; ``frame``: index in the source;
- ``score``: detector confidence (empty for the ``none`` detector);
- ``box``: ``x0 y0 x1 y1`` of the detection in source-frame pixels;
- ``landmarks``: ``x y`` pairs (YuNet: right eye, left eye, nose tip, right and left mouth corner, from
  the subject's view) in crop pixels, space-separated; empty when the detector gives none.

Every file is written to a temporary name and renamed, so a reader never sees half a file.
"""

import csv
import io
import json
import os

COLUMNS = ("path", "label", "video", "split", "source", "frame", "score", "box", "landmarks")
FAILURE_COLUMNS = ("video", "path", "kind", "reason")
MANIFEST, FAILURES = "manifest.csv", "failures.csv"


def atomic_write(path, text):
    """Writes ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temporary = f"{path}.tmp-{os.uname().nodename}-{os.getpid()}"
    with open(temporary, "w", newline="") as f:
        f.write(text)
    os.replace(temporary, path)


def csv_text(columns, rows):
    """The CSV text of ``rows`` (dicts) under a header of ``columns``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def read_manifest(path):
    """The rows of a ``manifest.csv`` as dicts; ``label`` and ``frame`` become ``int``.

    ``path`` stays relative to the manifest's folder: join it with ``os.path.dirname(manifest)``.

    Raises:
        ValueError: the file lacks one of the required columns ``path, label, video, split``.
    """
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"path", "label", "video", "split"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: not a manifest, missing columns {sorted(missing)}")
        rows = list(reader)
    for row in rows:
        row["label"] = int(row["label"])
        if row.get("frame"):
            row["frame"] = int(row["frame"])
    return rows


def read_split(manifests, split):
    """The rows of ``split`` from one or more manifests, in file order, ``path`` made absolute.

    Raises:
        ValueError: ``split`` is not one of ``train``, ``val``, ``test``.
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be train, val or test, got {split!r}")
    manifests = [manifests] if isinstance(manifests, (str, os.PathLike)) else list(manifests)
    rows = []
    for path in manifests:
        folder = os.path.dirname(os.path.abspath(path))
        rows += [dict(row, path=os.path.join(folder, row["path"])) for row in read_manifest(path) if row["split"] == split]
    return rows


def record_path(out_dir, video):
    """Where the outcome of one source video is kept: ``records/<video id>.json``."""
    return os.path.join(out_dir, "records", f"{video}.json")


def load_record(out_dir, video):
    """The stored outcome of ``video`` (a dict with ``status``, ``rows``, ...), or None if there is none."""
    path = record_path(out_dir, video)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def save_record(out_dir, video, outcome):
    """Stores the outcome of ``video`` (see :func:`load_record`)."""
    atomic_write(record_path(out_dir, video), json.dumps(outcome))


def write_outputs(out_dir, records):
    """Rewrites ``manifest.csv`` and ``failures.csv`` from the stored outcomes of ``records``, in order.

    Every shard of a run can call this: each video has one stored outcome, so rows never repeat.
    Returns the number of manifest rows.
    """
    rows, failures = [], []
    for record in records:
        outcome = load_record(out_dir, record.video)
        if outcome is None:
            continue
        rows += outcome["rows"]
        if outcome["status"] != "ok":
            failures.append({"video": record.video, "path": record.path, "kind": outcome["status"], "reason": outcome["reason"]})
    atomic_write(os.path.join(out_dir, MANIFEST), csv_text(COLUMNS, rows))
    atomic_write(os.path.join(out_dir, FAILURES), csv_text(FAILURE_COLUMNS, failures))
    return len(rows)
