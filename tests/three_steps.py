"""Three training steps of PEL on the backend ``KERAS_BACKEND`` chooses, for the cross-backend agreement test:
``python tests/three_steps.py WORK`` loads the initial weights ``WORK/initial.weights.h5`` (written by the
first backend when missing) and the batches ``WORK/batches.npz`` (their shape sets the batch and image
size), runs the project's train step on each batch, and writes ``WORK/<backend>.npz``: the three losses and
every model variable after them (by position and path)."""

import os
import sys

import keras
import numpy as np
import tensorflow as tf

from pel_keras.training import TrainConfig
from pel_keras.training.backend_parts import steps
from pel_keras.training.model import build_training_model
from pel_keras.training.optimizer import make_optimizer
from pel_keras.training.strategy import select_strategy

CONFIG = dict(
    workdir="unused",
    backbone="efficientnet_tiny",
    weights="none",
    streams="two",
    self_enhancement=True,
    mutual_enhancement=True,
    dropout=0.0,
    stochastic_depth=0.0,
    weight_decay=1e-4,
)
LEARNING_RATE = 1e-4


def main(work):
    with np.load(os.path.join(work, "batches.npz")) as batches:
        images, labels = batches["images"], batches["labels"]  # (steps, batch, size, size, 3), (steps, batch, 1)
    config = TrainConfig(**CONFIG, batch_size=images.shape[1], image_size=images.shape[2])
    strategy = select_strategy()
    keras.utils.set_random_seed(0)  # the initial weights the first backend writes
    model = build_training_model(config, 1)
    initial = os.path.join(work, "initial.weights.h5")
    if not os.path.exists(initial):
        model.save_weights(initial)
    model.load_weights(initial)
    optimizer = make_optimizer(LEARNING_RATE)
    optimizer.build(model.trainable_variables)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))  # one batch per element
    iterator = iter(strategy.distribute_datasets_from_function(lambda _: dataset))
    train_step = steps()[0](model, optimizer, strategy, config.batch_size, config.weight_decay)
    losses = [float(train_step(iterator)) for _ in range(len(images))]
    # Keyed by position too: the two streams' backbones hold variables of the same path.
    variables = {f"{i:04d} {v.path}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.weights)}
    np.savez(os.path.join(work, f"{keras.backend.backend()}.npz"), losses=np.array(losses), **variables)


if __name__ == "__main__":
    main(sys.argv[1])
