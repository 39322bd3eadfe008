"""Channel attention block of the self-enhancement module (Section 3.2, eq. 4)."""

import keras
from keras import ops

MIN_HIDDEN = 8


@keras.saving.register_keras_serializable(package="pel_keras")
class ChannelAttention(keras.layers.Layer):
    """``f + f * sigmoid(MLP(GAP(f)) + MLP(GMP(f)))`` with one MLP shared by both poolings.

    Eq. 4 writes ``MLP(GAP(f) + GMP(f))``; like CBAM (which the block follows) the shared MLP is applied
    to each pooled vector and the results are added, which lets max and average pooling pass through
    the ReLU separately. The residual form keeps the features: a zero MLP gives ``1.5 * f``.

    Args:
        reduction: hidden width of the MLP is ``max(MIN_HIDDEN, C // reduction)`` (CBAM's 16 by
            default). The floor of 8 units keeps narrow early stages (24-32 channels) from collapsing to
            a single ReLU unit, which can be dead from the start and then never learns.

    Call arguments:
        inputs: ``(B, H, W, C)`` feature map. Output has the same shape.
    """

    def __init__(self, reduction=16, **kwargs):
        super().__init__(**kwargs)
        if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 1:
            raise ValueError(f"reduction must be a positive integer, got {reduction!r}.")
        self.reduction = reduction

    def build(self, input_shape):
        channels = input_shape[-1]
        self.hidden = keras.layers.Dense(
            max(MIN_HIDDEN, channels // self.reduction), activation="relu", dtype=self.dtype_policy, name="hidden"
        )
        self.excite = keras.layers.Dense(channels, dtype=self.dtype_policy, name="excite")
        pooled_shape = (input_shape[0], 1, 1, channels)
        self.hidden.build(pooled_shape)
        self.excite.build(self.hidden.compute_output_shape(pooled_shape))

    def call(self, inputs):
        average = ops.mean(inputs, axis=(1, 2), keepdims=True)
        maximum = ops.max(inputs, axis=(1, 2), keepdims=True)
        attention = ops.sigmoid(self.excite(self.hidden(average)) + self.excite(self.hidden(maximum)))
        return inputs + inputs * attention

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "reduction": self.reduction}
