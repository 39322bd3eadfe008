"""SavedModel with a named serving signature: ``images`` (float32 RGB 0..255) -> ``fake_probability``.

The same folder is the source of the TFLite and ONNX conversions, so all three carry the signature's
names. Reload it with ``tf.saved_model.load(path).signatures["serving_default"](images=...)`` or, inside a
Keras model, ``keras.layers.TFSMLayer(path, call_endpoint="serve")``.
"""

import keras
import tensorflow as tf

from pel_keras.inference.contract import INPUT_NAME, OUTPUT_NAME, SAVED_MODEL_ENDPOINT


def input_spec(model, batch_size=None):
    """The ``images`` TensorSpec of ``model``: ``(batch_size, H, W, 3)`` float32."""
    height, width, channels = model.input_shape[1:]
    if height is None or width is None:
        raise ValueError(f"the model's input size must be fixed to export it, got {model.input_shape}")
    return tf.TensorSpec((batch_size, height, width, channels), tf.float32, name=INPUT_NAME)


def write_saved_model(model, path, batch_size=None):
    """Writes ``model`` as a SavedModel at ``path`` whose ``serving_default`` (and ``serve``) signature maps
    ``images`` to ``{"fake_probability": (B, 1) float32}`` in inference mode.

    Args:
        model: a float32 PEL Keras model.
        path: the folder to write.
        batch_size: None for any batch size, or a fixed one.
    """
    archive = keras.export.ExportArchive()
    # No archive.track(model): the endpoint already captures every variable it uses, and tracking the model
    # as well stores each weight a second time (keras-team/keras#23553; 283 MB instead of 142 for B4).
    archive.add_endpoint(
        SAVED_MODEL_ENDPOINT,
        lambda images: {OUTPUT_NAME: model(images, training=False)},
        input_signature=[input_spec(model, batch_size)],
    )
    archive.write_out(str(path), verbose=False)
