"""Noise enhancement block of the self-enhancement module (Section 3.2, eq. 2-3)."""

import keras
from keras import ops

from pel_keras.layers.denoisers import make_denoisers

# Small positive start for the depthwise "intensity" convs: the block starts close to the identity
# (ImageNet features stay intact) while every weight before it still receives a gradient.
INTENSITY_INIT = 0.1


@keras.saving.register_keras_serializable(package="pel_keras")
class NoiseEnhancement(keras.layers.Layer):
    """``f + DWConv1x1(sigmoid(f - M(f)))``: amplifies the feature noise left by a denoiser ``M``.

    Eq. 2 extracts the noise ``f_noi = f - M(f)`` with a 3x3 median filter ``M`` (default); eq. 3 squashes
    it with a sigmoid, scales it per channel with a depthwise 1x1 convolution and adds it back. The other
    denoisers of Table 5 are available; the multi-median variants compute one residual per kernel size
    and merge them with a 1x1 group convolution (one group per channel: ``sum_k w[k, c] * noise_k[c] +
    b[c]``) before the sigmoid, as the paper describes.

    Args:
        denoiser: one of ``median3`` (default), ``median5``, ``median7``, ``mean3``, ``nonlocal_means``,
            ``multi_median_3_5``, ``multi_median_3_5_7``.

    Call arguments:
        inputs: ``(B, H, W, C)`` feature map. Output has the same shape.
    """

    def __init__(self, denoiser="median3", **kwargs):
        super().__init__(**kwargs)
        self.denoiser = denoiser
        self.denoisers = make_denoisers(denoiser, dtype=self.dtype_policy)
        self.intensity = keras.layers.DepthwiseConv2D(
            1,
            depthwise_initializer=keras.initializers.Constant(INTENSITY_INIT),
            dtype=self.dtype_policy,
            name="intensity",
        )

    def build(self, input_shape):
        channels = input_shape[-1]
        if len(self.denoisers) > 1:
            self.group_kernel = self.add_weight(
                shape=(len(self.denoisers), channels),
                initializer=keras.initializers.Constant(1.0 / len(self.denoisers)),
                name="group_kernel",
            )
            self.group_bias = self.add_weight(shape=(channels,), initializer="zeros", name="group_bias")
        for denoiser in self.denoisers:
            denoiser.build(input_shape)
        self.intensity.build(input_shape)

    def call(self, inputs):
        residuals = [inputs - denoise(inputs) for denoise in self.denoisers]
        noise = residuals[0]
        if len(residuals) > 1:
            kernel = ops.cast(self.group_kernel, noise.dtype)
            noise = sum(kernel[k] * residual for k, residual in enumerate(residuals))
            noise = noise + ops.cast(self.group_bias, noise.dtype)
        return inputs + self.intensity(ops.sigmoid(noise))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "denoiser": self.denoiser}
