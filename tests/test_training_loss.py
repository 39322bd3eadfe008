"""The training loss of the JAX and PyTorch steps: Keras' binary cross-entropy, written in ``keras.ops`` so
that a NaN probability gives a NaN loss on every backend (PyTorch's own kernel stops with an error), summed
over the global batch, plus the coupled L2 term."""

import keras
import numpy as np
import pytest

from pel_keras.training.loss import binary_crossentropy, training_loss

LABELS = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]], "float32")
PROBABILITIES = np.array([[0.2], [0.9], [0.3], [0.0], [1.0]], "float32")  # 0 and 1 are clipped to eps


def test_binary_crossentropy_is_keras_and_the_formula():
    ours = keras.ops.convert_to_numpy(binary_crossentropy(LABELS, PROBABILITIES))
    clipped = np.clip(PROBABILITIES[:, 0].astype("float64"), 1e-7, 1 - 1e-7)
    y = LABELS[:, 0]
    np.testing.assert_allclose(ours, -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)), rtol=1e-5, atol=1e-6)
    keras_own = keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(LABELS, PROBABILITIES))
    np.testing.assert_allclose(ours, keras_own, rtol=1e-5, atol=1e-6)


def test_a_nan_probability_gives_a_nan_loss():
    probabilities = PROBABILITIES.copy()
    probabilities[2] = np.nan
    losses = keras.ops.convert_to_numpy(binary_crossentropy(LABELS, probabilities))
    assert np.isnan(losses[2]) and np.isfinite(np.delete(losses, 2)).all()


def test_the_batch_loss_is_summed_over_the_global_batch_plus_the_l2_term():
    weights = [keras.Variable(np.array(w, "float32"), trainable=False) for w in ([1.0, -2.0], [[3.0]])]
    data_loss, loss = training_loss(LABELS, PROBABILITIES, weights, global_batch_size=10, weight_decay=0.1)
    per_example = keras.ops.convert_to_numpy(binary_crossentropy(LABELS, PROBABILITIES))
    assert float(data_loss) == pytest.approx(per_example.sum() / 10, rel=1e-6)
    assert float(loss) - float(data_loss) == pytest.approx(0.1 / 2 * (1 + 4 + 9), rel=1e-5)
