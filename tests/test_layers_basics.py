"""Basic checks for every public layer (serialization, weight counts, calls, fit step, .keras round trip) and
mixed precision."""

import keras
import numpy as np
import pytest

from pel_keras import layers
from pel_keras.layers.denoisers import DENOISERS
from pel_keras.testing.test_case import TestCase

FEATURES = (2, 9, 10, 6)


def _features(shape):
    return np.random.default_rng(0).uniform(0.0, 2.0, shape).astype("float32")


# (class, arguments, trainable weights): a filter has none; channel attention two Dense layers (kernel, bias);
# noise enhancement its 1x1 depthwise intensity (kernel, bias), and with several denoisers their grouping
# (kernel, bias).
CASES = [
    (layers.MedianFilter2D, {"kernel_size": 3}, 0),
    (layers.MedianFilter2D, {"kernel_size": 5}, 0),
    (layers.MeanFilter2D, {"kernel_size": 3}, 0),
    (layers.NonLocalMeans2D, {"kernel_size": 3, "bandwidth": 0.5}, 0),
    (layers.ChannelAttention, {"reduction": 2}, 4),
    *[(layers.NoiseEnhancement, {"denoiser": name}, 2 if len(DENOISERS[name]) == 1 else 4) for name in DENOISERS],
]


class TestLayers(TestCase):
    @pytest.mark.parametrize("layer_class, kwargs, weights", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
    def test_layer_basics(self, layer_class, kwargs, weights):
        self.run_layer_test(layer_class, kwargs, _features(FEATURES), FEATURES, weights)

    @pytest.mark.parametrize(
        "kwargs, input_shape, output_shape",
        [
            ({}, (2, 16, 16, 3), (2, 8, 8, 192)),
            ({}, (2, 15, 17, 3), (2, 8, 9, 192)),
            ({"patch_size": 4, "stride": 1}, (2, 9, 7, 3), (2, 9, 7, 48)),
        ],
    )
    def test_dct_basics(self, kwargs, input_shape, output_shape):
        self.run_layer_test(layers.DCTPatchDecomposition, kwargs, _features(input_shape), output_shape)

    @pytest.mark.parametrize("streams", [1, 2])
    def test_mutual_enhancement_basics(self, streams):
        shapes = [(2, 6, 7, 4), (2, 6, 7, 5)][:streams]
        # the 1x1 attention convolution (kernel, bias) and one 1x1 depthwise intensity per stream (kernel, bias)
        self.run_layer_test(layers.MutualEnhancement, {}, [_features(s) for s in shapes], shapes, 2 + 2 * streams)


def test_mutual_enhancement_rejects_unequal_spatial_sizes():
    with pytest.raises(ValueError, match="same spatial size"):
        layers.MutualEnhancement()([keras.Input((6, 6, 4)), keras.Input((3, 3, 4))])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.MedianFilter2D(4), "positive odd integer, got 4"),
        (lambda: layers.MeanFilter2D(0), "positive odd integer, got 0"),
        (lambda: layers.DCTPatchDecomposition(stride=0), "stride must be a positive integer, got 0"),
        (lambda: layers.ChannelAttention(reduction=1.5), "got 1.5"),
        (lambda: layers.NoiseEnhancement("median9"), "Unknown denoiser 'median9'"),
        (lambda: layers.NonLocalMeans2D(bandwidth=0), "bandwidth must be positive, got 0"),
    ],
)
def test_invalid_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_layers_under_mixed_precision():
    """Enhancement layers compute in float16; the DCT stays float32 (0..255 through a DCT overflows)."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    coefficients = layers.DCTPatchDecomposition()(images)
    dtype = keras.backend.standardize_dtype  # the name of a backend's dtype ("float32" for torch.float32 too)
    assert dtype(coefficients.dtype) == "float32"
    features = keras.ops.cast(coefficients[..., :6] / 100.0, "float16")
    for layer in [
        layers.NoiseEnhancement("median3"),
        layers.NoiseEnhancement("multi_median_3_5"),
        layers.NoiseEnhancement("nonlocal_means"),
        layers.ChannelAttention(2),
    ]:
        output = layer(features)
        assert dtype(output.dtype) == "float16", layer.name
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(output)))
    rgb, freq = layers.MutualEnhancement()([features, features])
    assert dtype(rgb.dtype) == dtype(freq.dtype) == "float16"
