"""The same training on TensorFlow, JAX and PyTorch: the same initial weights (a Keras weight file) and the
same three batches through each backend's train step give the same losses and the same updated weights.
The model is the whole PEL (both streams, both enhancement modules, weight decay) on the smallest backbone.

Tolerances: float32 convolutions and reductions sum in a different order on each backend (XLA fuses and
reorders; PyTorch calls oneDNN), so the forward passes differ in the last bits. Batch normalisation amplifies
that where it normalises few values: at 32 px the last EfficientNet stages are 1 x 1, each channel normalised
over the batch's 4 values alone, and there the losses of the second and third step drift apart on all three
backends alike (the tiny backbone: up to 8e-4 relative; B0: 0.6 % to 9 %, while at 128 px B0 agrees within
2e-5 over all three steps, so nothing but the conditioning differs). At IMAGE_SIZE 64 (the last stages 2 x 2)
the losses are held to LOSS_RTOL, measured at most 4.4e-6 and 5.1e-6 relative (JAX and PyTorch alike, on two
sets of batches) against TensorFlow. Adam divides each gradient by its own running magnitude, so in the first
steps every weight moves by about the learning rate whatever its gradient's size; a weight whose gradient is
nearly zero may move differently on each backend, by at most 2 * lr a step. The weights are held to a tenth of
one step's move (plus 1e-5 relative, for the large batch-norm variances) for all but FLIPPED of them
(measured: 0.015 % and 0.017 %), and none beyond 2 * lr * steps (measured: at most 2.5e-4, of 6e-4).
"""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEARNING_RATE, STEPS, IMAGE_SIZE = 1e-4, 3, 64  # the rate three_steps.py trains with
LOSS_RTOL = 5e-5
WEIGHT_ATOL, WEIGHT_RTOL = LEARNING_RATE / 10, 1e-5
FLIPPED = 1e-3


def run(backend, work):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
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


@pytest.fixture(scope="module")
def tensorflow_run(tmp_path_factory):
    """The folder of the three steps on TensorFlow (which writes the initial weights), and their results."""
    work = tmp_path_factory.mktemp("agreement")
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (STEPS, 4, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    labels = np.array([[[0.0], [1.0], [0.0], [1.0]]] * STEPS, "float32")
    np.savez(work / "batches.npz", images=images, labels=labels)
    return work, run("tensorflow", work)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_jax_and_pytorch_train_as_tensorflow_does(tensorflow_run, backend):
    work, tensorflow = tensorflow_run
    other = run(backend, work)
    np.testing.assert_allclose(other.pop("losses"), tensorflow["losses"], rtol=LOSS_RTOL)
    names = sorted(name for name in tensorflow if name != "losses")
    assert sorted(other) == names
    differences = np.concatenate([np.abs(other[name] - tensorflow[name]).ravel() for name in names])
    relative = WEIGHT_RTOL * np.concatenate([np.abs(tensorflow[name]).ravel() for name in names])
    assert np.mean(differences > WEIGHT_ATOL + relative) < FLIPPED
    assert np.all(differences <= 2 * LEARNING_RATE * STEPS + relative)
