"""Robustness perturbations of the paper's Table 3: Gaussian noise, salt-and-pepper noise, Gaussian blur.

All three take a batch ``(B, H, W, 3)`` of RGB images with values 0..255 (any real dtype; float32 comes out),
a stateless seed (a pair of integers) and one strength, and are plain TensorFlow ops, so they run inside
``tf.data.Dataset.map`` and give the same result for the same seed.

Default strengths (the paper gives none; see docs/evaluation.md, "Robustness perturbations"):
- ``gaussian_noise``: variance 0.005 on the 0..1 intensity scale, i.e. standard deviation
  255 * sqrt(0.005) = 18.0 grey levels, added to R, G and B independently: the variance of
  DeeperForensics-1.0's level 3 (of .001, .002, .005, .01, .05), which adds its noise in YCbCr instead.
- ``salt_and_pepper``: density 0.05, the fraction of pixels set to white or black (half each): the default of
  MATLAB's ``imnoise`` and scikit-image's ``random_noise``. DeeperForensics has no such distortion.
- ``gaussian_blur``: kernel size 13 with sigma = 13 / 6, DeeperForensics-1.0's level 3 (of 7, 9, 13, 17, 21),
  with OpenCV's default border (reflect-101), matching ``cv2.GaussianBlur(image, (13, 13), 13 / 6)``.
The middle of DeeperForensics' five levels is a clearly visible but not destructive change to a face crop.
"""

import math

import numpy as np
import tensorflow as tf

DEFAULT_STRENGTHS = {"gaussian_noise": 0.005, "salt_and_pepper": 0.05, "gaussian_blur": 13}


def _as_batch(images):
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4:
        raise ValueError(f"perturbations take a batch of images (B, H, W, 3); got shape {images.shape}")
    return tf.cast(images, tf.float32)


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
    noise = tf.random.stateless_normal(tf.shape(images), seed, stddev=255.0 * math.sqrt(variance))
    return tf.clip_by_value(images + noise, 0.0, 255.0)


def salt_and_pepper(images, seed, density=DEFAULT_STRENGTHS["salt_and_pepper"]):
    """Sets a fraction ``density`` of the pixels (all three channels) to 255 or 0, with equal chance."""
    _check_density(density)
    images = _as_batch(images)
    pixel_shape = tf.concat([tf.shape(images)[:3], [1]], axis=0)
    draw = tf.random.stateless_uniform(pixel_shape, seed)
    salted = tf.where(draw < density / 2, 255.0, images)
    return tf.where((draw >= density / 2) & (draw < density), 0.0, salted)


def _gaussian_kernel(kernel_size, sigma):
    offsets = np.arange(kernel_size) - (kernel_size - 1) / 2
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return (weights / weights.sum()).astype(np.float32)


def gaussian_blur(images, seed=None, kernel_size=DEFAULT_STRENGTHS["gaussian_blur"]):
    """Separable Gaussian blur, kernel ``kernel_size`` (odd) and sigma = kernel_size / 6, reflect-101 border.

    ``seed`` is unused (blur is deterministic); it keeps the signature of the other perturbations.
    """
    _check_kernel_size(kernel_size)
    kernel_size = int(kernel_size)
    images = _as_batch(images)
    pad = kernel_size // 2
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    weights = np.tile(_gaussian_kernel(kernel_size, kernel_size / 6)[:, None, None, None], (1, 1, 3, 1))
    vertical = tf.nn.depthwise_conv2d(padded, weights, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(vertical, weights.reshape(1, kernel_size, 3, 1), [1, 1, 1, 1], "VALID")


PERTURBATIONS = {"gaussian_noise": gaussian_noise, "salt_and_pepper": salt_and_pepper, "gaussian_blur": gaussian_blur}
_CHECKS = {"gaussian_noise": _check_variance, "salt_and_pepper": _check_density, "gaussian_blur": _check_kernel_size}


def check_strength(name, strength):
    """Raises ValueError, naming the perturbation, when ``name`` is unknown or ``strength`` is out of its range."""
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}; choose from {sorted(PERTURBATIONS)}")
    _CHECKS[name](strength)


def perturb(images, name, seed, strength=None):
    """Applies the perturbation ``name`` (a key of ``PERTURBATIONS``) at ``strength`` (None: its default)."""
    strength = DEFAULT_STRENGTHS.get(name) if strength is None else strength
    check_strength(name, strength)
    return PERTURBATIONS[name](images, seed, strength)


def perturb_dataset(dataset, name, strength=None, seed=0):
    """Perturbs the images (first item) of every batch of a ``tf.data.Dataset`` of tuples.

    Batch i gets the stateless seed (seed, i), so the result is fixed for a given dataset order and batch size.
    """

    def apply(index, batch):
        seeds = tf.stack([tf.constant(seed, tf.int64), index])
        return (perturb(batch[0], name, seeds, strength), *batch[1:])

    return dataset.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
