"""The pieces wired as evaluate.py will wire them: a saved Keras model, tf.data batches, perturbations, report."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from pel_keras.data.perturb import DEFAULT_STRENGTHS, perturb_dataset
from pel_keras.evaluation.outputs import Scored, save_evaluation
from pel_keras.evaluation.runner import score_batches
from pel_keras.inference.predictors import load_predictor


def _batches():
    """12 frames of 4 videos; fakes are brighter, so a brightness-sensitive model separates them."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0.0, 1.0, 0.0, 1.0], 3).astype(np.float32)
    images = rng.uniform(0, 160, (12, 8, 8, 3)).astype(np.float32) + 60 * labels[:, None, None, None]
    videos = np.repeat(["r1", "f1", "r2", "f2"], 3)
    paths = [f"{v}/{i}.png" for i, v in enumerate(videos)]
    return tf.data.Dataset.from_tensor_slices((images, labels[:, None], videos, paths)).batch(5)


def test_robustness_run_from_a_saved_model(tmp_path):
    inputs = keras.Input((8, 8, 3))
    brightness = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255.0)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(brightness))
    model.layers[-1].set_weights([np.full((3, 1), 4.0), np.array([-6.0])])
    model.save(tmp_path / "best.keras")
    predictor = load_predictor(tmp_path / "best.keras")

    clean = score_batches(predictor, _batches(), progress=False)
    items = [Scored("ffpp_c40", clean)]
    for name in ("gaussian_noise", "salt_and_pepper", "gaussian_blur"):
        scores = score_batches(predictor, perturb_dataset(_batches(), name, seed=1), progress=False)
        assert not np.array_equal(scores.probabilities, clean.probabilities)
        items.append(Scored("ffpp_c40", scores, name, DEFAULT_STRENGTHS[name]))
    again = score_batches(predictor, perturb_dataset(_batches(), "gaussian_noise", seed=1), progress=False)
    np.testing.assert_array_equal(again.probabilities, items[1].scores.probabilities)

    save_evaluation(tmp_path / "eval", "robustness", tmp_path / "best.keras", "ffpp_c40", items)
    results = json.loads((tmp_path / "eval" / "results.json").read_text())["robustness"]["best.keras"]
    expected_auc = roc_auc_score(clean.labels, model.predict(np.concatenate([b[0] for b in _batches()]), verbose=0))
    assert results["datasets"][0]["frame"]["auc"] == pytest.approx(expected_auc)
    conditions = [r["condition"] for r in results["datasets"]]
    assert conditions == ["clean", "gaussian_noise", "salt_and_pepper", "gaussian_blur"]
    assert all(r["delta"]["video"]["auc"] is not None for r in results["datasets"][1:])
