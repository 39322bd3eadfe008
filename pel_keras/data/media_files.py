"""Which files are media: one rule for ``predict.py``, ``prepare.py``'s ``folder`` dataset, the edge
predictor, ``visualize.py`` and the demo's ``--real_dir`` (docs/reliability.md, "Which files are media").

- The extension decides the kind: :data:`IMAGE_EXTENSIONS` are images, :data:`VIDEO_EXTENSIONS` videos
  (an animated GIF is a clip: a GIF is a video, read with all its frames), a folder of images is a frame
  sequence.
- A file named directly is always tried: one with another extension is read as a video (FFmpeg recognises
  most formats by their content).
- A folder lists its media (:func:`list_media`) and says what it skipped and why: files of another
  extension, sub-folders it cannot read, links to folders (not followed, so a loop cannot trap the walk).
  Hidden names (starting with ``.``: ``.DS_Store``, macOS's ``._clip.mp4``, this project's temporary files)
  are not content and are passed over in silence.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import dataclasses
import os

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".gif")


class MediaError(RuntimeError):
    """A file that cannot be read as the video or image it should be (the message names it and says why)."""


def is_image(path):
    """True when ``path`` has an image file extension."""
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def is_video(path):
    """True when ``path`` has a video file extension (GIF included)."""
    return str(path).lower().endswith(VIDEO_EXTENSIONS)


def is_hidden(name):
    """True for a hidden file or folder name, which a folder's listing passes over."""
    return os.path.basename(name).startswith(".")


def media_kind(path):
    """How ``path`` is read: ``frames`` (a folder of frame images), ``image`` or ``video`` (any other file)."""
    if os.path.isdir(path):
        return "frames"
    return "image" if is_image(path) else "video"


def os_reason(error):
    """An ``OSError``'s own words as a reason (``permission denied``, ``too many levels of symbolic links``)."""
    words = error.strerror or str(error)
    return words[:1].lower() + words[1:]


def list_images(directory):
    """The image files directly inside ``directory`` (hidden ones left out), sorted by name.

    Raises:
        MediaError: ``directory`` cannot be listed (the reason is the operating system's).
    """
    try:
        names = sorted(n for n in os.listdir(directory) if is_image(n) and not is_hidden(n))
    except OSError as error:
        raise MediaError(f"{directory}: {os_reason(error)}") from None
    return [os.path.join(directory, n) for n in names]


@dataclasses.dataclass(frozen=True)
class Listing:
    """What a folder holds.

    Attributes:
        media: the paths to read, each on its own, sorted.
        skipped: ``(path, reason)`` of every file or folder below it that is not read, sorted.
    """

    media: list
    skipped: list


def _not_media(path):
    extension = os.path.splitext(path)[1]
    return f"not a media file ({'extension ' + extension if extension else 'no extension'}); name it directly to try it"


def list_media(directory, sequences=False):
    """The media of a folder, each to be read on its own (see the module's rule).

    Every video file below ``directory`` (at any depth), every image lying directly in it, and every
    sub-folder that directly holds images (one frame sequence). With ``sequences``, the images lying
    directly in ``directory`` are one frame sequence too (``directory`` itself) instead of one item each.

    Returns:
        A :class:`Listing`.
    """
    media, skipped = [], []

    def unreadable(error):
        skipped.append((error.filename, os_reason(error)))

    for folder, subfolders, names in os.walk(directory, onerror=unreadable):
        subfolders[:] = [d for d in subfolders if not is_hidden(d)]
        skipped += [
            (os.path.join(folder, d), "a link to a folder (not followed)")
            for d in subfolders
            if os.path.islink(os.path.join(folder, d))
        ]
        files = [os.path.join(folder, n) for n in names if not is_hidden(n)]
        images = [f for f in files if is_image(f)]
        media += [f for f in files if is_video(f)]
        if images:
            media += [folder] if folder != directory or sequences else images
        skipped += [(f, _not_media(f)) for f in files if not (is_image(f) or is_video(f))]
    return Listing(sorted(media), sorted(skipped))
