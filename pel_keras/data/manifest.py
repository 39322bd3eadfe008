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
import logging
import os

import numpy as np

from pel_keras.data.datasets.source_records import read_json
from pel_keras.files.atomic import atomic_write

COLUMNS = ("path", "label", "video", "split", "source", "frame", "score", "box", "landmarks")
FAILURE_COLUMNS = ("video", "path", "kind", "reason")
MANIFEST, FAILURES, SETTINGS = "manifest.csv", "failures.csv", "prepare.json"  # a prepared folder's files
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"\x00\x00\x00\x00IEND\xaeB`\x82"  # signature; empty IEND chunk

log = logging.getLogger(__name__)


def read_settings(folder):
    """The crop settings ``prepare.py`` stored in ``folder/prepare.json`` (frames, size, margin, detector), or
    None without the file.

    Raises:
        ValueError: the file is unreadable or not a JSON object (named).
    """
    path = os.path.join(folder, SETTINGS)
    return read_json(path, "preparation settings", dict) if os.path.isfile(path) else None


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
        rows += [
            dict(row, path=os.path.join(folder, row["path"])) for row in read_manifest(path) if row["split"] == split
        ]
    return rows


def rows_by_class(rows):
    """``[real rows, fake rows]`` of ``rows``, for drawing the classes 1:1.

    Raises:
        ValueError: one of the classes has no row.
    """
    by_class = [[r for r in rows if r["label"] == label] for label in (0, 1)]
    if not all(by_class):
        raise ValueError(f"cannot balance classes: {len(by_class[0])} real and {len(by_class[1])} fake examples")
    return by_class


def parse_points(text):
    """The numbers of a ``box`` or ``landmarks`` cell (space-separated) as a list of floats; ``[]`` when empty."""
    return [float(value) for value in (text or "").split()]


def select_frames(rows, frames):
    """At most ``frames`` rows per video, at equal intervals in frame order (all of a video that has fewer).

    Videos keep the order of their first row; each video's rows come out in frame order.
    """
    by_video = {}
    for row in rows:
        by_video.setdefault(row["video"], []).append(row)
    selected = []
    for video_rows in by_video.values():
        video_rows = sorted(video_rows, key=lambda row: row.get("frame") or 0)
        positions = np.linspace(0, len(video_rows) - 1, min(frames, len(video_rows)))
        keep = np.unique(positions.round().astype(int))
        selected += [video_rows[i] for i in keep]
    return selected


def record_path(out_dir, video):
    """Where the outcome of one source video is kept: ``records/<video id>.json``."""
    return os.path.join(out_dir, "records", f"{video}.json")


def load_record(out_dir, video):
    """The stored outcome of ``video`` (a dict with ``status``, ``rows``, ...), or None if there is none.

    A record that does not read as JSON (cut short by a power failure) counts as none, with a warning.
    """
    path = record_path(out_dir, video)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as error:
        log.warning("%s: unreadable record (%s); the video counts as not prepared", path, error)
        return None


def save_record(out_dir, video, outcome, durable=False):
    """Stores the outcome of ``video`` (see :func:`load_record`); ``durable``: flushed to the disk."""
    atomic_write(record_path(out_dir, video), json.dumps(outcome), durable=durable)


def png_is_complete(path):
    """Whether ``path`` is a whole PNG file: the PNG signature first and the end chunk (IEND) last.

    Two small reads, no decoding: it catches a missing file and one cut short, not damage inside.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        return (
            size >= len(PNG_START) + len(PNG_END)
            and os.pread(fd, len(PNG_START), 0) == PNG_START
            and os.pread(fd, len(PNG_END), size - len(PNG_END)) == PNG_END
        )
    finally:
        os.close(fd)


def incomplete_crop(out_dir, outcome):
    """The first crop a stored outcome lists that is missing or not a whole PNG (a path), or None."""
    for row in outcome["rows"]:
        path = os.path.join(out_dir, row["path"])
        if not png_is_complete(path):
            return path
    return None


def all_recorded(out_dir, records):
    """Whether every one of ``records`` (the whole dataset, every shard's videos) has a stored outcome."""
    return all(os.path.isfile(record_path(out_dir, record.video)) for record in records)


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
            failures.append(
                {"video": record.video, "path": record.path, "kind": outcome["status"], "reason": outcome["reason"]}
            )
    atomic_write(os.path.join(out_dir, MANIFEST), csv_text(COLUMNS, rows))
    atomic_write(os.path.join(out_dir, FAILURES), csv_text(FAILURE_COLUMNS, failures))
    return len(rows)
