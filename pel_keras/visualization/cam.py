"""Class activation maps of each PEL stream (Fig. 2 of the paper; Zhou et al., CVPR 2016).

PEL pools each stream's last features ``F_s`` (``(h, w, C_s)``) globally, concatenates the pooled vectors
and applies one dense unit. The logit is therefore ``b + sum_s mean_ij CAM_s[i, j]`` with
``CAM_s = sum_c w_s[c] F_s[:, :, c]``, where ``w_s`` is the stream's slice of the classifier kernel (the
first ``C_rgb`` rows belong to the RGB stream). ``CAM_s`` is the stream's share of the fake logit at each
position.

This is Zhou et al.'s CAM, not Grad-CAM: the classifier's weights times features of one forward pass, no
gradient, so it runs on every Keras backend (TensorFlow, JAX, PyTorch), with or without TensorFlow installed.
"""

import numpy as np
from scipy.special import expit

from pel_keras.visualization.taps import last_features


class ClassActivationMaps:
    """Splits the classifier of a PEL model by stream and turns last features into CAMs.

    Args:
        model: a PEL model (two streams or one).

    Attributes:
        taps: ``{stream: KerasTensor}`` to fetch with :class:`~pel_keras.visualization.taps.FeatureModel`.
        weights: ``{stream: (C_s,)}`` classifier weights of each stream.
        bias: the classifier's bias (the logit of a face whose maps are all zero).

    Example:
        >>> cams = ClassActivationMaps(model)
        >>> arrays = FeatureModel(model, cams.taps)(images)
        >>> maps = cams(arrays)  # {"rgb": (B, h, w), "freq": (B, h, w)}
    """

    def __init__(self, model):
        self.taps = last_features(model)
        kernel, bias = model.get_layer("classifier").get_weights()
        channels = [tensor.shape[-1] for tensor in self.taps.values()]
        if kernel.shape != (sum(channels), 1):
            raise ValueError(
                f"classifier kernel {kernel.shape} does not match the pooled features "
                f"{dict(zip(self.taps, channels))} of model {model.name!r}"
            )
        rows = np.split(kernel[:, 0].astype(np.float32), np.cumsum(channels)[:-1])
        self.weights = dict(zip(self.taps, rows))
        self.bias = float(bias[0])

    def __call__(self, arrays):
        """``{stream: (B, h, w)}`` CAMs from ``arrays[stream]`` = that stream's ``(B, h, w, C_s)`` features."""
        return {s: arrays[s] @ w for s, w in self.weights.items()}

    def fake_evidence(self, maps):
        """``(B, h, w)`` ``sigmoid(b + sum_s CAM_s)``: at each position, the fake probability the model
        would give if the whole face looked like that position. Absolute, so faces can be compared; the
        mean of ``b + sum_s CAM_s`` over positions is the face's logit."""
        return expit(self.bias + sum(maps.values()))
