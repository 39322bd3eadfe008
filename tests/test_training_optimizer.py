"""The paper's optimizer: PyTorch Adam with coupled L2 weight decay, checked against a hand-computed update
and against ``torch.optim.Adam(weight_decay)`` itself, also under mixed precision (on the backend
``KERAS_BACKEND`` chooses); and loss-scale overflow agreement across replicas."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from backends import needs_tensorflow

from pel_keras.training import backend_parts
from pel_keras.training.optimizer import make_optimizer
from pel_keras.training.strategy import select_strategy

LR, WD = 0.01, 0.1  # a decay large enough to move the weights visibly
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def logistic_regression():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([np.array([[0.5], [-0.3], [0.2]], "float32"), np.array([0.1], "float32")])
    return model


def data():
    x = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 1.5], [-0.7, 0.4, 0.2], [2.0, 0.1, -1.0]], "float32")
    y = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    return x, y


def torch_adam_reference(steps, weight_decay, coupled=True):
    """``torch.optim.Adam(lr, weight_decay)`` on logistic regression, by hand (or AdamW when not coupled)."""
    x, y = data()
    w, b = np.array([0.5, -0.3, 0.2]), 0.1
    params = np.append(w, b)
    m, v = np.zeros(4), np.zeros(4)
    for t in range(1, steps + 1):
        p = 1 / (1 + np.exp(-(x @ params[:3] + params[3])))
        error = (p - y[:, 0]) / len(y)  # d(mean BCE)/d(logit)
        g = np.append(x.T @ error, error.sum())
        if coupled:
            g = g + weight_decay * params  # PyTorch Adam: L2 added to the gradient
        else:
            params = params - LR * weight_decay * params  # AdamW: decoupled
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        params = params - LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return params


def train(steps, weight_decay, loss_scaling=False):
    model = logistic_regression()
    optimizer = make_optimizer(LR, loss_scaling=loss_scaling)
    strategy = select_strategy()  # one device, on the backend KERAS_BACKEND chooses
    step = backend_parts.steps()[0](model, optimizer, strategy, 4, weight_decay)
    iterator = iter(strategy.distribute_datasets_from_function(lambda _: tf.data.Dataset.from_tensors(data()).repeat()))
    for _ in range(steps):
        step(iterator)
    layer = model.layers[0]
    return np.append(keras.ops.convert_to_numpy(layer.kernel)[:, 0], keras.ops.convert_to_numpy(layer.bias)), optimizer


def test_weight_decay_is_pytorch_adams_coupled_l2():
    trained, optimizer = train(3, WD)
    np.testing.assert_allclose(trained, torch_adam_reference(3, WD), rtol=1e-5, atol=1e-7)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 3
    assert np.abs(trained - torch_adam_reference(3, WD, coupled=False)).max() > 1e-4  # not AdamW
    assert np.abs(trained - torch_adam_reference(3, 0.0)).max() > 1e-4  # the decay acts


def test_weight_decay_is_torch_optim_adam_itself():
    torch = pytest.importorskip("torch")
    x, y = (torch.tensor(array, dtype=torch.float64) for array in data())
    linear = torch.nn.Linear(3, 1, dtype=torch.float64)
    layer = logistic_regression().layers[0]
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(keras.ops.convert_to_numpy(layer.kernel).T))
        linear.bias.copy_(torch.tensor(keras.ops.convert_to_numpy(layer.bias)))
    adam = torch.optim.Adam(linear.parameters(), lr=LR, weight_decay=WD)  # the paper's optimizer
    for _ in range(3):
        adam.zero_grad()
        torch.nn.functional.binary_cross_entropy(torch.sigmoid(linear(x)), y).backward()
        adam.step()
    expected = np.append(linear.weight.detach().numpy()[0], linear.bias.detach().numpy())
    np.testing.assert_allclose(expected, torch_adam_reference(3, WD), rtol=1e-6)  # the reference by hand, too
    np.testing.assert_allclose(train(3, WD)[0], expected, rtol=1e-5, atol=1e-7)


def test_loss_scaling_scales_and_unscales_the_weight_decay_too():
    keras.mixed_precision.set_global_policy("mixed_float16")
    trained, optimizer = train(3, WD, loss_scaling=True)
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(keras.ops.convert_to_numpy(optimizer.dynamic_scale)) > 1  # steps were applied under a real scale
    np.testing.assert_allclose(trained, torch_adam_reference(3, WD), rtol=2e-3, atol=2e-4)


@needs_tensorflow
def test_a_float16_overflow_on_one_replica_is_skipped_by_all(tmp_path):
    script = textwrap.dedent("""
        import json, numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from pel_keras.training.steps import agree_on_finite
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        def gradients(overflow_on):
            def fn():
                replica = tf.distribute.get_replica_context().replica_id_in_sync_group
                bad = tf.logical_and(overflow_on >= 0, tf.equal(replica, overflow_on))
                g = tf.where(bad, tf.constant([1.0, np.inf]), tf.constant([1.0, 2.0]))
                return agree_on_finite([g, None])[0]
            return [v.numpy().tolist() for v in strategy.experimental_local_results(strategy.run(fn))]
        print(json.dumps([gradients(tf.constant(1)), gradients(tf.constant(-1))]))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT}
    )
    assert out.returncode == 0, out.stderr[-2000:]
    overflowed, fine = json.loads(out.stdout.strip().splitlines()[-1])
    assert np.isnan(overflowed).all()  # replica 0 was finite, yet skips with replica 1
    assert fine == [[1.0, 2.0], [1.0, 2.0]]


def test_cosine_schedule_follows_the_step_counter_down_to_zero():
    optimizer = make_optimizer(LR, schedule="cosine", total_steps=10)
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    for step in (0, 3, 5, 10, 12):
        optimizer.iterations.assign(step)
        expected = LR * (1 + np.cos(np.pi * min(step, 10) / 10)) / 2
        assert float(optimizer.learning_rate) == pytest.approx(expected, abs=1e-9), step
    with pytest.raises(ValueError, match="total number of steps"):
        make_optimizer(LR, schedule="cosine")
