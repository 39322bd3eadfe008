"""One reader per raw dataset layout, each returning a list of :class:`Record` (REFERENCE §2 layouts)."""

import os

from pel_keras.data.datasets.celebdf import read_celebdf
from pel_keras.data.datasets.dfdc import read_dfdc
from pel_keras.data.datasets.dfdcp import read_dfdcp
from pel_keras.data.datasets.ffpp import COMPRESSIONS, FFPP_METHODS, read_dfd, read_ffpp
from pel_keras.data.datasets.folder import read_folder
from pel_keras.data.datasets.source_records import FAKE, REAL, Record
from pel_keras.data.datasets.wilddeepfake import read_wilddeepfake

DATASETS = ("ffpp", "dfd", "celebdf", "dfdc", "dfdcp", "wilddeepfake", "folder")
# Datasets released at several compressions: their tags name it, ``<name>_<compression>``.
COMPRESSED = ("ffpp", "dfd")

__all__ = [
    "COMPRESSIONS",
    "DATASETS",
    "FAKE",
    "FFPP_METHODS",
    "REAL",
    "Record",
    "check_ids",
    "compression_of",
    "dataset_tag",
    "other_compressions",
    "read_dataset",
]


def read_dataset(name, root, compression="c23", methods=FFPP_METHODS, val_fraction=0.1):
    """The records of dataset ``name`` laid out under ``root``.

    Args:
        name: one of :data:`DATASETS`.
        root: the raw dataset's top folder.
        compression: FF++ / DFD quality folder (``raw``, ``c23``, ``c40``).
        methods: FF++ manipulation methods to include (FaceShifter on request).
        val_fraction: share of the training sources carved into ``val`` (DFDC, DFDC preview, WildDeepfake).
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"dataset root not found: expected a folder at {root}")
    readers = {
        "ffpp": lambda: read_ffpp(root, compression, methods),
        "dfd": lambda: read_dfd(root, compression),
        "celebdf": lambda: read_celebdf(root),
        "dfdc": lambda: read_dfdc(root, val_fraction),
        "dfdcp": lambda: read_dfdcp(root, val_fraction),
        "wilddeepfake": lambda: read_wilddeepfake(root, val_fraction),
        "folder": lambda: read_folder(root),
    }
    if name not in readers:
        raise ValueError(f"unknown dataset {name!r}; known: {list(DATASETS)}")
    records = readers[name]()
    check_ids(records)
    return records


def check_ids(records):
    """Raises ValueError when two records share a video id or one id is a folder of another: the ids
    name crop folders, which must neither collide nor nest."""
    seen, folders = {}, set()
    for record in records:
        if record.video in seen:
            raise ValueError(f"video id {record.video!r} given to both {seen[record.video]} and {record.path}")
        seen[record.video] = record.path
        parts = record.video.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    nested = sorted(folders & set(seen))
    if nested:
        raise ValueError(
            f"video id {nested[0]!r} ({seen[nested[0]]}) is also a folder of other ids; "
            "move the media below it into a folder of their own"
        )


def dataset_tag(name, root, compression="c23"):
    """The output folder name: ``ffpp_c23``, ``dfd_c40``, ``celebdf``, ..., or the user folder's name."""
    if name in COMPRESSED:
        return f"{name}_{compression}"
    if name == "folder":
        return os.path.basename(os.path.normpath(root))
    return name


def compression_of(tag):
    """The compression a dataset tag names (``dfd_c40`` -> ``c40``), or None (a dataset of one release)."""
    name, _, compression = tag.rpartition("_")
    return compression if name in COMPRESSED and compression in COMPRESSIONS else None


def other_compressions(tag):
    """The tags of the same dataset at the other compressions, nearest in quality first (the better one of
    two as near): ``dfd_c40`` -> ``dfd_c23``, ``dfd_raw``; ``dfd_c23`` -> ``dfd_raw``, ``dfd_c40``; none for
    a tag that names no compression."""
    compression = compression_of(tag)
    if compression is None:
        return []
    name, here = tag[: -len(compression) - 1], COMPRESSIONS.index(compression)
    others = sorted((c for c in COMPRESSIONS if c != compression), key=lambda c: abs(COMPRESSIONS.index(c) - here))
    return [f"{name}_{c}" for c in others]
