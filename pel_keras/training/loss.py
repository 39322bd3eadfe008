"""The training loss of the JAX and PyTorch steps, in ``keras.ops``: the batch's binary cross-entropy summed
over the global batch plus the coupled L2 term of :mod:`~pel_keras.training.optimizer` (the TensorFlow step
computes the same under ``tf.distribute``, see :mod:`~pel_keras.training.steps`)."""

import keras

from pel_keras.training.optimizer import l2_penalty


def binary_crossentropy(labels, probabilities):
    """Per-example ``-(y log p + (1 - y) log(1 - p))``, ``p`` clipped to ``[eps, 1 - eps]``: Keras' formula as
    its JAX backend computes it, averaged over the last axis.

    Written out rather than ``keras.losses.binary_crossentropy`` because on PyTorch that calls torch's own
    kernel, which stops with an error (a device-side assert on CUDA) on a NaN probability; here a NaN gives
    a NaN loss, which the training loop's NaN guard turns into a clean stop.

    Args:
        labels: ``(N, 1)``, 0 (real) or 1 (fake).
        probabilities: ``(N, 1)`` in any float dtype (the loss is taken in float32).

    Returns:
        ``(N,)`` losses.
    """
    epsilon = keras.config.epsilon()
    labels = keras.ops.cast(labels, "float32")
    p = keras.ops.clip(keras.ops.cast(probabilities, "float32"), epsilon, 1.0 - epsilon)
    return -keras.ops.mean(labels * keras.ops.log(p) + (1.0 - labels) * keras.ops.log(1.0 - p), axis=-1)


def training_loss(labels, probabilities, weights, global_batch_size, weight_decay):
    """The loss of one device holding the whole batch: ``(data_loss, loss)``, the batch's binary
    cross-entropy summed and divided by ``global_batch_size``, and that plus
    :func:`~pel_keras.training.optimizer.l2_penalty` of ``weights``.

    Args:
        labels: ``(N, 1)`` 0 (real) or 1 (fake).
        probabilities: the model's ``(N, 1)`` outputs, in any float dtype.
        weights: the trainable variables or their values, which the L2 term decays.
        global_batch_size: examples per optimizer step.
        weight_decay: the coupled L2 coefficient.
    """
    per_example = binary_crossentropy(labels, probabilities)
    data_loss = keras.ops.sum(per_example) / global_batch_size
    return data_loss, data_loss + l2_penalty(weights, weight_decay)
