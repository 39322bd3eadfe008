"""Where the figures read the PEL graph: the tensors behind Fig. 2-4 of the paper, and one model to fetch them.

Only single-node, top-level layers are tapped: a nested stage model (``rgb_stage3``) reports its own
internal tensors as ``.output``, not the ones in the PEL graph. Names follow
:func:`pel_keras.models.pel.build_model`.
"""

import os

import keras
import numpy as np

import pel_keras
from pel_keras.files.readable import check_keras_file
from pel_keras.inference.predictors import ModelError
from pel_keras.models.pel import MUTUAL_ENHANCEMENT_STAGES, NOISE_ENHANCEMENT_STAGES

STREAM_ORDER = ("rgb", "freq")  # the order of the streams in the graph, the mutual module and the classifier


class MissingModuleError(ValueError):
    """The model lacks the module a figure shows (e.g. an ablation of Table 4); the message names it."""


def load_graph_model(path, purpose):
    """The ``.keras`` model at ``path`` for ``purpose``, which reads tensors inside the graph.

    Raises:
        ModelError: ``path`` is not a ``.keras`` file (a SavedModel, ``.tflite`` or ``.onnx`` keeps only the
            probability) or does not load; the message names it.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ModelError(
            f"{path}: {purpose} needs the .keras model (it reads the features inside the graph; "
            "a SavedModel, .tflite or .onnx export keeps only the probability)"
        )
    try:
        check_keras_file(path)
    except (OSError, ValueError) as error:  # missing, unreadable, truncated: the true reason, named
        raise ModelError(str(error)) from None
    try:
        return pel_keras.load_model(path)
    except Exception as error:  # Keras raises many types for a bad file; name the file for all of them
        raise ModelError(f"{path}: could not load: {type(error).__name__}: {error}") from error


def _layer(model, name, purpose):
    try:
        return model.get_layer(name)
    except ValueError:
        raise MissingModuleError(
            f"model {model.name!r} has no layer {name!r}, which {purpose} needs (a Table 4 ablation, or not "
            "a PEL model built by pel_keras.build_model)"
        ) from None


def model_streams(model):
    """The streams the model has, in graph order: ``("rgb", "freq")``, ``("rgb",)`` or ``("freq",)``."""
    names = {layer.name for layer in model.layers}
    streams = tuple(s for s in STREAM_ORDER if f"{s}_pool" in names)
    if not streams:
        raise MissingModuleError(f"model {model.name!r} has neither rgb_pool nor freq_pool: not a PEL model")
    return streams


def last_features(model):
    """``{stream: (B, h, w, C_s)}``: each stream's features after stage 7, before global pooling (CAM)."""
    return {s: _layer(model, f"{s}_pool", "the class activation map").input for s in model_streams(model)}


def self_enhancement_pairs(model):
    """``{stream: (f_in, f_out)}`` of the first self-enhancement module (Fig. 3): the noise enhancement
    after stage 1, where the module has no channel attention yet."""
    stage = NOISE_ENHANCEMENT_STAGES[0]
    pairs = {}
    for stream in model_streams(model):
        layer = _layer(model, f"{stream}_noise_enhancement_{stage}", "Fig. 3 (self-enhancement)")
        pairs[stream] = (layer.input, layer.output)
    return pairs


def mutual_enhancement_pairs(model):
    """``{stream: (f_in, f_out)}`` of the last mutual-enhancement module (Fig. 4)."""
    layer = _layer(model, f"mutual_enhancement_{MUTUAL_ENHANCEMENT_STAGES[-1]}", "Fig. 4 (mutual enhancement)")
    pairs = zip(keras.tree.flatten(layer.input), keras.tree.flatten(layer.output))  # one stream: a bare tensor
    return dict(zip(model_streams(model), pairs))


class FeatureModel:
    """One forward pass that returns named tensors of a model as float32 numpy arrays.

    Args:
        model: the Keras model.
        taps: ``{name: KerasTensor of model's graph}``.

    Example:
        >>> fetch = FeatureModel(model, {"probability": model.output, **last_features(model)})
        >>> arrays = fetch(images)  # {"probability": (B, 1), "rgb": (B, h, w, C), ...}
    """

    def __init__(self, model, taps):
        self.names = list(taps)
        self.model = keras.Model(model.input, [taps[name] for name in self.names])

    def __call__(self, images):
        outputs = keras.tree.flatten(self.model.predict_on_batch(np.asarray(images, np.float32)))  # 1 tap: bare
        return {name: np.asarray(value, np.float32) for name, value in zip(self.names, outputs, strict=True)}
