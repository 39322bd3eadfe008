"""The model behind ``predict.py``: face crops in, fake probabilities (and, for heatmaps, CAMs) out.

Scores come from :func:`pel_keras.inference.predictors.load_predictor`, so a ``.keras`` model, a SavedModel
(only when trusted: it runs its own graph), a ``.tflite`` or an ``.onnx`` file all work. Heatmaps need the
``.keras`` model: the class activation map (Fig. 2, Zhou et al. 2016) reads each stream's last features
inside the graph; then one forward pass gives both the probability and the maps.
"""

import numpy as np

from pel_keras.inference.predictors import ModelError, load_predictor
from pel_keras.visualization.cam import ClassActivationMaps
from pel_keras.visualization.taps import FeatureModel, load_graph_model


class Scorer:
    """Callable ``crops (N, S, S, 3) float32 RGB 0..255 -> (probabilities (N,), maps (N, h, w) or None)``.

    Args:
        path: the model (``.keras``, SavedModel folder, ``.tflite`` or ``.onnx``).
        heatmaps: also compute each crop's fake-evidence map
            (:meth:`~pel_keras.visualization.cam.ClassActivationMaps.fake_evidence`); ``.keras`` only.
        batch_size: crops per model call.
        image_size: the crop side, for a model whose input size is dynamic (otherwise the model's).
        num_threads: threads of a ``.tflite`` or ``.onnx`` model (as
            :func:`~pel_keras.inference.predictors.load_predictor`).
        trusted: also load models that run code of their own (a SavedModel; as ``load_predictor``).

    Raises:
        ModelError: the model does not load (or runs code of its own and is not ``trusted``), heatmaps are
            asked of another format, or no crop size is known.
    """

    def __init__(self, path, heatmaps=False, batch_size=32, image_size=None, num_threads=None, trusted=False):
        self.batch_size = batch_size
        self.cams = None
        if heatmaps:
            model = load_graph_model(path, "--heatmap")
            self.cams = ClassActivationMaps(model)
            self._fetch = FeatureModel(model, {"probability": model.output, **self.cams.taps})
            shape = model.input_shape[1:]
        else:
            import pel_keras.layers  # noqa: F401  (registers the PEL layers, so that a .keras PEL model loads)

            self._predictor = load_predictor(path, num_threads, trusted=trusted)
            shape = self._predictor.input_shape
        self.image_size = image_size or shape[0]
        if self.image_size is None:
            raise ModelError(f"{path}: the model's input size is dynamic; give the crop size (--image_size)")

    def _score(self, crops):
        if self.cams is None:
            return self._predictor(crops), None
        arrays = self._fetch(crops)
        return arrays["probability"][:, 0], self.cams.fake_evidence(self.cams(arrays))

    def __call__(self, crops, on_batch=None):
        """Scores ``crops`` in batches of ``batch_size``; ``on_batch(done, total)`` follows after each batch."""
        crops = np.asarray(crops, np.float32)
        if len(crops) == 0:
            return np.zeros(0, np.float32), None
        parts = []
        for start in range(0, len(crops), self.batch_size):
            parts.append(self._score(crops[start : start + self.batch_size]))
            if on_batch is not None:
                on_batch(min(start + self.batch_size, len(crops)), len(crops))
        probabilities = np.concatenate([p for p, _ in parts])
        return probabilities, None if self.cams is None else np.concatenate([m for _, m in parts])
