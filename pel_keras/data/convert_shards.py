"""A PNG preparation -> TFRecord shards (:mod:`pel_keras.data.shards`), without detecting anything again.

The crops' PNG bytes are copied into the records as they are, so the examples a reader decodes are the very
pixels of the PNG folder. The shards and their index are written into a temporary folder, flushed, and that
folder replaces ``tfrecord/`` whole: a run stopped half-way (killed, a full disk, a bad crop) leaves the
previous shards and index as they were, or none. The disk needs room for the old shards and the new at once.
"""

import math
import os

import tensorflow as tf

from pel_keras.data import output_folder
from pel_keras.data.datasets.source_records import SPLITS
from pel_keras.data.manifest import MANIFEST, png_is_complete, read_manifest
from pel_keras.data.shards import DEFAULT_EXAMPLES_PER_SHARD, FOLDER, INDEX, dump_index, file_sha1, shard_name
from pel_keras.data.tfrecord_example import example_bytes
from pel_keras.files.atomic import atomic_output, fsync_path


def convert(out_dir, examples_per_shard=DEFAULT_EXAMPLES_PER_SHARD):
    """Writes the shards of the preparation ``out_dir`` (``DATA_DIR/<tag>``) from its manifest and crops.

    Holds the lock of the files every ``prepare.py`` shard rewrites, so the manifest cannot change under it.

    Returns:
        The index's shard entries (see :func:`pel_keras.data.shards.read_index`).

    Raises:
        FileNotFoundError: ``out_dir`` has no ``manifest.csv``.
        ValueError: a crop the manifest lists is missing or not a whole PNG (named).
        DiskFullError: the disk filled up; the shards and index there before are kept.
    """
    if examples_per_shard < 1:
        raise ValueError(f"examples_per_shard must be >= 1, got {examples_per_shard}")
    if not os.path.isfile(os.path.join(out_dir, MANIFEST)):
        raise FileNotFoundError(f"{os.path.join(out_dir, MANIFEST)} does not exist: prepare the dataset first")
    with output_folder.shared_files(out_dir):
        return write_shards(out_dir, examples_per_shard)


def write_shards(out_dir, examples_per_shard):
    """:func:`convert` for a caller that holds the shared-files lock of ``out_dir`` already."""
    manifest = os.path.join(out_dir, MANIFEST)
    groups = {}
    for row in read_manifest(manifest):
        groups.setdefault((SPLITS.index(row["split"]), row["label"]), []).append(row)
    shards = []
    with atomic_output(os.path.join(out_dir, FOLDER), durable=True) as folder:
        os.makedirs(folder)
        for (split, label), rows in sorted(groups.items()):
            count = math.ceil(len(rows) / examples_per_shard)
            for number in range(count):
                part = rows[number * examples_per_shard : (number + 1) * examples_per_shard]
                name = shard_name(SPLITS[split], label, number, count)
                size = _write_shard(os.path.join(folder, name), out_dir, part, manifest)
                shards.append(
                    {"file": name, "split": SPLITS[split], "label": label, "examples": len(part), "bytes": size}
                )
        with open(os.path.join(folder, INDEX), "w") as f:
            f.write(dump_index(shards, file_sha1(manifest), examples_per_shard))
            os.fsync(f.fileno())
    return shards


def _write_shard(path, out_dir, rows, manifest):
    """Writes the records of ``rows`` to ``path``, flushed to the disk; returns its size in bytes."""
    with tf.io.TFRecordWriter(path) as writer:
        for row in rows:
            writer.write(example_bytes(row, _png_bytes(out_dir, row, manifest)))
    fsync_path(path)
    return os.path.getsize(path)


def _png_bytes(out_dir, row, manifest):
    path = os.path.join(out_dir, row["path"])
    if not png_is_complete(path):
        raise ValueError(
            f"{path}: missing or not a whole PNG, though {manifest} lists it; run prepare.py again "
            "(it prepares that video again), then convert"
        )
    with open(path, "rb") as f:
        return f.read()
