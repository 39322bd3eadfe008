"""The distributed training and prediction steps (``strategy.run`` in a ``tf.function``).

A custom loop rather than ``model.fit``: ``model.fit`` is broken under ``MultiWorkerMirroredStrategy``
in Keras 3 (keras-team/keras#20585), and one loop serves one device, local GPUs and several machines.
"""

import keras
import tensorflow as tf

from pel_keras.training.optimizer import l2_penalty


def make_train_step(model, optimizer, strategy, global_batch_size, weight_decay):
    """A ``tf.function`` taking a distributed iterator, running one step, returning the global mean BCE.

    Each replica's binary cross-entropy is summed and divided by the *global* batch size, and the L2 term
    divided by the number of replicas, so the gradients summed over replicas (the optimizer's all-reduce)
    are those of one device holding the whole batch.
    """
    variables = model.trainable_variables
    replicas = strategy.num_replicas_in_sync
    loss_scaling = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            probabilities = tf.cast(model(images, training=True), tf.float32)
            per_example = keras.losses.binary_crossentropy(labels, probabilities)
            data_loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            loss = data_loss + l2_penalty(variables, weight_decay) / replicas
            scaled_loss = optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, variables)
        if loss_scaling and replicas > 1:
            gradients = agree_on_finite(gradients)
        optimizer.apply(gradients, variables)
        return data_loss

    @tf.function
    def train_step(iterator):
        images, labels = next(iterator)
        losses = strategy.run(replica_step, args=(images, labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    return train_step


def make_predict_step(model, strategy):
    """A ``tf.function`` mapping a distributed batch ``(images, labels, index)`` to the gathered
    ``(probabilities (N,), labels (N, 1), index (N,))`` of all replicas of all workers."""

    @tf.function(reduce_retracing=True)
    def predict_step(images, labels, index):
        probabilities = strategy.run(lambda x: tf.cast(model(x, training=False)[:, 0], tf.float32), args=(images,))
        return tuple(strategy.gather(value, axis=0) for value in (probabilities, labels, index))

    return predict_step


def agree_on_finite(gradients):
    """Makes every replica see non-finite gradients when any replica has them (call in a replica context).

    ``LossScaleOptimizer`` decides per replica whether to apply or skip a step; replicas that disagree
    would apply different updates (or wait forever in the gradient all-reduce). A one-number all-reduce
    turns one replica's overflow into a skipped step everywhere.
    """
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in gradients if g is not None])
    context = tf.distribute.get_replica_context()
    overflowing = context.all_reduce(tf.distribute.ReduceOp.SUM, 1.0 - tf.cast(finite, tf.float32))
    poison = tf.where(overflowing > 0, float("nan"), 1.0)
    return [None if g is None else g * tf.cast(poison, g.dtype) for g in gradients]
