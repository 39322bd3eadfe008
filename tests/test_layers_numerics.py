"""Layer numbers against independent references: scipy's DCT and filters, OpenCV's YCbCr, numpy forms
of eq. 2-6."""

import cv2
import keras
import numpy as np
import pytest
import scipy.fft
import scipy.ndimage
from scipy.special import expit

from pel_keras import layers
from pel_keras.layers.dct_patch_decomposition import rgb_to_ycbcr

RNG = np.random.default_rng(42)


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def test_ycbcr_matches_opencv():
    rgb = RNG.uniform(0, 255, (2, 7, 9, 3)).astype("float32")
    ours = _numpy(rgb_to_ycbcr(rgb))
    for image, converted in zip(rgb, ours):
        # OpenCV's float conversion works on 0..1 with a chroma offset of 0.5, i.e. 127.5 here, and
        # rounds the chroma factors 0.5/(1-0.299) and 0.5/(1-0.114) to 0.713 and 0.564 (up to 0.08 off).
        ycrcb = cv2.cvtColor(image / 255.0, cv2.COLOR_RGB2YCrCb) * 255.0
        reference = ycrcb[..., [0, 2, 1]] - np.array([128.0, 127.5, 127.5], "float32")
        np.testing.assert_allclose(converted[..., 0], reference[..., 0], atol=1e-3)
        np.testing.assert_allclose(converted[..., 1:], reference[..., 1:], atol=0.08)


