"""One example's image as both input pipelines yield it (numpy and OpenCV only): a prepared crop decoded to
RGB, resized only when it is stored at another size, and augmented when training."""

import cv2
import numpy as np

from pel_keras.data.augment import augment, element_rng
from pel_keras.data.faces import resize_crop


def decode_crop(encoded, size, name):
    """A crop from the bytes of its PNG (or JPEG) file.

    Args:
        encoded: the file's bytes.
        size: the side of the image returned; a crop stored at another size is resized as crops are made
            (:func:`~pel_keras.data.faces.resize_crop`).
        name: the file's path, for error messages.

    Returns:
        ``(image, scale)``: ``(size, size, 3)`` uint8 RGB, and the ``(x, y)`` float32 factors from stored to
        returned pixels.

    Raises:
        ValueError: naming ``name``, the bytes are no image OpenCV can decode (empty or cut short, say).
    """
    stored = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_COLOR) if len(encoded) else None
    if stored is None:
        raise ValueError(f"{name}: not a readable image (empty, cut short, or not a PNG or JPEG file)")
    height, width = stored.shape[:2]
    image = cv2.cvtColor(stored, cv2.COLOR_BGR2RGB, dst=stored)
    if (height, width) != (size, size):
        image = resize_crop(image, size)
    return image, np.array([size / width, size / height], np.float32)


def read_crop(path, size):
    """:func:`decode_crop` of the file ``path``; an OSError naming it when it cannot be read."""
    with open(path, "rb") as file:
        return decode_crop(file.read(), size, path)


def example_image(encoded, name, size, config, seed, index):
    """The image of element ``index`` of a stream seeded by ``seed``.

    Args:
        encoded, name, size: as :func:`decode_crop` takes them.
        config: the :class:`~pel_keras.data.augment.AugmentConfig` to apply, with the generator of
            ``(seed, index)`` (:func:`~pel_keras.data.augment.element_rng`); None: no augmentation.
        seed, index: the stream's seed and the element's position in it.

    Returns:
        ``(size, size, 3)`` float32 RGB in 0..255.
    """
    image = decode_crop(encoded, size, name)[0]
    if config is None:
        return image.astype(np.float32)
    return augment(image, config, element_rng(seed, index))
