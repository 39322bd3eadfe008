"""What ``predict.py`` scores: each INPUT is a video, an image or a folder of them (numpy + OpenCV only).

A folder is expanded by :func:`pel_keras.data.media_files.list_media` (the rule of every media reader): every
video below it, every image directly in it and every sub-folder of images (one frame sequence) is an input
of its own, and what it skips is logged with the reason. With ``sequences=True`` the images directly in a
folder are one frame sequence (one video). A file named directly is always tried.
"""

import dataclasses
import logging
import os

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.media_files import MediaError, list_media, media_kind, os_reason
from pel_keras.data.video import sample_frames

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class MediaInput:
    """One thing to score.

    Attributes:
        path: as the user gave it (or joined below the folder they gave).
        name: a short unique relative name (path below the inputs' common folder), for output files.
        kind: ``video``, ``image``, ``frames`` (a folder of frame images) or ``folder`` (nothing in it).
    """

    path: str
    name: str
    kind: str


def _expand(path, sequences):
    """``[(path, kind)]`` of one INPUT."""
    if not os.path.isdir(path):
        return [(path, media_kind(path))]
    listing = list_media(path, sequences)
    for skipped, reason in listing.skipped:
        log.warning("%s: skipped: %s", skipped, reason)
    return [(p, media_kind(p)) for p in listing.media] or [(path, "folder")]


def expand_inputs(paths, sequences=False):
    """The :class:`MediaInput` list for the user's INPUT paths, in order, each file once.

    Missing paths are kept (reading them reports the problem for that input alone).
    """
    expanded = dict(item for path in paths for item in _expand(os.fspath(path), sequences))
    if not expanded:
        return []
    absolute = [os.path.abspath(p) for p in expanded]
    root = os.path.commonpath([os.path.dirname(p) for p in absolute])
    return [MediaInput(p, os.path.relpath(a, root), kind) for (p, kind), a in zip(expanded.items(), absolute)]


def _empty_folder(path):
    """Why the folder ``path`` gave nothing to read."""
    try:
        os.listdir(path)
    except OSError as error:
        return os_reason(error)
    return "no videos or images in this folder"


def read_frames(item, num_frames, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """``[(index, BGR frame)]`` of ``item``: ``num_frames`` at equal intervals for a video or a frame folder.

    Raises:
        MediaError: the input cannot be read (the operating system's reason), is empty, does not decode or
            is above ``max_megapixels``; the message names it.
    """
    if item.kind == "folder":
        raise MediaError(f"{item.path}: {_empty_folder(item.path)}")
    return sample_frames(item.path, num_frames, max_megapixels)
