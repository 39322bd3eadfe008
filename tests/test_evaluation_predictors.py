"""Predictors for .keras, SavedModel, .tflite (float, fixed batch 1, int8) and .onnx against the Keras model."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from pel_keras.inference.predictors import ModelError, load_predictor

SIZE = 8


def _tiny_model(final_activation="sigmoid"):
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation=final_activation)(x))


def _images(batch, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (batch, SIZE, SIZE, 3)).astype(np.float32)


def _converted(converter, path):
    integer = converter.inference_input_type == tf.int8
    ops = tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if integer else tf.lite.OpsSet.TFLITE_BUILTINS
    converter.target_spec.supported_ops = [ops]
    path.write_bytes(converter.convert())
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    keras.utils.set_random_seed(1)
    model = _tiny_model()
    root = tmp_path_factory.mktemp("models")
    model.save(root / "model.keras")
    model.export(str(root / "saved_model"), verbose=False)
    model.export(str(root / "model.tflite"), format="litert", verbose=False)
    model.export(str(root / "model.onnx"), format="onnx", opset_version=17, verbose=False)
    return model, root


@pytest.mark.parametrize("artifact", ["model.keras", "saved_model", "model.tflite", "model.onnx"])
@pytest.mark.parametrize("batch", [1, 5])
def test_predictor_matches_keras(exported, artifact, batch):
    model, root = exported
    images = _images(batch)
    expected = model.predict(images, verbose=0)[:, 0]
    assert batch == 1 or expected.std() > 0.05  # the comparison sees distinct outputs
    probabilities = load_predictor(root / artifact, trusted=artifact == "saved_model")(images)  # its own export
    assert probabilities.shape == (batch,) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, expected, atol=1e-4)


def test_tflite_fixed_at_batch_one_is_fed_image_by_image(exported, tmp_path):
    model, _ = exported
    inputs = keras.Input(batch_shape=(1, SIZE, SIZE, 3))
    fixed = keras.Model(inputs, model(inputs))
    path = _converted(tf.lite.TFLiteConverter.from_keras_model(fixed), tmp_path / "b1.tflite")
    assert list(Interpreter(str(path)).get_input_details()[0]["shape_signature"]) == [1, SIZE, SIZE, 3]
    predictor = load_predictor(path)
    images = _images(3, seed=2)
    np.testing.assert_allclose(predictor(images), model.predict(images, verbose=0)[:, 0], atol=1e-4)


def test_int8_tflite_is_quantized_and_dequantized(exported, tmp_path):
    model, _ = exported
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([_images(1, seed)] for seed in range(50))
    converter.inference_input_type = converter.inference_output_type = tf.int8
    path = _converted(converter, tmp_path / "int8.tflite")
    assert Interpreter(str(path)).get_input_details()[0]["dtype"] == np.int8
    predictor = load_predictor(path)
    images = _images(6, seed=3)
    np.testing.assert_allclose(predictor(images), model.predict(images, verbose=0)[:, 0], atol=0.008)


def test_missing_and_unknown_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.keras"):
        load_predictor(tmp_path / "nowhere.keras")
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ModelError, match="weights.h5: unknown model type"):
        load_predictor(tmp_path / "weights.h5")
    with pytest.raises(ModelError, match="folder without saved_model.pb"):
        load_predictor(tmp_path)


@pytest.mark.parametrize("name", ["broken.tflite", "broken.onnx"])  # a broken .keras: test_model_files.py
def test_unreadable_file_is_named(tmp_path, name):
    (tmp_path / name).write_bytes(b"not a model")
    with pytest.raises(ModelError, match=f"{name}: could not load"):
        load_predictor(tmp_path / name)


def test_wrong_image_size_and_non_probabilities_are_refused(exported, tmp_path):
    _, root = exported
    with pytest.raises(ModelError, match=r"takes images of shape \(B, 8, 8, 3\); got \(2, 9, 8, 3\)"):
        load_predictor(root / "model.tflite")(np.zeros((2, 9, SIZE, 3), np.float32))
    logits = _tiny_model(final_activation=None)
    logits.layers[-1].bias.assign([5.0])
    logits.save(tmp_path / "logits.keras")
    with pytest.raises(ModelError, match="not probabilities"):
        load_predictor(tmp_path / "logits.keras")(_images(2))
