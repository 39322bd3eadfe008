"""The paper's optimizer: PyTorch's ``Adam(lr, weight_decay=wd)``, reproduced in Keras.

PyTorch's Adam adds ``wd * w`` to the gradient of every parameter before the Adam moments (an L2 term,
coupled: the decay passes through Adam's normalisation). Keras' ``AdamW`` instead decays the weights
directly by ``lr * wd * w`` (decoupled, Loshchilov & Hutter), a different method. Here the loss gets
``wd / 2 * sum(w**2)`` over all trainable variables (kernels, biases and batch-norm scales alike, as
``model.parameters()`` in PyTorch), whose gradient is exactly ``wd * w``; being part of the loss, it is
scaled and unscaled with it under mixed precision and summed correctly over replicas.

Adam's constants are PyTorch's (``betas=(0.9, 0.999)``, ``eps=1e-8``; Keras defaults to ``epsilon=1e-7``).
Keras adds ``epsilon`` to ``sqrt(v)`` before the bias correction of ``v``, PyTorch after it; the update
differs by at most a relative ``eps / sqrt(v_hat)``, nothing for weights with non-vanishing gradients.
"""

import keras

ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-8
SCHEDULES = ("constant", "cosine")


def make_optimizer(learning_rate, loss_scaling=False, schedule="constant", total_steps=None):
    """Adam with PyTorch's constants; wrapped in a dynamic ``LossScaleOptimizer`` for float16.

    ``schedule="cosine"``: the rate follows ``lr * (1 + cos(pi * step / total_steps)) / 2`` down to 0 at
    ``total_steps`` (Loshchilov & Hutter's SGDR without restarts), a function of the optimizer's step
    counter, which checkpoints keep, so a resumed run continues the curve.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose one of {SCHEDULES}")
    if schedule == "cosine":
        if not total_steps:
            raise ValueError("the cosine schedule needs the run's total number of steps")
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, total_steps)
    optimizer = keras.optimizers.Adam(
        learning_rate, beta_1=ADAM_BETA_1, beta_2=ADAM_BETA_2, epsilon=ADAM_EPSILON, name="adam"
    )
    return keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaling else optimizer


def l2_penalty(variables, weight_decay):
    """``weight_decay / 2 * sum(w**2)`` over ``variables`` (float32), whose gradient is ``weight_decay * w``;
    ``keras.ops``, so it serves every backend's step (variables or their values)."""
    if not weight_decay:
        return keras.ops.zeros((), "float32")
    squares = [keras.ops.sum(keras.ops.square(keras.ops.cast(v, "float32"))) for v in variables]
    return 0.5 * weight_decay * keras.ops.sum(keras.ops.stack(squares))
