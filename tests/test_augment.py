"""The training augmentations (numpy and OpenCV, one definition for both input pipelines) against independent
references: SciPy's Gaussian filter, Pillow's JPEG codec, the contrast formula of ``tf.image.adjust_contrast``
checked through its invariants; and their seeding."""

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from pel_keras.data.augment import AugmentConfig, augment, element_rng
from pel_keras.testing import data_media

OFF = AugmentConfig.off()


@pytest.fixture(scope="module")
def face():
    """A 64-pixel RGB crop of a real face (real texture for JPEG and blur to act on)."""
    return cv2.resize(data_media.faces()[0][..., ::-1], (64, 64), interpolation=cv2.INTER_AREA)


def only(**settings):
    return dataclasses.replace(OFF, **settings)


def test_off_gives_the_pixels_as_float32(face):
    out = augment(face, OFF, element_rng(0, 0))
    assert out.dtype == np.float32 and np.array_equal(out, face)


def test_flip_mirrors_left_and_right(face):
    assert np.array_equal(augment(face, only(flip=1.0), element_rng(0, 0)), face[:, ::-1])


@pytest.mark.parametrize("sigma", [0.7, 1.5])
def test_blur_is_scipys_gaussian_with_mirrored_borders_over_three_sigma(face, sigma):
    config = only(blur=1.0, blur_sigma=(sigma, sigma))
    radius = int(np.ceil(3 * sigma))
    reference = ndimage.gaussian_filter(
        face.astype(np.float64), (sigma, sigma, 0), mode="mirror", truncate=radius / sigma
    )
    out = augment(face, config, element_rng(0, 0))
    assert np.abs(out - reference).max() < 0.01
    assert np.abs(out - face).mean() > 1  # it did blur


def test_jpeg_is_close_to_pillows_codec_at_the_drawn_quality(face):
    out = augment(face, only(jpeg=1.0, jpeg_quality=(30, 30)), element_rng(0, 0))
    encoded = io.BytesIO()
    Image.fromarray(face).save(encoded, format="JPEG", quality=30)
    reference = np.asarray(Image.open(encoded), np.float32)
    # Two builds of libjpeg may round chroma differently: far closer to each other than to the original.
    assert np.abs(out - reference).mean() < 0.2 * np.abs(out - face).mean()


def test_brightness_is_one_offset_within_its_range(face):
    for index in range(5):
        out = augment(face, only(color=1.0, contrast=0.0, brightness=0.1), element_rng(0, index))
        offset = (out - face)[(out > 0) & (out < 255)]
        assert np.ptp(offset) < 1e-3 and 0 < abs(offset[0]) <= 25.5


def test_contrast_scales_the_deviations_from_each_channels_mean(face):
    middle = (64 + face // 2).astype(np.uint8)  # 64..191: nothing is clipped at 0 or 255
    mean = middle.reshape(-1, 3).mean(axis=0)
    factors = []
    for index in range(5):
        out = augment(middle, only(color=1.0, brightness=0.0, contrast=0.1), element_rng(0, index))
        np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), mean, atol=0.01)  # each channel's mean kept
        steep = np.abs(middle - mean) > 10
        ratio = (out - mean)[steep] / (middle - mean)[steep]
        assert np.ptp(ratio) < 1e-3  # one factor for every pixel and channel
        factors.append(ratio[0])
    assert all(0.9 <= f <= 1.1 for f in factors) and np.ptp(factors) > 0.01


def test_the_same_generator_gives_the_same_bytes_and_another_other_bytes(face):
    config = AugmentConfig(flip=0.5, jpeg=0.5, blur=0.5, color=0.5)
    first = [augment(face, config, element_rng(3, index)) for index in range(8)]
    again = [augment(face, config, element_rng(3, index)) for index in range(8)]
    other = [augment(face, config, element_rng(4, index)) for index in range(8)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, c) for a, c in zip(first, other))
    assert len({a.tobytes() for a in first}) > 4  # each index its own draws
