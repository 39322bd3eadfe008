"""The pieces of training that depend on the Keras backend (``KERAS_BACKEND``): the steps, the checkpoint
format and the devices. Everything else (config, data, model selection, run folder, NaN guard, resume) is
one code path on every backend.

- ``tensorflow``: ``tf.function`` steps under a ``tf.distribute`` strategy (:mod:`.steps`, :mod:`.strategy`)
  and ``tf.train.Checkpoint`` (:mod:`.checkpoints`), which every worker of a cluster writes together.
- ``jax``: jitted ``stateless_call``/``stateless_apply`` steps (:mod:`.jax_steps`) on JAX's devices
  (:mod:`.jax_strategy`) and Keras weight files (:mod:`.keras_checkpoints`).
- ``torch``: eager autograd steps (:mod:`.torch_steps`) on one device (:mod:`.one_device`) and Keras
  weight files.
"""

import keras

TRAINING_BACKENDS = ("tensorflow", "jax", "torch")


def backend():
    """The Keras backend, when training supports it.

    Raises:
        RuntimeError: the backend is one training does not support (named, with those it does).
    """
    name = keras.backend.backend()
    if name not in TRAINING_BACKENDS:
        raise RuntimeError(
            f"Training runs on the Keras backends {', '.join(TRAINING_BACKENDS)}; KERAS_BACKEND is {name!r}. "
            "Models trained on any of them predict on every backend."
        )
    return name


def steps():
    """``(make_train_step, make_predict_step)`` of the backend (see :mod:`.steps`)."""
    name = backend()
    if name == "jax":
        from pel_keras.training import jax_steps as module
    elif name == "torch":
        from pel_keras.training import torch_steps as module
    else:
        from pel_keras.training import steps as module
    return module.make_train_step, module.make_predict_step


def checkpointer_class():
    """The class that saves and restores the run's state on this backend."""
    if backend() != "tensorflow":
        from pel_keras.training.keras_checkpoints import KerasCheckpointer

        return KerasCheckpointer
    from pel_keras.training.checkpoints import Checkpointer

    return Checkpointer
