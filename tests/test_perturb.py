"""Robustness perturbations (Table 3): blur against OpenCV and SciPy, noise statistics, salt-and-pepper density,
seeding, and the batches of numpy arrays or of a tf.data pipeline."""

import math

import cv2
import numpy as np
import pytest
from scipy import ndimage

from pel_keras.data import perturb

GREY = np.full((4, 64, 64, 3), 128.0, np.float32)


@pytest.mark.parametrize("kernel_size", [7, 13])
def test_blur_is_opencvs_with_sigma_a_sixth_of_the_kernel(kernel_size):
    images = np.random.default_rng(0).uniform(0, 255, (2, 23, 30, 3)).astype(np.float32)
    ours = perturb.gaussian_blur(images, kernel_size=kernel_size)
    for image, blurred in zip(images, ours):
        np.testing.assert_array_equal(blurred, cv2.GaussianBlur(image, (kernel_size, kernel_size), kernel_size / 6))


@pytest.mark.parametrize("kernel_size", [7, 13])
def test_blur_matches_scipy_gaussian_with_reflect_101_border(kernel_size):
    """SciPy's own Gaussian filter: sigma k / 6 in H and W (none across channels), cut at radius (k - 1) / 2,
    border "mirror" (d c b | a b c d | c b a), which is OpenCV's reflect-101."""
    images = np.random.default_rng(1).uniform(0, 255, (2, 23, 30, 3)).astype(np.float32)
    sigma = kernel_size / 6
    ours = perturb.gaussian_blur(images, kernel_size=kernel_size)
    for image, blurred in zip(images, ours):
        reference = ndimage.gaussian_filter(
            image.astype(np.float64), (sigma, sigma, 0), mode="mirror", truncate=(kernel_size // 2) / sigma
        )
        np.testing.assert_allclose(blurred, reference, atol=2e-3)


@pytest.mark.parametrize("variance", [0.001, 0.005])
def test_gaussian_noise_has_requested_strength(variance):
    noisy = perturb.perturb(GREY, "gaussian_noise", seed=(1, 2), strength=variance)
    noise = noisy - GREY
    assert abs(noise.mean()) < 0.2
    assert noise.std() == pytest.approx(255 * math.sqrt(variance), rel=0.02)
    channel_correlation = np.corrcoef(noise[..., 0].ravel(), noise[..., 1].ravel())[0, 1]
    assert abs(channel_correlation) < 0.03


def test_gaussian_noise_is_clipped_to_pixel_range():
    noisy = perturb.gaussian_noise(np.full((1, 16, 16, 3), 250.0), seed=(0, 0), variance=0.05)
    assert noisy.max() == 255.0 and noisy.min() >= 0.0


def test_salt_and_pepper_density():
    density = 0.05
    noisy = perturb.perturb(GREY, "salt_and_pepper", seed=(3, 4), strength=density)
    pixels = GREY.shape[0] * GREY.shape[1] * GREY.shape[2]
    salt = np.all(noisy == 255.0, axis=-1).sum() / pixels
    pepper = np.all(noisy == 0.0, axis=-1).sum() / pixels
    untouched = np.all(noisy == 128.0, axis=-1).sum() / pixels
    assert salt == pytest.approx(density / 2, abs=0.005)
    assert pepper == pytest.approx(density / 2, abs=0.005)
    assert salt + pepper + untouched == 1.0


@pytest.mark.parametrize("name", sorted(perturb.PERTURBATIONS))
def test_same_seed_same_result(name):
    first = perturb.perturb(GREY, name, seed=(5, 6))
    np.testing.assert_array_equal(first, perturb.perturb(GREY, name, seed=(5, 6)))
    assert first.dtype == np.float32 and first.shape == GREY.shape


def test_other_seed_other_noise():
    one = perturb.gaussian_noise(GREY, seed=(0, 1))
    assert not np.array_equal(one, perturb.gaussian_noise(GREY, seed=(0, 2)))


def _numpy_batches(images, labels, paths):
    return [(images[i : i + 3], labels[i : i + 3], paths[i : i + 3]) for i in range(0, len(images), 3)]


def _tf_data_batches(images, labels, paths):
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices((images, labels, paths)).batch(3)


@pytest.mark.parametrize("source", [_numpy_batches, _tf_data_batches])
def test_perturb_dataset_seeds_each_batch_and_repeats(source):
    images = np.random.default_rng(1).uniform(0, 255, (6, 8, 8, 3)).astype(np.float32)
    labels = np.arange(6, dtype=np.float32)
    paths = np.array([f"frame{i}.png" for i in range(6)])
    perturbed = perturb.perturb_dataset(source(images, labels, paths), "salt_and_pepper", strength=0.5, seed=7)
    assert len(perturbed) == 2
    runs = [list(perturbed) for _ in range(2)]
    for index, ((x, y, path), (x_again, *_)) in enumerate(zip(*runs)):
        expected = perturb.salt_and_pepper(images[3 * index : 3 * index + 3], seed=(7, index), density=0.5)
        assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(x, x_again)
        np.testing.assert_array_equal(y, labels[3 * index : 3 * index + 3])
        assert [p.decode() if isinstance(p, bytes) else p for p in path] == list(paths[3 * index : 3 * index + 3])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: perturb.gaussian_blur(GREY, kernel_size=8), "odd integer >= 3; got 8"),
        (lambda: perturb.gaussian_noise(GREY, (0, 0), variance=-1), "variance must be >= 0; got -1"),
        (lambda: perturb.salt_and_pepper(GREY, (0, 0), density=1.5), r"density must lie in \[0, 1\]; got 1.5"),
        (lambda: perturb.perturb(GREY, "jpeg", (0, 0)), "unknown perturbation 'jpeg'"),
        (lambda: perturb.gaussian_blur(GREY[0]), r"got shape \(64, 64, 3\)"),
        (lambda: perturb.check_strength("gaussian_blur", 4), "gaussian_blur: kernel_size must be an odd integer"),
        (lambda: perturb.check_strength("salt_and_pepper", -0.1), "salt_and_pepper: density must lie in"),
        (lambda: perturb.check_strength("gaussian_noise", float("nan")), "gaussian_noise: variance must be >= 0"),
        (lambda: perturb.check_strength("jpeg", 90), "unknown perturbation 'jpeg'"),
        (lambda: perturb.gaussian_noise(GREY, (0, -1)), r"pair of non-negative integers; got \(0, -1\)"),
        (lambda: perturb.salt_and_pepper(GREY, 3), "pair of non-negative integers; got 3"),
        (lambda: perturb.perturb_dataset([], "gaussian_blur", seed=-2), r"non-negative integers; got \(-2, 0\)"),
        (lambda: perturb.perturb_dataset([], "gaussian_blur", strength=4), "kernel_size must be an odd integer"),
    ],
)
def test_invalid_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
