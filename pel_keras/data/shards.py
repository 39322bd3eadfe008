"""Sharded record files of a preparation: ``DATA_DIR/<tag>/tfrecord/``, the crops as TFRecord shards.

Each shard holds the crops of one split and one class (``train-fake-00003-of-00012.tfrecord``), in the
manifest's order, as ``tf.train.Example`` records (:mod:`pel_keras.data.tfrecord_example`): the PNG file's
bytes as they are (lossless, the same bytes the PNG folder holds), and the manifest row's ``path`` (the key
that ties a record to its row), ``label``, ``video``, ``frame``, ``split``, ``source``, ``box`` and
``landmarks``. One class per shard lets training draw real and fake 1:1 without reading either class's bytes
twice, and lets ``tf.distribute`` give every worker whole files.

``index.json`` (written last, by :mod:`pel_keras.data.convert_shards`) lists every shard with its split,
class, number of examples and size, and the SHA-1 of the ``manifest.csv`` the shards were made from:
``manifest.csv`` stays the index of the examples, and a reader refuses shards older than it.

This module does not import TensorFlow (``prepare.py`` and its workers import it).
"""

import hashlib
import json
import os

from pel_keras.data.datasets.source_records import read_json
from pel_keras.data.manifest import MANIFEST

FOLDER, INDEX = "tfrecord", "index.json"
CLASS_NAMES = ("real", "fake")
DEFAULT_EXAMPLES_PER_SHARD = 1000  # ~150 MB of 320x320 PNG crops: large reads, and files to spread on workers


def index_path(out_dir):
    """Where the shard index of the preparation ``out_dir`` (``DATA_DIR/<tag>``) is."""
    return os.path.join(out_dir, FOLDER, INDEX)


def shard_name(split, label, number, count):
    """``train-fake-00003-of-00012.tfrecord`` (``number`` counts from 0)."""
    return f"{split}-{CLASS_NAMES[label]}-{number:05d}-of-{count:05d}.tfrecord"


def file_sha1(path):
    """The SHA-1 of a file's bytes, in hex."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_index(path):
    """The shard index at ``path``, checked against the files it names and the manifest beside them.

    Returns:
        The index: a dict with ``manifest_sha1``, ``examples_per_shard`` and ``shards`` (dicts with ``file``,
        absolute here, ``split``, ``label``, ``examples`` and ``bytes``).

    Raises:
        ValueError: the index does not read, a shard is missing or not of the size the index gives, or
            ``manifest.csv`` changed since the shards were written (the message says to convert again).
    """
    index = read_json(path, "shard index", dict)
    folder = os.path.dirname(os.path.abspath(path))
    manifest = os.path.join(os.path.dirname(folder), MANIFEST)
    again = f"write them again: python convert_shards.py --data={os.path.dirname(folder)}"
    if not os.path.isfile(manifest) or file_sha1(manifest) != index["manifest_sha1"]:
        raise ValueError(f"{path}: the shards were made from another {manifest} than the one there; {again}")
    for shard in index["shards"]:
        shard["file"] = os.path.join(folder, shard["file"])
        size = os.path.getsize(shard["file"]) if os.path.isfile(shard["file"]) else None
        if size != shard["bytes"]:
            found = "missing" if size is None else f"{size} bytes, the index says {shard['bytes']}"
            raise ValueError(f"{shard['file']}: {found}; {again}")
    return index


def split_files(index, split, labels=(0, 1)):
    """The shard files of ``split`` holding the classes ``labels``, in the index's order."""
    return [s["file"] for s in index["shards"] if s["split"] == split and s["label"] in labels]


def dump_index(shards, manifest_sha1, examples_per_shard):
    """The text of an index file (see :func:`read_index`), shard files named relative to the index."""
    return json.dumps(
        {"manifest_sha1": manifest_sha1, "examples_per_shard": examples_per_shard, "shards": shards}, indent=1
    )
