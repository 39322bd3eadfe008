"""The same training on TensorFlow and on JAX: the same initial weights (a Keras weight file) and the same
three batches through each backend's train step give the same losses and the same updated weights. The
model is the whole PEL (both streams, both enhancement modules, weight decay) on the smallest backbone.

Tolerances: float32 convolutions and reductions sum in a different order on each backend (XLA fuses and
reorders), so the two forward passes differ in the last bits, and batch normalisation over a batch of 4
amplifies that; the losses are held to LOSS_RTOL (measured on two initialisations: at most 9e-5 and 3e-4).
Adam divides each gradient by its own running magnitude, so in the first steps every weight moves by about
the learning rate whatever its gradient's size; a weight whose gradient is nearly zero may move differently
on each backend, by at most 2 * lr a step. The weights are held to a tenth of one step's move (plus 1e-5
relative, for the large batch-norm variances) for all but FLIPPED of them (measured: 0.07 % and 0.1 %), and
none beyond 2 * lr * steps.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEARNING_RATE, STEPS = 1e-4, 3
LOSS_RTOL = 1e-3
WEIGHT_ATOL, WEIGHT_RTOL = LEARNING_RATE / 10, 1e-5
FLIPPED = 3e-3


def run(backend, work):
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "three_steps.py"), str(work)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(work / f"{backend}.npz"))


@pytest.mark.slow
def test_tensorflow_and_jax_train_the_same(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (STEPS, 4, 32, 32, 3)).astype("float32")
    labels = np.array([[[0.0], [1.0], [0.0], [1.0]]] * STEPS, "float32")
    np.savez(tmp_path / "batches.npz", images=images, labels=labels)
    tensorflow, jax = run("tensorflow", tmp_path), run("jax", tmp_path)
    np.testing.assert_allclose(jax.pop("losses"), tensorflow.pop("losses"), rtol=LOSS_RTOL)
    assert sorted(jax) == sorted(tensorflow)
    differences = np.concatenate([np.abs(jax[name] - tensorflow[name]).ravel() for name in tensorflow])
    relative = WEIGHT_RTOL * np.concatenate([np.abs(tensorflow[name]).ravel() for name in tensorflow])
    assert np.mean(differences > WEIGHT_ATOL + relative) < FLIPPED
    assert np.all(differences <= 2 * LEARNING_RATE * STEPS + relative)
