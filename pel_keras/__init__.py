"""PEL-Keras: Progressive Enhancement Learning for face forgery detection (Gu et al., AAAI 2022).

Imports stay lazy so that the numpy/OpenCV-only modules (face cropping, frame sampling) can be used
without Keras or TensorFlow, e.g. by the edge predictor: ``build_model`` is imported from
:mod:`pel_keras.models.pel` and ``from_preset`` (a ready detector from a preset folder, ``hf://`` or
``kaggle://``) from :mod:`pel_keras.prediction.detector` when first asked for (PEP 562), so
``help(pel_keras.build_model)`` shows the real signature.
"""


def __getattr__(name):
    if name == "build_model":
        from pel_keras.models.pel import build_model

        return build_model
    if name == "from_preset":
        from pel_keras.prediction.detector import from_preset

        return from_preset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


__all__ = ["build_model", "from_preset", "load_model"]