@pytest.mark.parametrize("height, width", [(16, 16), (15, 18)])
def test_dct_matches_scipy_on_every_window(height, width):
    rgb = RNG.uniform(0, 255, (1, height, width, 3)).astype("float32")
    ours = _numpy(layers.DCTPatchDecomposition(patch_size=8, stride=2)(rgb))[0]
    ycbcr = _numpy(rgb_to_ycbcr(rgb))[0]
    # Keras "same": total padding (out - 1) * stride + 8 - size, the smaller half before.
    pads = [((out - 1) * 2 + 8 - size) for out, size in zip(ours.shape[:2], (height, width))]
    padded = np.pad(ycbcr, [(p // 2, p - p // 2) for p in pads] + [(0, 0)])
    for i in range(ours.shape[0]):
        for j in range(ours.shape[1]):
            window = padded[2 * i : 2 * i + 8, 2 * j : 2 * j + 8]
            reference = np.concatenate([scipy.fft.dctn(window[..., c], norm="ortho").ravel() for c in range(3)])
            np.testing.assert_allclose(ours[i, j], reference, atol=5e-4, rtol=1e-5)


def test_dct_channel_layout_is_colour_then_vertical_then_horizontal():
    """A horizontal cosine of frequency 3 in the luma only lights up channel 0 * 64 + 0 * 8 + 3."""
    x = np.arange(32)
    luma = 128 + 100 * np.cos((2 * (x % 8) + 1) * 3 * np.pi / 16)
    image = np.repeat(np.tile(luma, (32, 1))[..., None], 3, axis=-1).astype("float32")
    coefficients = _numpy(layers.DCTPatchDecomposition(stride=8)(image[None]))[0, 1:-1, 1:-1]
    # Stride 8 with same padding 0 puts windows on the 8x8 grid of the cosine.
    energy = np.abs(coefficients).mean(axis=(0, 1))
    assert np.argmax(energy) == 3
    assert energy[3] > 100 * np.delete(energy, 3).max()


def test_dct_padding_is_three_before_and_after_for_8x8_stride_2():
    """Window i covers rows 2i-3 .. 2i+4: the DC of a constant image counts the real pixels in it."""
    image = np.full((1, 16, 16, 3), 255.0, "float32")
    dc = _numpy(layers.DCTPatchDecomposition()(image))[0, ..., 0]
    # Y - 128 = 127 on real pixels, 0 on padding; the orthonormal DC is sum / 8.
    np.testing.assert_allclose(dc[0, 0], 127.0 * 5 * 5 / 8, rtol=1e-5)
    np.testing.assert_allclose(dc[1, 1], 127.0 * 7 * 7 / 8, rtol=1e-5)
    np.testing.assert_allclose(dc[2, 2], 127.0 * 8 * 8 / 8, rtol=1e-5)
    np.testing.assert_allclose(dc[-1, -1], 127.0 * 5 * 5 / 8, rtol=1e-5)


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_median_matches_scipy_including_borders(kernel_size):
    features = RNG.normal(size=(2, 11, 9, 5)).astype("float32")
    ours = _numpy(layers.MedianFilter2D(kernel_size)(features))
    reference = scipy.ndimage.median_filter(features, size=(1, kernel_size, kernel_size, 1), mode="reflect")
    np.testing.assert_array_equal(ours, reference)


def test_median_with_ties_and_integers_values():
    features = RNG.integers(0, 3, (1, 8, 8, 2)).astype("float32")
    reference = scipy.ndimage.median_filter(features, size=(1, 3, 3, 1), mode="reflect")
    np.testing.assert_array_equal(_numpy(layers.MedianFilter2D(3)(features)), reference)


def test_mean_matches_scipy_uniform_filter():
    features = RNG.normal(size=(2, 8, 9, 3)).astype("float32")
    reference = scipy.ndimage.uniform_filter(features, size=(1, 3, 3, 1), mode="reflect")
    np.testing.assert_allclose(_numpy(layers.MeanFilter2D(3)(features)), reference, atol=1e-6)


def test_non_local_means_matches_direct_loop():
    features = RNG.normal(size=(1, 6, 7, 4)).astype("float32")
    bandwidth = 0.8
    ours = _numpy(layers.NonLocalMeans2D(3, bandwidth)(features))[0]
    image = features[0]
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="symmetric")
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            neighbours = padded[i : i + 3, j : j + 3].reshape(9, -1)
            distances = ((neighbours - image[i, j]) ** 2).mean(axis=1)
            weights = np.exp(-distances / bandwidth**2)
            expected = (weights[:, None] * neighbours).sum(0) / weights.sum()
            np.testing.assert_allclose(ours[i, j], expected, atol=1e-5)


def _set_depthwise(layer, kernel, bias):
    channels = kernel.shape[0]
    layer.set_weights([kernel.reshape(1, 1, channels, 1).astype("float32"), bias.astype("float32")])


def test_noise_enhancement_matches_eq_2_3():
    features = RNG.normal(size=(2, 8, 9, 4)).astype("float32")
    layer = layers.NoiseEnhancement("median3")
    layer.build(features.shape)
    kernel, bias = RNG.normal(size=4), RNG.normal(size=4)
    _set_depthwise(layer.intensity, kernel, bias)
    noise = features - scipy.ndimage.median_filter(features, size=(1, 3, 3, 1), mode="reflect")
    expected = features + expit(noise) * kernel + bias
    np.testing.assert_allclose(_numpy(layer(features)), expected, atol=1e-5)


def test_multi_median_group_conv_mixes_each_channels_residuals():
    features = RNG.normal(size=(1, 9, 9, 3)).astype("float32")
    layer = layers.NoiseEnhancement("multi_median_3_5")
    layer.build(features.shape)
    mix, mix_bias = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    layer.group_kernel.assign(mix.astype("float32"))
    layer.group_bias.assign(mix_bias.astype("float32"))
    kernel, bias = RNG.normal(size=3), RNG.normal(size=3)
    _set_depthwise(layer.intensity, kernel, bias)
    residuals = [features - scipy.ndimage.median_filter(features, size=(1, k, k, 1), mode="reflect") for k in (3, 5)]
    noise = mix[0] * residuals[0] + mix[1] * residuals[1] + mix_bias
    np.testing.assert_allclose(_numpy(layer(features)), features + expit(noise) * kernel + bias, atol=1e-5)


@pytest.mark.parametrize("denoiser", ["median3", "mean3", "nonlocal_means", "multi_median_3_5_7"])
def test_noise_enhancement_is_identity_with_zero_depthwise_conv(denoiser):
    features = RNG.normal(size=(1, 8, 8, 4)).astype("float32")
    layer = layers.NoiseEnhancement(denoiser)
    layer.build(features.shape)
    _set_depthwise(layer.intensity, np.zeros(4), np.zeros(4))
    np.testing.assert_allclose(_numpy(layer(features)), features, atol=1e-6)


def test_channel_attention_matches_eq_4_and_cbam_mlp():
    features = RNG.normal(size=(2, 5, 6, 32)).astype("float32")
    layer = layers.ChannelAttention(reduction=4)
    layer.build(features.shape)
    w1, b1 = RNG.normal(size=(32, 8)) / 4, RNG.normal(size=8)
    w2, b2 = RNG.normal(size=(8, 32)) / 4, RNG.normal(size=32)
    layer.hidden.set_weights([w1.astype("float32"), b1.astype("float32")])
    layer.excite.set_weights([w2.astype("float32"), b2.astype("float32")])

    def mlp(vector):
        return np.maximum(vector @ w1 + b1, 0) @ w2 + b2

    attention = expit(mlp(features.mean(axis=(1, 2))) + mlp(features.max(axis=(1, 2))))
    expected = features + features * attention[:, None, None, :]
    np.testing.assert_allclose(_numpy(layer(features)), expected, atol=1e-5)


def test_channel_attention_with_zero_mlp_gives_one_and_a_half_f():
    features = RNG.normal(size=(1, 4, 4, 16)).astype("float32")
    layer = layers.ChannelAttention()
    layer.build(features.shape)
    for weight in layer.weights:
        weight.assign(np.zeros(weight.shape, "float32"))
    np.testing.assert_allclose(_numpy(layer(features)), 1.5 * features, atol=1e-6)


def test_mutual_enhancement_matches_eq_5_6():
    rgb = RNG.normal(size=(2, 5, 6, 3)).astype("float32")
    freq = RNG.normal(size=(2, 5, 6, 4)).astype("float32")
    layer = layers.MutualEnhancement()
    layer.build([rgb.shape, freq.shape])
    conv, conv_bias = RNG.normal(size=(7, 2)), RNG.normal(size=2)
    layer.attention.set_weights([conv.reshape(1, 1, 7, 2).astype("float32"), conv_bias.astype("float32")])
    scales = [(RNG.normal(size=3), RNG.normal(size=3)), (RNG.normal(size=4), RNG.normal(size=4))]
    for intensity, (kernel, bias) in zip(layer.intensities, scales):
        _set_depthwise(intensity, kernel, bias)
    maps = expit(np.concatenate([rgb, freq], axis=-1) @ conv + conv_bias)
    expected = [
        feature + (feature * maps[..., s : s + 1]) * kernel + bias
        for s, (feature, (kernel, bias)) in enumerate(zip((rgb, freq), scales))
    ]
    for ours, reference in zip(layer([rgb, freq]), expected):
        np.testing.assert_allclose(_numpy(ours), reference, atol=1e-5)


def test_mutual_enhancement_is_identity_with_zero_depthwise_convs():
    rgb = RNG.normal(size=(1, 4, 4, 3)).astype("float32")
    freq = RNG.normal(size=(1, 4, 4, 5)).astype("float32")
    layer = layers.MutualEnhancement()
    layer.build([rgb.shape, freq.shape])
    for intensity, channels in zip(layer.intensities, (3, 5)):
        _set_depthwise(intensity, np.zeros(channels), np.zeros(channels))
    for ours, reference in zip(layer([rgb, freq]), (rgb, freq)):
        np.testing.assert_allclose(_numpy(ours), reference, atol=1e-6)


def test_single_stream_mutual_module_is_spatial_attention():
    features = RNG.normal(size=(1, 4, 5, 3)).astype("float32")
    layer = layers.MutualEnhancement()
    (output,) = layer([features])
    conv, conv_bias = layer.attention.get_weights()
    kernel, bias = layer.intensities[0].get_weights()
    attention = expit(features @ conv[0, 0] + conv_bias)
    expected = features + features * attention * kernel[0, 0, :, 0] + bias
    np.testing.assert_allclose(_numpy(output), expected, atol=1e-5)
