"""PEL-Keras: Progressive Enhancement Learning for face forgery detection (Gu et al., AAAI 2022).

Imports stay lazy so that the numpy/OpenCV-only modules (face cropping, frame sampling) can be used
without TensorFlow, e.g. by the edge predictor.
"""


def build_model(*args, **kwargs):
    """Builds the PEL model; see :func:`pel_keras.models.pel.build_model`."""
    from pel_keras.models.pel import build_model as _build_model

    return _build_model(*args, **kwargs)


def load_model(path, compile=False):
    """Loads a saved PEL ``.keras`` model in Keras safe mode (registers the PEL layers first).

    Raises:
        OSError: the path cannot be read; the message names it and says why (missing, a folder, permission
            denied, a symbolic link loop).
        ValueError: not a whole ``.keras`` file (truncated, text, another format), or Keras refuses it.
    """
    import keras

    import pel_keras.layers  # noqa: F401  (registers the serializable PEL layers)
    from pel_keras.files.readable import check_keras_file

    check_keras_file(path)  # Keras reports all of these as "File not found"
    return keras.saving.load_model(path, compile=compile)


__all__ = ["build_model", "load_model"]
