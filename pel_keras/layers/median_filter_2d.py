"""Per-channel spatial median filter made of TFLite-builtin ops (the denoiser M of eq. 2)."""

import keras
from keras import ops

from pel_keras.layers.selection_network import median_selection_ops
from pel_keras.layers.sliding_windows import shifted_views, validate_odd_kernel_size


@keras.saving.register_keras_serializable(package="pel_keras")
class MedianFilter2D(keras.layers.Layer):
    """Median of every ``kernel_size x kernel_size`` neighbourhood, channel by channel.

    The median is computed exactly by a min/max selection network over the shifted views of the input
    (Paeth's 19-comparator network for 3x3), so it converts to TFLite builtins (MINIMUM/MAXIMUM) and
    ONNX without Flex ops and stays int8 friendly.

    Border rule: the input is mirror-padded with the edge pixel repeated (``d c b a | a b c d``), i.e.
    ``scipy.ndimage.median_filter(x, size=(1, k, k, 1), mode="reflect")`` everywhere, borders included.

    Args:
        kernel_size: odd window size (3, 5, 7, ...).

    Call arguments:
        inputs: ``(B, H, W, C)`` tensor with ``H, W >= kernel_size // 2``.

    Example:
        >>> MedianFilter2D(3)(np.zeros((1, 8, 8, 4))).shape
        (1, 8, 8, 4)
    """

    def __init__(self, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = validate_odd_kernel_size(kernel_size)
        self._ops, self._output = median_selection_ops(kernel_size * kernel_size)

    def call(self, inputs):
        values = shifted_views(inputs, self.kernel_size)
        for kind, a, b in self._ops:
            combine = ops.minimum if kind == "min" else ops.maximum
            values.append(combine(values[a], values[b]))
        return values[self._output]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size}
