"""FLOP counting against hand counts, and the per-stream parameter split."""

import keras
import pytest
from backends import BACKEND, needs_tensorflow

import pel_keras
from pel_keras.models.complexity import count_flops, stream_parameters


def _convolution_and_dense():
    inputs = keras.Input((10, 10, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    outputs = keras.layers.Dense(2, use_bias=False)(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


@needs_tensorflow
def test_count_flops_matches_the_hand_count_of_a_convolution_and_a_dense_layer():
    model = _convolution_and_dense()
    conv = 10 * 10 * 4 * (3 * 3 * 3) * 2
    dense = (10 * 10 * 4) * 2 * 2
    assert count_flops(model) == conv + dense
    assert count_flops(model, batch_size=3) == 3 * (conv + dense)


@pytest.mark.skipif(BACKEND == "tensorflow", reason="the refusal is for the other backends")
def test_count_flops_on_another_backend_names_the_one_it_needs():
    with pytest.raises(RuntimeError, match=f"Keras runs on {BACKEND}: run it with KERAS_BACKEND=tensorflow"):
        count_flops(_convolution_and_dense())


def test_stream_parameters_split_the_whole_model():
    model = pel_keras.build_model("efficientnet_b0", 64, weights=None)
    parts = stream_parameters(model)
    assert sum(parts.values()) == model.count_params()
    assert parts["rgb"] > 0 and parts["freq"] > parts["rgb"]  # the frequency stem is larger
    single = pel_keras.build_model("efficientnet_b0", 64, weights=None, streams="rgb")
    assert stream_parameters(single)["freq"] == 0
    assert stream_parameters(single)["rgb"] == parts["rgb"]
