"""FaceForensics++ and DeepFakeDetection (DFD), both read from the FF++ release's tree.

FF++ (Rössler et al., ICCV 2019): ``original_sequences/youtube/<comp>/videos/NNN.mp4`` and
``manipulated_sequences/<Method>/<comp>/videos/TTT_SSS.mp4``, split by the official pair lists shipped in
``pel_keras/data/splits/`` (MIT, see its NOTICE). DFD: ``original_sequences/actors/<comp>/videos/`` and
``manipulated_sequences/DeepFakeDetection/<comp>/videos/``, used as a test set only.
"""

import importlib.resources
import logging
import os

from pel_keras.data.datasets.source_records import FAKE, REAL, SPLITS, Record, list_files, read_json, require, stem
from pel_keras.data.media_files import is_video

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")  # the paper's four
FFPP_ALL_METHODS = FFPP_METHODS + ("FaceShifter",)
COMPRESSIONS = ("raw", "c23", "c40")

log = logging.getLogger(__name__)


def read_pairs(path):
    """The ``[[target, source], ...]`` id pairs of one official split file (``train.json``, ...).

    Raises:
        ValueError: the file is no JSON list of pairs of ids; the message names it and the first bad item.
    """
    pairs = read_json(path, "FF++ split list", list)
    for item in pairs:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)):
            raise ValueError(f'FF++ split list {path} holds {item!r}, expected pairs of ids such as ["071", "054"]')
    return pairs


def official_splits():
    """``{video id: split}`` for every FF++ real (``"000"``) and fake (``"000_003"``) video id."""
    table, folder = {}, importlib.resources.files("pel_keras.data") / "splits"
    for split in SPLITS:
        with importlib.resources.as_file(folder / f"{split}.json") as path:
            pairs = read_pairs(path)
        for a, b in pairs:
            table.update({a: split, b: split, f"{a}_{b}": split, f"{b}_{a}": split})
    return table


def _videos(root, *parts):
    directory = require(os.path.join(root, *parts, "videos"), f"{'/'.join(parts[:2])} videos folder")
    return list_files(directory, is_video)


def _check_compression(compression):
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")


def read_ffpp(root, compression="c23", methods=FFPP_METHODS):
    """Records of FF++ at one compression (``raw``, ``c23`` = HQ, ``c40`` = LQ) for the given methods.

    Video ids: ``youtube/000`` for reals, ``<Method>/000_003`` for fakes. A file whose id is in no official
    split is logged and left out.
    """
    _check_compression(compression)
    unknown = [m for m in methods if m not in FFPP_ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown FF++ methods {unknown}; known: {list(FFPP_ALL_METHODS)}")
    splits = official_splits()
    sources = [("youtube", REAL, ("original_sequences", "youtube", compression))]
    sources += [(m, FAKE, ("manipulated_sequences", m, compression)) for m in methods]
    records = []
    for source, label, parts in sources:
        for path in _videos(root, *parts):
            if stem(path) not in splits:
                log.warning("%s: id %r is in no official FF++ split; left out", path, stem(path))
                continue
            records.append(Record(path, label, splits[stem(path)], f"{source}/{stem(path)}", source))
    return records


def read_dfd(root, compression="c23"):
    """Records of DeepFakeDetection (all ``test``): ids ``actors/<name>`` and ``DeepFakeDetection/<name>``."""
    _check_compression(compression)
    sources = [
        ("actors", REAL, ("original_sequences", "actors", compression)),
        ("DeepFakeDetection", FAKE, ("manipulated_sequences", "DeepFakeDetection", compression)),
    ]
    return [
        Record(path, label, "test", f"{source}/{stem(path)}", source)
        for source, label, parts in sources
        for path in _videos(root, *parts)
    ]
