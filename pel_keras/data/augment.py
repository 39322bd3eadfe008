"""Training augmentations, defined once in numpy and OpenCV for both input pipelines: the ``tf.data`` one
(:mod:`pel_keras.data.pipeline`, through ``tf.numpy_function``) and the TensorFlow-free one
(:mod:`pel_keras.data.array_pipeline`).

Every random draw comes from a numpy ``Generator`` seeded from ``(seed, element index)``
(:func:`element_rng`), so a seeded run yields the same bytes however many threads decode.
"""

import dataclasses
import math

import cv2
import numpy as np


class AugmentSettingError(ValueError):
    """An :class:`AugmentConfig` setting out of its range; ``name`` is the attribute."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Training augmentations; each is applied to an image independently with its probability
    (0 turns it off). ``AugmentConfig.off()`` turns all off.

    Attributes:
        flip: probability of a horizontal flip.
        jpeg: probability of JPEG re-compression at a quality drawn from ``jpeg_quality`` (inclusive).
        blur: probability of a Gaussian blur with sigma drawn from ``blur_sigma`` (pixels).
        color: probability of a brightness/contrast change: an offset of up to ``brightness`` x 255 and a
            contrast factor within ``1 +- contrast``.
    """

    flip: float = 0.5
    jpeg: float = 0.3
    jpeg_quality: tuple = (60, 100)
    blur: float = 0.1
    blur_sigma: tuple = (0.1, 2.0)
    color: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1

    def __post_init__(self):
        low, high = self.jpeg_quality
        checks = [
            (name, 0 <= getattr(self, name) <= 1, "a probability in [0, 1]")
            for name in ("flip", "jpeg", "blur", "color")
        ]
        checks += [
            ("jpeg_quality", 0 <= low <= high <= 100, "a (lowest, highest) pair with 0 <= lowest <= highest <= 100"),
            (
                "blur_sigma",
                0 < self.blur_sigma[0] <= self.blur_sigma[1],
                "a (smallest, largest) pair with 0 < smallest <= largest",
            ),
            ("brightness", 0 <= self.brightness <= 1, "a share of 255 in [0, 1]"),
            ("contrast", 0 <= self.contrast < 1, "in [0, 1) (so that the factor 1 +- contrast stays positive)"),
        ]
        for name, valid, expected in checks:
            if not valid:
                raise AugmentSettingError(name, f"{name} is {expected}, got {getattr(self, name)}")

    @classmethod
    def off(cls):
        return cls(flip=0.0, jpeg=0.0, blur=0.0, color=0.0)


def element_rng(seed, index):
    """The generator of one element of a seeded stream: the same ``(seed, index)`` gives the same draws."""
    return np.random.default_rng([int(seed), int(index)])


def jpeg_round_trip(image, quality):
    """``image`` ((H, W, 3) uint8 RGB) encoded as JPEG at ``quality`` (0..100) with OpenCV and decoded again.

    Raises:
        ValueError: the encoder refused the image.
    """
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ValueError(f"JPEG encoding failed for an image of shape {np.shape(image)}")
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def gaussian_blur(image, sigma, radius):
    """Blurs the float32 ``image`` in place with a Gaussian of standard deviation ``sigma`` over
    ``2 * radius + 1`` taps, reflecting at the borders without repeating the edge pixel (``d c b | a b c d``)."""
    side = 2 * radius + 1
    cv2.GaussianBlur(image, (side, side), sigmaX=sigma, sigmaY=sigma, dst=image, borderType=cv2.BORDER_REFLECT_101)


def adjust_colour(image, factor, offset):
    """Scales each channel's deviations from its mean over the float32 ``image`` by ``factor`` (as
    ``tf.image.adjust_contrast`` does), then adds ``offset``: ``(x - mean) * factor + mean + offset``, in place."""
    mean = np.float32(cv2.mean(image)[:3])  # OpenCV sums in float64, NumPy's strided mean is 20x slower
    image *= np.float32(factor)
    image += mean * np.float32(1 - factor) + np.float32(offset)


def augment(image, config, rng):
    """Applies ``config`` to one image: each augmentation in turn, with its probability.

    In order: JPEG re-compression at a quality drawn from ``config.jpeg_quality``; a Gaussian blur with
    sigma drawn from ``config.blur_sigma`` over a radius of ``ceil(3 * largest sigma)``; a contrast factor
    drawn from ``1 +- config.contrast`` about each channel's mean and a brightness offset drawn from
    ``+- config.brightness * 255``; a horizontal flip.

    Args:
        image: ``(H, W, 3)`` uint8 RGB (not changed).
        config: an :class:`AugmentConfig`.
        rng: a numpy ``Generator`` (see :func:`element_rng`); the same state gives the same result.

    Returns:
        ``(H, W, 3)`` float32 in 0..255.
    """
    low, high = config.jpeg_quality
    if rng.random() < config.jpeg:
        image = jpeg_round_trip(image, int(rng.integers(low, high + 1)))
    # One float copy changed in place from here on: every new 1.2 MB array at 320 px costs the kernel ~300
    # fresh pages when the allocator has handed the last one back, more than the arithmetic itself.
    image = image.astype(np.float32)
    if rng.random() < config.blur:
        gaussian_blur(image, rng.uniform(*config.blur_sigma), math.ceil(3 * config.blur_sigma[1]))
    if rng.random() < config.color:
        factor = rng.uniform(1 - config.contrast, 1 + config.contrast)
        adjust_colour(image, factor, rng.uniform(-config.brightness, config.brightness) * 255)
    if rng.random() < config.flip:
        cv2.flip(image, 1, dst=image)
    return np.clip(image, 0, 255, out=image)
