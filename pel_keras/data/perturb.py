"""Robustness perturbations of the paper's Table 3: Gaussian noise, salt-and-pepper noise, Gaussian blur.

All three take a batch ``(B, H, W, 3)`` of RGB images with values 0..255 (a numpy array or anything
``np.asarray`` reads: a TensorFlow, JAX or PyTorch CPU tensor; float32 comes out), a seed (a pair of
non-negative integers, the entropy of a ``numpy.random.Generator``) and one strength. They are numpy and
OpenCV, so one definition serves every Keras backend, with or without TensorFlow, and the same seed gives
the same images on all of them.

Default strengths (the paper gives none; see docs/evaluation.md, "Robustness perturbations"):
- ``gaussian_noise``: variance 0.005 on the 0..1 intensity scale, i.e. standard deviation
  255 * sqrt(0.005) = 18.0 grey levels, added to R, G and B independently: the variance of
  DeeperForensics-1.0's level 3 (of .001, .002, .005, .01, .05), which adds its noise in YCbCr instead.
- ``salt_and_pepper``: density 0.05, the fraction of pixels set to white or black (half each): the default of
  MATLAB's ``imnoise`` and scikit-image's ``random_noise``. DeeperForensics has no such distortion.
- ``gaussian_blur``: kernel size 13 with sigma = 13 / 6, DeeperForensics-1.0's level 3 (of 7, 9, 13, 17, 21):
  ``cv2.GaussianBlur(image, (13, 13), 13 / 6)``, with OpenCV's default border (reflect-101).
The middle of DeeperForensics' five levels is a clearly visible but not destructive change to a face crop.
"""

import math

import cv2
import numpy as np

DEFAULT_STRENGTHS = {"gaussian_noise": 0.005, "salt_and_pepper": 0.05, "gaussian_blur": 13}


def _as_batch(images):
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"perturbations take a batch of images (B, H, W, 3); got shape {images.shape}")
    return images


def _generator(seed):
    """The ``numpy.random.Generator`` of ``seed``, a pair of non-negative integers (a ValueError otherwise)."""
    values = np.asarray(seed).reshape(-1)
    if values.shape != (2,) or not np.issubdtype(values.dtype, np.integer) or values.min() < 0:
        raise ValueError(f"a perturbation seed is a pair of non-negative integers; got {seed!r}")
    return np.random.default_rng([int(value) for value in values])


def _check_variance(variance):
    if not variance >= 0:
        raise ValueError(f"gaussian_noise: variance must be >= 0; got {variance}")


def _check_density(density):
    if not 0 <= density <= 1:
        raise ValueError(f"salt_and_pepper: density must lie in [0, 1]; got {density}")


def _check_kernel_size(kernel_size):
    if not (float(kernel_size).is_integer() and kernel_size >= 3 and int(kernel_size) % 2 == 1):
        raise ValueError(f"gaussian_blur: kernel_size must be an odd integer >= 3; got {kernel_size!r}")


def gaussian_noise(images, seed, variance=DEFAULT_STRENGTHS["gaussian_noise"]):
    """Adds zero-mean Gaussian noise of ``variance`` (0..1 intensity scale) to every value, then clips to 0..255."""
    _check_variance(variance)
    images = _as_batch(images)
    noise = _generator(seed).standard_normal(images.shape, dtype=np.float32)  # float32 draws: 20 % faster
    return np.clip(images + np.float32(255.0 * math.sqrt(variance)) * noise, 0.0, 255.0)


def salt_and_pepper(images, seed, density=DEFAULT_STRENGTHS["salt_and_pepper"]):
    """Sets a fraction ``density`` of the pixels (all three channels) to 255 or 0, with equal chance."""
    _check_density(density)
    images = _as_batch(images)
    draw = _generator(seed).random((*images.shape[:3], 1))
    salted = np.where(draw < density / 2, np.float32(255), images)
    return np.where((draw >= density / 2) & (draw < density), np.float32(0), salted)


def gaussian_blur(images, seed=None, kernel_size=DEFAULT_STRENGTHS["gaussian_blur"]):
    """``cv2.GaussianBlur`` of each image, kernel ``kernel_size`` (odd), sigma = kernel_size / 6, reflect-101 border.

    ``seed`` is unused (blur is deterministic); it keeps the signature of the other perturbations.
    """
    _check_kernel_size(kernel_size)
    kernel_size = int(kernel_size)
    images = _as_batch(images)
    blurred = [cv2.GaussianBlur(image, (kernel_size, kernel_size), kernel_size / 6) for image in images]
    return np.stack(blurred) if blurred else images


PERTURBATIONS = {"gaussian_noise": gaussian_noise, "salt_and_pepper": salt_and_pepper, "gaussian_blur": gaussian_blur}
_CHECKS = {"gaussian_noise": _check_variance, "salt_and_pepper": _check_density, "gaussian_blur": _check_kernel_size}


def check_strength(name, strength):
    """Raises ValueError, naming the perturbation, when ``name`` is unknown or ``strength`` is out of its range."""
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}; choose from {sorted(PERTURBATIONS)}")
    _CHECKS[name](strength)


def _checked_strength(name, strength):
    """``strength``, or the default of ``name`` when None, once :func:`check_strength` passes it."""
    strength = DEFAULT_STRENGTHS.get(name) if strength is None else strength
    check_strength(name, strength)
    return strength


def perturb(images, name, seed, strength=None):
    """Applies the perturbation ``name`` (a key of ``PERTURBATIONS``) at ``strength`` (None: its default)."""
    strength = _checked_strength(name, strength)
    return PERTURBATIONS[name](images, seed, strength)


class PerturbedBatches:
    """The batches of :func:`perturb_dataset`: iterating it again iterates its source again (and gives the same
    images when the source repeats itself); ``len`` is the source's where it has one."""

    def __init__(self, batches, name, strength, seed):
        self.batches, self.name, self.strength, self.seed = batches, name, strength, seed

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for index, (images, *rest) in enumerate(self.batches):
            perturbed = PERTURBATIONS[self.name](images, (self.seed, index), self.strength)
            yield (perturbed, *(np.asarray(item) for item in rest))


def perturb_dataset(batches, name, strength=None, seed=0):
    """The batches ``(images, ...)`` of ``batches`` with their images perturbed, as numpy arrays.

    Args:
        batches: an iterable of tuples whose first item is a ``(B, H, W, 3)`` batch of images (numpy arrays,
            the tensors of a ``tf.data.Dataset``, ...); the other items (labels, video ids, paths) pass through,
            converted with ``np.asarray``.
        name: the perturbation (a key of ``PERTURBATIONS``).
        strength: its strength (None: its default).
        seed: a non-negative integer; batch i gets the seed (seed, i), so the result is fixed for a given
            order of the data and batch size.

    Returns:
        A ``PerturbedBatches``, perturbing each batch as it is read.

    Raises:
        ValueError: an unknown perturbation, a strength out of its range or a negative seed (at once).
    """
    strength = _checked_strength(name, strength)
    _generator((seed, 0))  # a bad seed stops here, before any batch is read
    return PerturbedBatches(batches, name, strength, seed)
