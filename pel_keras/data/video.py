"""Frame sampling from videos, image sequences and single images (numpy + OpenCV only).

Implements the paper's "N frames sampled at equal intervals" per video (Gu et al., AAAI 2022, §4.1)
over the frames that really decode. Seeking with ``CAP_PROP_POS_FRAMES`` can land several frames off
and ``CAP_PROP_FRAME_COUNT`` can overstate what decodes, so videos are read sequentially with
``grab()`` and only the wanted frames are ``retrieve()``-d; when the decoded count turns out to differ
from the container's claim, the video is read again with the true count.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import os

import cv2
import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")


class MediaError(RuntimeError):
    """A file that cannot be read as the video or image it should be (the message says why)."""


def is_image(path):
    """True when ``path`` has an image file extension."""
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def is_video(path):
    """True when ``path`` has a video file extension."""
    return str(path).lower().endswith(VIDEO_EXTENSIONS)


def sample_indices(total, num_frames):
    """Indices of ``num_frames`` frames at equal intervals over ``total`` frames.

    The first and the last frame are always included; a shorter video gives all of its frames.

    Example:
        >>> sample_indices(10, 4)
        [0, 3, 6, 9]
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if total <= num_frames:
        return list(range(total))
    return np.linspace(0, total - 1, num_frames).round().astype(int).tolist()


def _read_wanted(path, wanted):
    """One sequential pass: returns ({index: BGR frame} for ``wanted``, number of frames decoded)."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"{path}: OpenCV cannot open it as a video")
    frames, index = {}, 0
    try:
        while capture.grab():
            if index in wanted:
                ok, frame = capture.retrieve()
                if ok and frame is not None:
                    frames[index] = frame
            index += 1
    finally:
        capture.release()
    return frames, index


def sample_video(path, num_frames):
    """Reads ``num_frames`` BGR frames at equal intervals over the frames of ``path`` that decode.

    Args:
        path: a video file.
        num_frames: how many frames to return at most.

    Returns:
        A list of ``(frame_index, frame)`` pairs, ``frame`` a ``(H, W, 3)`` uint8 BGR array.

    Raises:
        MediaError: the file does not open as a video or no frame decodes.
    """
    if not os.path.isfile(path):
        raise MediaError(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise MediaError(f"{path}: empty file")
    capture = cv2.VideoCapture(str(path))
    claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    wanted = sample_indices(claimed, num_frames) if claimed > 0 else []
    frames, decoded = _read_wanted(path, set(wanted))
    if decoded != claimed:  # the container's count was wrong: pick again over what decodes
        wanted = sample_indices(decoded, num_frames)
        frames, decoded = _read_wanted(path, set(wanted))
    if not frames:
        raise MediaError(f"{path}: no frame decodes (container claims {claimed} frames)")
    return [(i, frames[i]) for i in wanted if i in frames]


def list_images(directory):
    """The image files directly inside ``directory``, sorted by name."""
    names = sorted(n for n in os.listdir(directory) if is_image(n))
    return [os.path.join(directory, n) for n in names]


def sample_image_sequence(directory, num_frames):
    """Like :func:`sample_video` for a folder of frame images (sorted by name).

    Files whose header is no known image format are left out before sampling, so the intervals are
    over readable frames; a sampled image that still fails to decode (truncated file) is dropped.
    """
    readable = [p for p in list_images(directory) if cv2.haveImageReader(p)]
    if not readable:
        raise MediaError(f"{directory}: no readable image in this folder")
    picked = [(i, cv2.imread(readable[i], cv2.IMREAD_COLOR)) for i in sample_indices(len(readable), num_frames)]
    picked = [(i, frame) for i, frame in picked if frame is not None]
    if not picked:
        raise MediaError(f"{directory}: none of the sampled images decodes")
    return picked


def sample_frames(path, num_frames):
    """Samples BGR frames from a video file, a folder of frame images or a single image.

    Returns ``(frame_index, frame)`` pairs (a single image gives ``[(0, image)]``).
    """
    if os.path.isdir(path):
        return sample_image_sequence(path, num_frames)
    if is_image(path):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR) if os.path.isfile(path) else None
        if image is None:
            raise MediaError(f"{path}: cannot be decoded as an image")
        return [(0, image)]
    return sample_video(path, num_frames)
