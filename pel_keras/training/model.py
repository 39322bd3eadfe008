"""The model as trained: PEL from the config, in the run's precision, with its training-only switches."""

import re

import keras

import pel_keras

KERAS_DROP_CONNECT_RATE = 0.2  # keras.applications' EfficientNet default, reached by its last block
_BLOCK_DROP = re.compile(r"^block\d+[a-z]_drop$")


def precision_policy(mixed_precision):
    """``float32``; with ``mixed_precision``, ``mixed_float16`` on GPUs (tensor cores on every generation,
    with loss scaling) and ``mixed_bfloat16`` elsewhere (CPUs have no fast float16, and bfloat16 needs no
    loss scaling)."""
    if not mixed_precision:
        return "float32"
    return "mixed_float16" if has_gpu() else "mixed_bfloat16"


def has_gpu():
    """Whether the Keras backend computes on a GPU."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].platform == "gpu"
    if keras.backend.backend() == "torch":
        return keras.ops.zeros(()).device.type == "cuda"  # where Keras' torch backend puts every tensor
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def all_layers(model):
    """Every layer inside ``model``, nested models included, each once."""
    seen, stack = {}, list(model.layers)
    while stack:
        layer = stack.pop()
        if id(layer) not in seen:
            seen[id(layer)] = layer
            stack += getattr(layer, "layers", [])
    return list(seen.values())


def set_stochastic_depth(model, rate):
    """Sets the EfficientNet blocks' drop-connect ramp to end at ``rate`` instead of 0.2.

    keras.applications gives block ``b`` of ``n`` (counted from 0) the rate ``0.2 * b / n``, blocks without
    a residual connection none; each rate is scaled by ``rate / 0.2``.
    """
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.Dropout) and _BLOCK_DROP.match(layer.name):
            layer.rate = layer.rate * rate / KERAS_DROP_CONNECT_RATE


def synchronize_batch_norm(model):
    """Makes every batch normalisation compute its statistics over the global batch of all replicas."""
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True


def build_training_model(config, replicas):
    """PEL for ``config`` (call under the strategy's scope, with the precision policy set)."""
    model = pel_keras.build_model(**config.model_kwargs())
    if config.stochastic_depth is not None:
        set_stochastic_depth(model, config.stochastic_depth)
    if replicas > 1 and config.sync_batchnorm and keras.backend.backend() == "tensorflow":
        synchronize_batch_norm(model)  # on JAX one program computes over the global batch: global already
    return model
