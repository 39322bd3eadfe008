"""The record every dataset reader returns, and the helpers the readers share."""

import dataclasses
import hashlib
import os

REAL, FAKE = 0, 1
SPLITS = ("train", "val", "test")


@dataclasses.dataclass(frozen=True)
class Record:
    """One source video (or frame-image sequence, or image) of a dataset.

    Attributes:
        path: the video file, the folder of frame images, or the image.
        label: 1 = fake, 0 = real.
        split: ``train``, ``val`` or ``test``.
        video: an id unique to this source within the dataset, e.g. ``Deepfakes/000_003``; it names the
            crop folder and groups frames into video-level scores.
        source: where it comes from (manipulation method, or the real footage's origin).
    """

    path: str
    label: int
    split: str
    video: str
    source: str


def require(path, what):
    """Returns ``path`` if it exists, else raises an error naming the file or folder expected."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: expected {path}")
    return path


def list_files(directory, predicate):
    """Sorted paths of the files directly inside ``directory`` whose name satisfies ``predicate``."""
    return [os.path.join(directory, n) for n in sorted(os.listdir(directory)) if predicate(n)]


def stem(path):
    """The file name without folder and extension."""
    return os.path.splitext(os.path.basename(path))[0]


def stable_fraction(key):
    """A number in [0, 1) fixed by ``key`` alone (same on every machine, Python and run)."""
    return int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big") / 2**64


def carve_val(key, fraction):
    """``val`` for about ``fraction`` of the keys, ``train`` for the rest, decided by the key alone.

    Deciding by a hash, not by position in a listing, keeps a video's split fixed when files are
    added and lets shards on different machines agree without seeing each other's files.
    """
    return "val" if stable_fraction(key) < fraction else "train"
