"""Robustness perturbations (Table 3): blur against OpenCV, noise statistics, salt-and-pepper density, seeding."""

import math

import cv2
import numpy as np
import pytest
import tensorflow as tf

from pel_keras.data import perturb

GREY = np.full((4, 64, 64, 3), 128.0, np.float32)


@pytest.mark.parametrize("kernel_size", [7, 13])
def test_blur_matches_opencv(kernel_size):
    images = np.random.default_rng(0).uniform(0, 255, (2, 23, 30, 3)).astype(np.float32)
    ours = perturb.gaussian_blur(images, kernel_size=kernel_size).numpy()
    for image, blurred in zip(images, ours):
        reference = cv2.GaussianBlur(image, (kernel_size, kernel_size), kernel_size / 6)
        np.testing.assert_allclose(blurred, reference, atol=5e-4)


@pytest.mark.parametrize("variance", [0.001, 0.005])
def test_gaussian_noise_has_requested_strength(variance):
    noisy = perturb.perturb(GREY, "gaussian_noise", seed=(1, 2), strength=variance).numpy()
    noise = noisy - GREY
    assert abs(noise.mean()) < 0.2
    assert noise.std() == pytest.approx(255 * math.sqrt(variance), rel=0.02)
    channel_correlation = np.corrcoef(noise[..., 0].ravel(), noise[..., 1].ravel())[0, 1]
    assert abs(channel_correlation) < 0.03


def test_gaussian_noise_is_clipped_to_pixel_range():
    noisy = perturb.gaussian_noise(np.full((1, 16, 16, 3), 250.0), seed=(0, 0), variance=0.05).numpy()
    assert noisy.max() == 255.0 and noisy.min() >= 0.0


def test_salt_and_pepper_density():
    density = 0.05
    noisy = perturb.perturb(GREY, "salt_and_pepper", seed=(3, 4), strength=density).numpy()
    pixels = GREY.shape[0] * GREY.shape[1] * GREY.shape[2]
    salt = np.all(noisy == 255.0, axis=-1).sum() / pixels
    pepper = np.all(noisy == 0.0, axis=-1).sum() / pixels
    untouched = np.all(noisy == 128.0, axis=-1).sum() / pixels
    assert salt == pytest.approx(density / 2, abs=0.005)
    assert pepper == pytest.approx(density / 2, abs=0.005)
    assert salt + pepper + untouched == 1.0


@pytest.mark.parametrize("name", sorted(perturb.PERTURBATIONS))
def test_same_seed_same_result(name):
    first = perturb.perturb(GREY, name, seed=(5, 6)).numpy()
    np.testing.assert_array_equal(first, perturb.perturb(GREY, name, seed=(5, 6)).numpy())
    assert first.dtype == np.float32 and first.shape == GREY.shape


def test_other_seed_other_noise():
    one = perturb.gaussian_noise(GREY, seed=(0, 1)).numpy()
    assert not np.array_equal(one, perturb.gaussian_noise(GREY, seed=(0, 2)).numpy())


def test_perturb_dataset_seeds_each_batch_and_repeats():
    images = np.random.default_rng(1).uniform(0, 255, (6, 8, 8, 3)).astype(np.float32)
    labels = np.arange(6, dtype=np.float32)
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(3)
    perturbed = perturb.perturb_dataset(batches, "salt_and_pepper", strength=0.5, seed=7)
    runs = [[(x.numpy(), y.numpy()) for x, y in perturbed] for _ in range(2)]
    for index, ((x, y), (x_again, _)) in enumerate(zip(*runs)):
        expected = perturb.salt_and_pepper(images[3 * index : 3 * index + 3], seed=(7, index), density=0.5)
        np.testing.assert_array_equal(x, expected.numpy())
        np.testing.assert_array_equal(x, x_again)
        np.testing.assert_array_equal(y, labels[3 * index : 3 * index + 3])


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
    ],
)
def test_invalid_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
