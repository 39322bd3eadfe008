"""Frame sampling from videos, image sequences and single images (numpy + OpenCV only).

Implements the paper's "N frames sampled at equal intervals" per video (Gu et al., AAAI 2022, §4.1)
over the frames that really decode. Seeking with ``CAP_PROP_POS_FRAMES`` can land several frames off
and ``CAP_PROP_FRAME_COUNT`` can overstate what decodes, so videos are read sequentially with
``grab()`` and only the wanted frames are ``retrieve()``-d; when the decoded count turns out to differ
from the container's claim, the video is read again with the true count. Every file is opened through
:mod:`pel_keras.data.decoding`: a file that cannot be read says why, and one whose frames are above the
pixel limit is refused before it is decoded. Which files are what is :mod:`pel_keras.data.media_files`'s rule.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import cv2
import numpy as np

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, decode_image, open_video, probe, read_image
from pel_keras.data.media_files import MediaError, list_images, media_kind


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


def _read_wanted(capture, wanted):
    """One sequential pass over an opened ``capture`` (released after): returns ({index: BGR frame} for
    ``wanted``, number of frames decoded)."""
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


def sample_video(path, num_frames, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """Reads ``num_frames`` BGR frames at equal intervals over the frames of ``path`` that decode.

    Args:
        path: a video file.
        num_frames: how many frames to return at most.
        max_megapixels: a video whose frames have more pixels is refused before any is read.

    Returns:
        A list of ``(frame_index, frame)`` pairs, ``frame`` a ``(H, W, 3)`` uint8 BGR array.

    Raises:
        MediaError: the file cannot be read, does not open as a video, has too large frames or no frame
            that decodes.
    """
    capture = open_video(path, max_megapixels)
    claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = sample_indices(claimed, num_frames) if claimed > 0 else []
    frames, decoded = _read_wanted(capture, set(wanted))
    if decoded != claimed:  # the container's count was wrong: pick again over what decodes
        wanted = sample_indices(decoded, num_frames)
        frames, decoded = _read_wanted(open_video(path, max_megapixels), set(wanted))
    if not frames:
        raise MediaError(f"{path}: no frame decodes (container claims {claimed} frames)")
    return [(i, frames[i]) for i in wanted if i in frames]


def _frame_images(directory):
    """``[(path, header)]`` of the images in ``directory`` (sorted by name) that can be read and whose
    header is a known image format."""
    frames = []
    for path in list_images(directory):
        try:
            header = probe(path)
        except MediaError:
            continue
        if header is not None:
            frames.append((path, header))
    if not frames:
        raise MediaError(f"{directory}: no readable image in this folder")
    return frames


def sample_image_sequence(directory, num_frames, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """Like :func:`sample_video` for a folder of frame images (sorted by name).

    Files that cannot be read or whose header is no known image format are left out before sampling, so
    the intervals are over readable frames; a sampled image that still fails to decode (truncated data) is
    dropped, and one above ``max_megapixels`` refuses the sequence.
    """
    frames = _frame_images(directory)
    picked = [(i, decode_image(*frames[i], max_megapixels)) for i in sample_indices(len(frames), num_frames)]
    picked = [(i, frame) for i, frame in picked if frame is not None]
    if not picked:
        raise MediaError(f"{directory}: none of the sampled images decodes")
    return picked


def read_frame(path, index=0, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """Frame ``index`` (BGR) of a video or of a folder of frame images (sorted by name); an image file is
    its own frame whatever ``index`` is.

    Raises:
        MediaError: the file or folder cannot be read or does not decode, or has no frame ``index``.
    """
    kind = media_kind(path)
    if kind == "image":
        return read_image(path, max_megapixels)
    if kind == "frames":
        images = _frame_images(path)
        frames = {index: decode_image(*images[index], max_megapixels)} if 0 <= index < len(images) else {}
        available = len(images)
    else:
        frames, available = _read_wanted(open_video(path, max_megapixels), {index})
    if frames.get(index) is None:
        raise MediaError(f"{path}: has no decodable frame {index} ({available} frames)")
    return frames[index]


def sample_frames(path, num_frames, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """Samples BGR frames from a video file, a folder of frame images or a single image (the kind is
    :func:`~pel_keras.data.media_files.media_kind`'s).

    Returns ``(frame_index, frame)`` pairs (a single image gives ``[(0, image)]``).

    Raises:
        MediaError: the input cannot be read or decoded, or its frames are above ``max_megapixels``.
    """
    kind = media_kind(path)
    if kind == "frames":
        return sample_image_sequence(path, num_frames, max_megapixels)
    if kind == "image":
        return [(0, read_image(path, max_megapixels))]
    return sample_video(path, num_frames, max_megapixels)
