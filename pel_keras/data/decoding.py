"""Opening an image or a video for decoding, after the checks that need no decoding (numpy + OpenCV only).

Before OpenCV sees a file: the operating system's own reason when it cannot be read (no such file,
permission denied, a symbolic-link loop), then the pixel size, against a limit in megapixels, from the
header (:mod:`pel_keras.data.image_header`) or, for a video, from the stream OpenCV opened, before any
frame is read. A file above the limit is refused, not downscaled: a PNG, a lossless WebP or a TIFF cannot
be decoded at a lower resolution (OpenCV's ``IMREAD_REDUCED_*`` decodes them whole, then shrinks), and a
shrunken image would hide the very pixel traces the detector looks for.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import os
import stat

import cv2

from pel_keras.data.image_header import FORMATS, HeaderError, read_image_size
from pel_keras.data.media_files import MediaError, os_reason

# 50 megapixels: the largest photos of common cameras and phones (8160x6120) and every video up to 8K
# (33 MP) pass; decoding one takes about 150 MB (3 bytes a pixel), scoring it a few times that.
DEFAULT_MAX_MEGAPIXELS = 50.0
# The lowest limit the flags accept: 100x100 pixels.
MAX_MEGAPIXELS_FLOOR = 0.01
MAX_MEGAPIXELS_HELP = (
    "Refuse an image or video frame of more megapixels than this, read from the file's header "
    "before decoding (a small file can declare a huge image: a decompression bomb)."
)


def check_pixels(path, width, height, max_megapixels):
    """Raises :class:`MediaError` naming ``path``, its size and the flag when it has too many pixels."""
    if width * height > max_megapixels * 1e6:
        raise MediaError(
            f"{path}: {width}x{height} pixels ({width * height / 1e6:.3g} megapixels) is above the limit of "
            f"{max_megapixels:g} megapixels, checked before decoding; raise --max_megapixels if you trust this file "
            "(decoding takes 3 bytes a pixel)"
        )


def probe(path):
    """The image header of the regular file ``path``, after the checks the operating system makes.

    Returns:
        ``(format, width, height)`` (see :func:`~pel_keras.data.image_header.read_image_size`), or None
        when the file is in no format of :data:`~pel_keras.data.image_header.FORMATS` (a video, say).

    Raises:
        MediaError: ``path`` cannot be opened and read (the operating system's reason), is no regular
            file, is empty, or has a cut-short header.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block or never end
            raise MediaError(f"{path}: not a regular file")
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise MediaError(f"{path}: empty file")
            return read_image_size(file)
    except OSError as error:
        raise MediaError(f"{path}: {os_reason(error)}") from None
    except HeaderError as error:
        raise MediaError(f"{path}: {error}") from None


def decode_image(path, header, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """The BGR image of ``path`` whose :func:`probe` gave ``header``, or None when its data do not decode.

    Raises:
        MediaError: the header's size is above ``max_megapixels``.
    """
    check_pixels(path, header[1], header[2], max_megapixels)
    return cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)


def read_image(path, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """The BGR image in ``path`` (``(H, W, 3)`` uint8), decoded only when its header allows.

    Raises:
        MediaError: the file cannot be read, is no image of a known format, has more than
            ``max_megapixels`` megapixels, or does not decode (truncated data).
    """
    header = probe(path)
    if header is None:
        raise MediaError(f"{path}: not an image in a format whose size can be checked ({', '.join(FORMATS)})")
    image = decode_image(path, header, max_megapixels)
    if image is None:
        raise MediaError(f"{path}: cannot be decoded as an image")
    return image


def open_video(path, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """An opened ``cv2.VideoCapture`` of ``path`` whose frames are within ``max_megapixels``.

    An image format inside the file (a GIF, or a PNG under another name) is checked from its header before
    FFmpeg opens it; every stream's size is then checked as OpenCV reports it, before a frame is read
    (OpenCV returns every frame at that size).

    Raises:
        MediaError: the file cannot be read, OpenCV cannot open it, or its frames are too large.
    """
    header = probe(path)
    if header is not None:
        check_pixels(path, header[1], header[2], max_megapixels)
    capture = cv2.VideoCapture(os.fspath(path))
    if not capture.isOpened():
        raise MediaError(f"{path}: OpenCV cannot open it as a video")
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    try:
        check_pixels(path, width, height, max_megapixels)
    except MediaError:
        capture.release()
        raise
    return capture
