"""Feature-level non-local means (Buades et al., 2005), the "non-local means" denoiser of Table 5."""

import keras
from keras import ops

from pel_keras.layers.sliding_windows import shifted_views, validate_odd_kernel_size


@keras.saving.register_keras_serializable(package="pel_keras")
class NonLocalMeans2D(keras.layers.Layer):
    """Non-local means over a ``kernel_size x kernel_size`` search window of a feature map.

    Each output pixel is a weighted mean of its neighbours, weighted by the similarity of their feature
    vectors (the ``C`` channels at a position act as the patch descriptor, as in feature-denoising
    networks): ``y_i = sum_j softmax_j(-||x_i - x_j||^2 / (C * bandwidth^2)) * x_j``. Borders are
    mirror-padded like :class:`MedianFilter2D`.

    Args:
        kernel_size: odd size of the search window.
        bandwidth: the filtering parameter ``h`` of non-local means, in units of the features.

    Call arguments:
        inputs: ``(B, H, W, C)`` tensor.
    """

    def __init__(self, kernel_size=3, bandwidth=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = validate_odd_kernel_size(kernel_size)
        if not bandwidth > 0:
            raise ValueError(f"bandwidth must be positive, got {bandwidth!r}.")
        self.bandwidth = float(bandwidth)

    def call(self, inputs):
        views = shifted_views(inputs, self.kernel_size)
        # mean over channels = ||x_i - x_j||^2 / C
        distances = [ops.mean(ops.square(inputs - view), axis=-1, keepdims=True) for view in views]
        weights = ops.softmax(ops.concatenate(distances, axis=-1) / -(self.bandwidth**2), axis=-1)
        return sum(weights[..., j : j + 1] * view for j, view in enumerate(views))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "bandwidth": self.bandwidth,
        }
