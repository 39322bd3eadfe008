"""Model size and cost: parameter counts and FLOPs (multiply-add = 2 FLOPs), per stream."""

import keras


def count_flops(model, batch_size=1):
    """Floating-point operations of one inference of ``model`` at ``batch_size``.

    Counted by TensorFlow's graph profiler on the traced inference graph: convolutions and matmuls as
    2 FLOPs per multiply-add, plus the element-wise ops it has statistics for (batch norm, activations,
    additions). Min/max comparisons of the median filter are not counted. XLA counts differently (it
    skips the zero padding), so the count is TensorFlow's, whatever backend trains the model.

    Raises:
        RuntimeError: Keras runs on another backend than TensorFlow (the graph profiler traces TensorFlow
            ops only).
    """
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"count_flops counts with TensorFlow's graph profiler, but Keras runs on {keras.backend.backend()}: "
            "run it with KERAS_BACKEND=tensorflow"
        )
    import tensorflow as tf

    inference = tf.autograph.experimental.do_not_convert(lambda images: model(images, training=False))
    spec = tf.TensorSpec((batch_size, *model.input_shape[1:]), tf.float32)
    graph = tf.function(inference).get_concrete_function(spec).graph
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    return tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops


def stream_parameters(model):
    """Parameters per part of a PEL model: ``{"rgb": n, "freq": n, "shared": n}``.

    A stream owns its stem, stages and self-enhancement modules (layers named ``rgb_*`` / ``freq_*``);
    the mutual-enhancement modules and the classifier are shared.
    """
    counts = {"rgb": 0, "freq": 0, "shared": 0}
    for layer in model.layers:
        part = layer.name.split("_", 1)[0]
        counts[part if part in ("rgb", "freq") else "shared"] += layer.count_params()
    return counts
