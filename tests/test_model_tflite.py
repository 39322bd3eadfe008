"""The model stays exportable: TFLite with builtin ops only, run in ai_edge_litert (no Flex delegate)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

import pel_keras
from pel_keras import layers
from pel_keras.layers.denoisers import DENOISERS


def _tflite_builtins_only(model):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def _run_litert(flatbuffer, images):
    interpreter = Interpreter(model_content=flatbuffer, num_threads=2)
    input_index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_index, images)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_small_model_runs_in_litert_with_builtin_ops_and_matches_keras():
    model = pel_keras.build_model("efficientnet_b0", image_size=64, weights=None)
    flatbuffer = _tflite_builtins_only(model)
    for batch in (1, 3):
        images = np.random.default_rng(batch).uniform(0, 255, (batch, 64, 64, 3)).astype("float32")
        expected = model.predict(images, verbose=0)
        np.testing.assert_allclose(_run_litert(flatbuffer, images), expected, atol=1e-4)


@pytest.mark.parametrize("denoiser", sorted(DENOISERS))
def test_every_denoiser_converts_to_builtins_and_matches_keras(denoiser):
    features = keras.Input((12, 12, 8))
    enhanced = layers.NoiseEnhancement(denoiser)(features)
    (mutual,) = layers.MutualEnhancement()([layers.ChannelAttention(2)(enhanced)])
    model = keras.Model(features, mutual)
    flatbuffer = _tflite_builtins_only(model)
    inputs = np.random.default_rng(0).normal(size=(2, 12, 12, 8)).astype("float32")
    np.testing.assert_allclose(_run_litert(flatbuffer, inputs), model.predict(inputs, verbose=0), atol=1e-5)


def test_saved_keras_model_reloads_through_pel_keras_load_model(tmp_path):
    model = pel_keras.build_model("efficientnet_b0", image_size=64, weights=None, streams="freq")
    model.save(tmp_path / "model.keras")
    images = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    reloaded = pel_keras.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)
