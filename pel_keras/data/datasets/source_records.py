"""The record every dataset reader returns, and the helpers the readers share."""

import dataclasses
import errno
import hashlib
import json
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
    """Returns ``path`` if it exists, else raises an error naming the file or folder expected.

    Raises:
        FileNotFoundError: nothing usable at ``path``; a broken symbolic link or a link loop is named so.
    """
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ENOENT and os.path.islink(path):
            reason = f" (a symbolic link to {os.readlink(path)}, which does not exist)"
        else:
            reason = "" if error.errno == errno.ENOENT else f" ({error.strerror})"
        raise FileNotFoundError(f"{what} not found: expected {path}{reason}") from None
    return path


def read_text(path, what):
    """The text of the list or metadata file ``path`` (UTF-8; a leading byte-order mark is dropped).

    Raises:
        ValueError: it cannot be read (a folder, no permission) or is not UTF-8 text; names the file and why.
    """
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{what} {path} is not UTF-8 text (byte {error.start}: {error.reason})") from None
    except OSError as error:
        raise ValueError(f"{what} {path} cannot be read: {error.strerror}") from None


def read_json(path, what, kind):
    """The JSON value in ``path``, which must be of type ``kind`` (``dict`` for an object, ``list``).

    Raises:
        ValueError: the file cannot be read, is not JSON (where it breaks is given) or holds another type.
    """
    text = read_text(path, what)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise ValueError(f"{what} {path} holds a JSON {type(value).__name__}, expected {expected}")
    return value


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
