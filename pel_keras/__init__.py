"""PEL-Keras: Progressive Enhancement Learning for face forgery detection (Gu et al., AAAI 2022)."""


def build_model(*args, **kwargs):
    """Builds the PEL model; see :func:`pel_keras.models.pel.build_model`."""
    from pel_keras.models.pel import build_model as _build_model

    return _build_model(*args, **kwargs)


__all__ = ["build_model"]
