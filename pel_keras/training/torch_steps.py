"""The training and prediction steps on PyTorch: eager autograd through the Keras model, the same loss and
weight decay as the TensorFlow and JAX steps (:func:`~pel_keras.training.loss.training_loss`).

Keras' own torch trainer calls ``model.zero_grad()`` before each ``backward()`` and reads each variable's
``.grad``; on PEL ``zero_grad`` does not reach the weights of the nested backbone (133 of the 349 trainable
variables of the one-stream tiny PEL are not among its ``parameters()`` in Keras 3.15), whose gradients would
then add up from step to step. The step here asks ``torch.autograd.grad`` for the gradients of exactly the
trainable variables instead, so no gradient outlives its step (the three steps of
``tests/test_backend_agreement.py`` match TensorFlow's).
"""

import keras
import torch

from pel_keras.training.loss import training_loss


def make_train_step(model, optimizer, strategy, global_batch_size, weight_decay):
    """A function taking an iterator of ``(images, labels)`` batches, running one optimizer step,
    returning the batch's mean BCE (the L2 term left out, as on TensorFlow and JAX).

    Args:
        model, optimizer: the model built; the optimizer is built here unless it is. A
            ``LossScaleOptimizer`` scales the loss before differentiation and unscales (or skips) in
            ``apply``.
        strategy: a :class:`~pel_keras.training.one_device.OneDevice`, whose ``place`` lays a batch out.
        global_batch_size: examples per step.
        weight_decay: the coupled L2 coefficient (see :mod:`~pel_keras.training.optimizer`).
    """
    variables = model.trainable_variables
    if not optimizer.built:
        optimizer.build(variables)

    def train_step(iterator):
        images, labels = strategy.place(next(iterator))
        probabilities = model(images, training=True)
        data_loss, loss = training_loss(labels, probabilities, variables, global_batch_size, weight_decay)
        gradients = torch.autograd.grad(
            optimizer.scale_loss(loss), [v.value for v in variables], allow_unused=True
        )  # None for a weight the loss does not reach; apply skips those, as on TensorFlow
        with torch.no_grad():
            optimizer.apply(list(gradients), variables)
        return keras.ops.convert_to_numpy(data_loss.detach())

    return train_step


def make_predict_step(model, strategy):
    """A function mapping a batch ``(images, labels, index)`` to numpy ``(probabilities (N,), labels, index)``."""

    def predict_step(images, labels, index):
        (images,) = strategy.place((images,))
        with torch.no_grad():
            probabilities = keras.ops.cast(model(images, training=False)[:, 0], "float32")
        return keras.ops.convert_to_numpy(probabilities), labels, index

    return predict_step
