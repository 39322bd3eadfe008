"""A ``.keras`` model built on TensorFlow loads and predicts the same probabilities on JAX and PyTorch, through
the project's predictor and ``predict.py``'s scorer (with heatmaps), in a process where TensorFlow cannot be
imported; one trained on JAX loads on TensorFlow and exports with the usual parity checks; one trained on
PyTorch (the project's train step) loads on TensorFlow and predicts the same."""

import importlib.util

import keras
import numpy as np
import pytest
from backends import JAX_AND_TORCH, needs_tensorflow, run_on_backend

import pel_keras

# Run on the other backend, where TensorFlow cannot be imported (tests/without_tensorflow.py).
PREDICT_WITHOUT_TENSORFLOW = """
import sys

import keras
import numpy as np
from pel_keras.inference.predictors import load_predictor
from pel_keras.prediction.scorer import Scorer

backend, model, images, out = sys.argv[1:]
assert keras.backend.backend() == backend, keras.backend.backend()
probabilities, maps = Scorer(model, heatmaps=True)(np.load(images))
assert maps is not None and np.all(np.isfinite(maps))
np.save(out, np.stack([load_predictor(model)(np.load(images)), probabilities]))
"""


# Train on another backend (a few Adam steps on every weight) and save: the model that host hands over.
# TRAINING is replaced by the backend's way of training.
TRAIN_AND_SAVE = """
import sys

import keras
import numpy as np
import pel_keras

backend, folder = sys.argv[1:]
assert keras.backend.backend() == backend, keras.backend.backend()
keras.utils.set_random_seed(0)
model = pel_keras.build_model("efficientnet_tiny", image_size=32, weights=None)
rng = np.random.default_rng(0)
labels = (np.arange(16) % 2).astype("float32")[:, None]
images = (rng.uniform(0, 127, (16, 32, 32, 3)) + 128 * labels[:, :, None, None]).astype("float32")  # fakes: bright
TRAINING
model.save(f"{folder}/best.keras")
np.save(f"{folder}/images.npy", images)
np.save(f"{folder}/trained.npy", keras.ops.convert_to_numpy(model(images, training=False))[:, 0])
# Batch-norm statistics of the batches it trained on: a few steps barely move the moving averages (momentum
# 0.99), so inference alone separates the classes by a few thousandths; with the batch's own statistics the
# trained weights separate them by more than a half.
learned = [keras.ops.convert_to_numpy(model(images[i : i + 8], training=True))[:, 0] for i in (0, 8)]
np.save(f"{folder}/learned.npy", np.concatenate(learned))
"""
KERAS_FIT = """
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
model.fit(images, labels, batch_size=8, epochs=10, verbose=0)
"""
PROJECT_STEP = """
from pel_keras.training.backend_parts import steps
from pel_keras.training.one_device import OneDevice
from pel_keras.training.optimizer import make_optimizer

train_step = steps()[0](model, make_optimizer(1e-2), OneDevice(), 8, 1e-4)
batches = iter([(images[:8], labels[:8]), (images[8:], labels[8:])] * 10)
for _ in range(20):
    train_step(batches)
"""


def _on(backend, script, *arguments, tensorflow=False):
    done = run_on_backend(backend, "-c", script, *arguments, tensorflow=tensorflow)
    assert done.returncode == 0, done.stderr[-3000:]


def train_on(backend, training, folder, tensorflow=False):
    """Trains and saves ``folder/best.keras`` on ``backend``; checks that it learned there and that it loads on
    TensorFlow and predicts what it predicted there (1e-5)."""
    _on(backend, TRAIN_AND_SAVE.replace("TRAINING", training), backend, folder, tensorflow=tensorflow)
    learned = np.load(folder / "learned.npy")
    assert learned[1::2].min() > learned[::2].max() + 0.3, learned  # every fake well above every real
    expected, images = np.load(folder / "trained.npy"), np.load(folder / "images.npy")
    model = pel_keras.load_model(folder / "best.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(images, training=False))[:, 0], expected, atol=1e-5)


@needs_tensorflow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_a_model_trained_on_jax_predicts_the_same_on_tensorflow_and_exports_with_parity(tmp_path):
    from pel_keras.export.all_formats import export_model
    from pel_keras.export.source import load_source

    train_on("jax", KERAS_FIT, tmp_path, tensorflow=True)  # Keras' own JAX trainer
    report = export_model(
        load_source(model_path=str(tmp_path / "best.keras")),
        str(tmp_path / "export"),
        formats=("savedmodel", "tflite", "onnx"),
        quantizations=("fp32",),
        parity_images=0,
    )
    assert report["passed"] and set(report["parity"]["files"]) == {"savedmodel", "tflite_fp32", "onnx"}, report


@needs_tensorflow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
def test_a_model_trained_on_torch_predicts_the_same_on_tensorflow(tmp_path):
    train_on("torch", PROJECT_STEP, tmp_path)  # the project's PyTorch train step


@needs_tensorflow
@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_a_tensorflow_built_model_predicts_the_same_probabilities_on_another_backend(backend, tmp_path):
    model = pel_keras.build_model("efficientnet_tiny", image_size=32, weights=None)
    images = np.random.default_rng(0).uniform(0, 255, (6, 32, 32, 3)).astype("float32")
    # An untrained head says about 0.5 to everything; fit it so the six probabilities spread over (0, 1).
    classifier = model.get_layer("classifier")
    pooled = keras.ops.convert_to_numpy(keras.Model(model.input, classifier.input)(images, training=False))
    logits = np.linspace(-3.0, 3.0, len(images))
    kernel = np.linalg.lstsq(pooled - pooled.mean(0), logits, rcond=None)[0]
    classifier.set_weights([kernel[:, None].astype("float32"), -pooled.mean(0, keepdims=True) @ kernel])
    expected = keras.ops.convert_to_numpy(model(images, training=False))[:, 0]
    np.testing.assert_allclose(expected, 1 / (1 + np.exp(-logits)), atol=1e-3)
    model.save(tmp_path / "best.keras")
    np.save(tmp_path / "images.npy", images)
    _on(backend, PREDICT_WITHOUT_TENSORFLOW, backend, *(tmp_path / n for n in ("best.keras", "images.npy", "out.npy")))
    for probabilities in np.load(tmp_path / "out.npy"):  # the predictor's, then the scorer's
        np.testing.assert_allclose(probabilities, expected, atol=1e-5, rtol=0)
