"""The one backend-specific piece the layer and model tests need, and the mark for tests that need
TensorFlow itself: the suite runs on the backend that ``KERAS_BACKEND`` chooses."""

import os

import keras
import pytest

from pel_keras.training.keras_checkpoints import checkpoint_folders

BACKEND = keras.backend.backend()

needs_tensorflow = pytest.mark.skipif(
    BACKEND != "tensorflow", reason=f"needs TensorFlow itself, Keras runs on {BACKEND}"
)


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
