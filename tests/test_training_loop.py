"""The training library's parts: frame selection, validation metrics, checkpoints, resumability checks,
training-only model switches, and the NaN guard on a real run (on the backend ``KERAS_BACKEND`` chooses;
the portable checkpoints have their own tests, test_keras_checkpoints.py)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from backends import BACKEND, latest_checkpoint, needs_tensorflow
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from pel_keras.data.manifest import select_frames
from pel_keras.training import TrainConfig, fit
from pel_keras.training.checkpoints import Checkpointer
from pel_keras.training.model import all_layers, build_training_model
from pel_keras.training.optimizer import make_optimizer
from pel_keras.training.strategy import select_strategy
from pel_keras.training.validation import metrics
from pel_keras.training.workdir import check_resumable, write_settings

TINY = dict(
    backbone="efficientnet_b0",
    weights="none",
    image_size=32,
    streams="rgb",
    self_enhancement=False,
    mutual_enhancement=False,
)


def test_frames_are_taken_at_equal_intervals_per_video():
    rows = [{"video": v, "frame": f, "label": 0} for v in ("a", "b") for f in range(0, 100, 10)]
    rows += [{"video": "c", "frame": f, "label": 1} for f in (5, 1, 3)]
    selected = select_frames(rows, 4)
    assert [r["frame"] for r in selected if r["video"] == "a"] == [0, 30, 60, 90]
    assert [r["frame"] for r in selected if r["video"] == "c"] == [1, 3, 5]
    assert len(select_frames(rows, 50)) == len(rows)


def test_validation_metrics_against_sklearn_and_keras():
    rng = np.random.default_rng(0)
    videos = np.repeat([f"v{i}" for i in range(8)], 5)
    labels = np.repeat([0, 1] * 4, 5).astype(float)
    probabilities = np.clip(labels * 0.3 + rng.uniform(0, 0.7, labels.size), 0, 1)
    result = metrics(probabilities, labels, videos)
    video_means = probabilities.reshape(8, 5).mean(axis=1)
    assert result["video_auc"] == pytest.approx(roc_auc_score([0, 1] * 4, video_means))
    assert result["frame_auc"] == pytest.approx(roc_auc_score(labels, probabilities))
    keras_loss = keras.losses.BinaryCrossentropy()(labels[:, None], probabilities[:, None])
    assert result["loss"] == pytest.approx(float(keras_loss), rel=1e-5)
    assert result["accuracy"] == pytest.approx(np.mean((probabilities > 0.5) == labels))
    assert (result["frames"], result["videos"]) == (40, 8)
    video_labels = np.array([0, 1] * 4)
    best = max(balanced_accuracy_score(video_labels, video_means > t) for t in np.r_[video_means, -1.0])
    assert balanced_accuracy_score(video_labels, video_means > result["video_threshold"]) == pytest.approx(best)
    assert np.isnan(metrics(probabilities[:5], labels[:5], videos[:5])["video_threshold"])  # one class: none


@needs_tensorflow
def test_checkpoints_restore_weights_optimizer_step_and_epoch(tmp_path):
    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()])
        optimizer = make_optimizer(1e-2)
        optimizer.build(model.trainable_variables)
        return model, optimizer, Checkpointer(str(tmp_path), True, "local", model, optimizer, keep=2)

    model, optimizer, checkpointer = build()
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(model(x, training=True) ** 2)
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    checkpointer.step.assign(3)
    checkpointer.epoch.assign(1)
    assert checkpointer.save().endswith("ckpt-3")
    restored_model, restored_optimizer, restored = build()
    assert restored.restore().endswith("ckpt-3")
    assert (int(restored.step.numpy()), int(restored.epoch.numpy())) == (3, 1)
    assert int(restored_optimizer.iterations.numpy()) == 3
    for a, b in zip(model.weights + optimizer.variables, restored_model.weights + restored_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_run_resumes_only_with_its_own_settings(tmp_path):
    config = TrainConfig(workdir=str(tmp_path), **TINY)
    write_settings(config, {})
    check_resumable(TrainConfig(workdir=str(tmp_path), **{**TINY, "epochs": 40, "data_dir": "/mnt/data"}))
    with pytest.raises(ValueError, match=r"--learning_rate=0\.001 \(the run has 0\.0002\)"):
        check_resumable(TrainConfig(workdir=str(tmp_path), learning_rate=1e-3, **TINY))


def test_stochastic_depth_and_synchronised_batch_norm_switches():
    config = TrainConfig(workdir="unused", stochastic_depth=0.1, **{**TINY, "streams": "two"})
    model, default = (
        build_training_model(config, replicas=2),
        build_training_model(TrainConfig(workdir="unused", **{**TINY, "streams": "two"}), replicas=1),
    )

    def drops(m):
        return sorted((layer.name, layer.rate) for layer in all_layers(m) if layer.name.endswith("_drop"))

    assert len(drops(model)) == 2 * 9  # B0's blocks with a residual, in both streams
    assert max(rate for _, rate in drops(default)) == pytest.approx(0.2 * 14 / 16)  # keras: 0.2 * b / 16
    for (name, rate), (default_name, default_rate) in zip(drops(model), drops(default)):
        assert name == default_name and rate == pytest.approx(default_rate * 0.1 / 0.2)

    def batch_norms(m):
        return [layer for layer in all_layers(m) if isinstance(layer, keras.layers.BatchNormalization)]

    synchronized = BACKEND == "tensorflow"  # on JAX one program computes the moments over the global batch
    assert len(batch_norms(model)) > 60 and all(layer.synchronized == synchronized for layer in batch_norms(model))
    assert not any(layer.synchronized for layer in batch_norms(default))


@pytest.mark.slow
def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    config = TrainConfig(workdir=str(tmp_path), batch_size=4, epochs=1, steps_per_epoch=10, checkpoint_every=2, **TINY)
    images = np.random.default_rng(0).uniform(0, 255, (20, 32, 32, 3)).astype("float32")
    images[12:16] = np.nan  # the 4th batch
    labels = np.arange(20, dtype="float32")[:, None] % 2

    def train_data(seed):
        return lambda context: tf.data.Dataset.from_tensor_slices((images, labels)).batch(4).repeat()

    def val_data(context):
        return tf.data.Dataset.from_tensor_slices((images[:8], labels[:8], np.arange(8))).batch(4)

    with pytest.raises(FloatingPointError, match=r"loss is nan at step 4 .*last good checkpoint is .*ckpt-2"):
        fit(config, select_strategy(), train_data, val_data, ["v"] * 8, config.steps_per_epoch)
    assert latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    assert not any(os.path.exists(tmp_path / name) for name in ("best.keras", "last.keras"))
