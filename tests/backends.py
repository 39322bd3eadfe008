"""The one backend-specific piece the layer and model tests need, the mark for tests that need TensorFlow
itself (the suite runs on the backend that ``KERAS_BACKEND`` chooses), and a fresh process on another backend,
without TensorFlow, for the tests that compare backends."""

import importlib.util
import os
import subprocess
import sys

import keras
import pytest

from pel_keras.training.keras_checkpoints import checkpoint_folders

BACKEND = keras.backend.backend()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WITHOUT_TENSORFLOW = os.path.join(ROOT, "tests", "without_tensorflow.py")

needs_tensorflow = pytest.mark.skipif(
    BACKEND != "tensorflow", reason=f"needs TensorFlow itself, Keras runs on {BACKEND}"
)

# The backends besides TensorFlow, as parameters of a test run in another process; skipped where not installed.
JAX_AND_TORCH = [
    pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"no {name}"))
    for name in ("jax", "torch")
]


def loss_and_gradients(model, loss_of_outputs, inputs):
    """Differentiates ``loss_of_outputs(model(inputs, training=True))`` with respect to the trainable weights.

    Args:
        model: a built Keras model.
        loss_of_outputs: maps the model's outputs to a scalar loss.
        inputs: the model's inputs, numpy arrays.

    Returns:
        ``(outputs, loss, gradients)``: the outputs and the loss as numpy arrays, one gradient per
        ``model.trainable_variables`` (``None`` where the loss does not depend on the weight).
    """
    weights = model.trainable_variables
    if BACKEND == "jax":
        import jax

        def loss_of(trainable, non_trainable):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=True)
            return loss_of_outputs(outputs), outputs

        values = [w.value for w in weights], [w.value for w in model.non_trainable_variables]
        (loss, outputs), gradients = jax.value_and_grad(loss_of, has_aux=True)(*values)
    elif BACKEND == "torch":
        import torch

        outputs = model(inputs, training=True)
        loss = loss_of_outputs(outputs)
        gradients = torch.autograd.grad(loss, [w.value for w in weights], allow_unused=True)
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            outputs = model(inputs, training=True)
            loss = loss_of_outputs(outputs)
        gradients = tape.gradient(loss, weights)
    return keras.ops.convert_to_numpy(outputs), keras.ops.convert_to_numpy(loss), list(gradients)


def apply_gradients(optimizer, gradients, variables):
    """``optimizer.apply(gradients, variables)``; on JAX through ``stateless_apply``, since a
    ``LossScaleOptimizer`` applied eagerly there leaks a tracer out of its ``ops.cond`` (Keras 3.15)."""
    if BACKEND != "jax":
        optimizer.apply(gradients, variables)
        return
    state = [v.value for v in optimizer.variables]
    new_values, new_state = optimizer.stateless_apply(state, gradients, [v.value for v in variables])
    for variable, value in zip([*variables, *optimizer.variables], [*new_values, *new_state]):
        variable.assign(value)


def latest_checkpoint(workdir):
    """The latest checkpoint's path in the backend's format (TensorFlow's, or Keras weight files), or None."""
    folder = os.path.join(workdir, "checkpoints")
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.train.latest_checkpoint(folder) if os.path.exists(os.path.join(folder, "checkpoint")) else None
    folders = checkpoint_folders(folder)
    return folders[-1] if folders else None


def run_on_backend(backend, *command, tensorflow=False, timeout=900):
    """Runs ``python *command`` in a fresh process, in the repository root, with ``KERAS_BACKEND=backend``.

    Args:
        backend: the Keras backend of the process.
        *command: a script and its arguments, or ``"-c", CODE, ...`` (converted with ``str``).
        tensorflow: let the process import TensorFlow; by default it cannot, as on a host without it
            (``tests/without_tensorflow.py``).
        timeout: seconds before the process is killed (``subprocess.TimeoutExpired``).

    Returns:
        The ``subprocess.CompletedProcess``, its output captured as text.
    """
    launcher = [] if tensorflow else [WITHOUT_TENSORFLOW]
    return subprocess.run(
        [sys.executable, *launcher, *map(str, command)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": ROOT},
    )
