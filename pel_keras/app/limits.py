"""What the app reads before it decodes anything: media by the folder rule, at most so many pixels a frame.

A file is a video or an image by its extension, the rule :func:`pel_keras.data.video.list_media` applies to
folders, so the page and ``predict.py DIR`` agree on what is media. The frame size comes from the file's
header (Pillow for images, the container for videos), so a small file that would decode to a huge image
(a decompression bomb) is refused before it takes memory.
"""

import cv2
from PIL import Image

from pel_keras.data.video import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, MediaError, is_image, is_video


def _image_size(path, name):
    try:
        with Image.open(path) as image:
            return image.size
    except Image.DecompressionBombError:
        raise MediaError(f"{name}: more than {2 * Image.MAX_IMAGE_PIXELS} pixels, too large to decode") from None
    except (OSError, ValueError):
        return None  # Pillow cannot read the header; OpenCV's decoding reports what is wrong


def _video_size(path):
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            return None
        width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()
    return (width, height) if width > 0 and height > 0 else None


def frame_size(path, name):
    """``(width, height)`` of an image or of a video's frames from the file's header; None where it does
    not tell (the file is then decoded as usual, and a broken one reported then).

    Raises:
        MediaError: the image's header announces more pixels than Pillow will ever decode.
    """
    return _image_size(path, name) if is_image(path) else _video_size(path)


def check_media(path, name, max_megapixels):
    """Raises :class:`~pel_keras.data.video.MediaError` naming ``name`` (the file as uploaded) when ``path`` is
    not a video or image by its extension, or its frames have more than ``max_megapixels`` million pixels."""
    if not (is_image(path) or is_video(path)):
        raise MediaError(f"{name}: not a video or an image (the app reads {' '.join(VIDEO_EXTENSIONS)} videos and "
                         f"{' '.join(IMAGE_EXTENSIONS)} images)")
    size = frame_size(path, name)
    if size is not None and size[0] * size[1] > max_megapixels * 1e6:
        raise MediaError(f"{name}: {size[0]} x {size[1]} pixels ({size[0] * size[1] / 1e6:.3g} megapixels) is "
                         f"above the limit of {max_megapixels:g} megapixels a frame (app.py --max_megapixels)")
