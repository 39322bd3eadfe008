"""What ``predict.py`` scores: each INPUT is a video, an image or a folder of them (numpy + OpenCV only).

A folder is expanded by :func:`pel_keras.data.video.list_media` (the ``folder`` dataset's rule): every
video below it, every image directly in it and every sub-folder of images (one frame sequence) is an input
of its own. With ``sequences=True`` a folder of images is itself one frame sequence (one video).
"""

import dataclasses
import os

from pel_keras.data.video import MediaError, is_image, list_images, list_media, sample_frames


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


def _kind(path):
    if os.path.isdir(path):
        return "frames" if list_images(path) else "folder"
    return "image" if is_image(path) else "video"


def _expand(path, sequences):
    if not os.path.isdir(path) or (sequences and list_images(path)):
        return [path]
    return list_media(path) or [path]


def expand_inputs(paths, sequences=False):
    """The :class:`MediaInput` list for the user's INPUT paths, in order, each file once.

    Missing paths are kept (reading them reports the problem for that input alone).
    """
    expanded = list(dict.fromkeys(p for path in paths for p in _expand(os.fspath(path), sequences)))
    if not expanded:
        return []
    absolute = [os.path.abspath(p) for p in expanded]
    root = os.path.commonpath([os.path.dirname(p) for p in absolute])
    return [MediaInput(p, os.path.relpath(a, root), _kind(p)) for p, a in zip(expanded, absolute)]


def read_frames(item, num_frames):
    """``[(index, BGR frame)]`` of ``item``: ``num_frames`` at equal intervals for a video or a frame folder.

    Raises:
        MediaError: the input is missing, empty or does not decode; the message names it.
    """
    if not os.path.exists(item.path):
        raise MediaError(f"{item.path}: no such file or folder")
    if item.kind == "folder":
        raise MediaError(f"{item.path}: no videos or images in this folder")
    return sample_frames(item.path, num_frames)
