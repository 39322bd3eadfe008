"""The training and prediction steps on JAX: jitted functions of ``model.stateless_call`` and
``optimizer.stateless_apply``, the same loss and weight decay as the TensorFlow steps (:mod:`.steps`).

The variables' values are the state of a pure function; after each step they are assigned back to the
Keras variables, so that validation, model files and checkpoints read them as on TensorFlow. A
``LossScaleOptimizer`` works through ``stateless_apply`` (its eager ``apply`` is broken on JAX in Keras
3.15), its loss scale read from the optimizer state as Keras' own JAX trainer does.
"""

import functools

import jax
import keras
import numpy as np

from pel_keras.training.loss import training_loss


def make_train_step(model, optimizer, strategy, global_batch_size, weight_decay):
    """A function taking an iterator of ``(images, labels)`` batches, running one optimizer step,
    returning the batch's mean BCE (the L2 term left out, as on TensorFlow).

    Args:
        model, optimizer: the model built; the optimizer is built here unless it is (its variables are
            the step's state).
        strategy: a :class:`~pel_keras.training.jax_strategy.JaxDevices`, whose ``place`` lays a batch out
            over its devices; the state stays replicated on every device.
        global_batch_size: examples per step.
        weight_decay: the coupled L2 coefficient (see :mod:`~pel_keras.training.optimizer`).
    """
    trainable, non_trainable = model.trainable_variables, model.non_trainable_variables
    if not optimizer.built:
        optimizer.build(trainable)
    optimizer_variables = optimizer.variables
    # The state as the step returns it (replicated), from the first step on: a first state laid out otherwise
    # (a variable's initial value has no sharding) would make jit compile the step a second time.
    for variable in (*trainable, *non_trainable, *optimizer_variables):
        variable.assign(jax.device_put(variable.value, strategy.replicated))

    def losses(trainable_values, non_trainable_values, optimizer_values, images, labels):
        probabilities, non_trainable_values = model.stateless_call(
            trainable_values, non_trainable_values, images, training=True
        )
        data_loss, loss = training_loss(labels, probabilities, trainable_values, global_batch_size, weight_decay)
        with keras.StatelessScope(state_mapping=list(zip(optimizer_variables, optimizer_values))):
            scaled_loss = optimizer.scale_loss(loss)
        return scaled_loss, (data_loss, non_trainable_values)

    gradient_of = jax.value_and_grad(losses, has_aux=True)

    @functools.partial(jax.jit, out_shardings=strategy.replicated)
    def step(state, images, labels):
        trainable_values, non_trainable_values, optimizer_values = state
        (_, (data_loss, non_trainable_values)), gradients = gradient_of(
            trainable_values, non_trainable_values, optimizer_values, images, labels
        )
        trainable_values, optimizer_values = optimizer.stateless_apply(optimizer_values, gradients, trainable_values)
        return data_loss, (trainable_values, non_trainable_values, optimizer_values)

    def train_step(iterator):
        images, labels = strategy.place(next(iterator))
        state = tuple([v.value for v in variables] for variables in (trainable, non_trainable, optimizer_variables))
        data_loss, state = step(state, images, labels)
        for variables, values in zip((trainable, non_trainable, optimizer_variables), state):
            for variable, value in zip(variables, values):
                variable.assign(value)
        return np.asarray(data_loss)

    return train_step


def make_predict_step(model, strategy):
    """A function mapping this process's batch ``(images, labels, index)`` to numpy ``(probabilities (N,),
    labels, index)`` of the batches of every process (as the TensorFlow step gathers its replicas')."""

    @functools.partial(jax.jit, out_shardings=strategy.replicated)
    def probabilities_of(trainable_values, non_trainable_values, images, *gathered):
        outputs, _ = model.stateless_call(trainable_values, non_trainable_values, images, training=False)
        return keras.ops.cast(outputs[:, 0], "float32"), *gathered

    def predict_step(images, labels, index):
        values = [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables]
        placed = strategy.place_padded((images, labels, index.astype(np.int32)))  # JAX computes in 32 bits
        probabilities, labels, index, kept = (np.asarray(x) for x in probabilities_of(*values, *placed))
        return probabilities[kept], labels[kept], index[kept]

    return predict_step
