"""Per-channel spatial mean filter (the "mean filter" denoiser of Table 5)."""

import keras
from keras import ops

from pel_keras.layers.sliding_windows import shifted_views, validate_odd_kernel_size


@keras.saving.register_keras_serializable(package="pel_keras")
class MeanFilter2D(keras.layers.Layer):
    """Mean of every ``kernel_size x kernel_size`` neighbourhood, channel by channel.

    Border rule: mirror padding with the edge repeated, as ``scipy.ndimage.uniform_filter(...,
    mode="reflect")``; same windows as :class:`MedianFilter2D`.

    Args:
        kernel_size: odd window size.

    Call arguments:
        inputs: ``(B, H, W, C)`` tensor.
    """

    def __init__(self, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = validate_odd_kernel_size(kernel_size)

    def call(self, inputs):
        views = shifted_views(inputs, self.kernel_size)
        return ops.mean(ops.stack(views, axis=0), axis=0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size}
