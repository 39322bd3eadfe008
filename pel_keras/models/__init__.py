"""PEL model builders."""

from pel_keras.models.pel import build_model

__all__ = ["build_model"]
