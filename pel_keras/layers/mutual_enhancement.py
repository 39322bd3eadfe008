"""Mutual enhancement module (Section 3.3, eq. 5-6)."""

import keras
from keras import ops

from pel_keras.layers.noise_enhancement import INTENSITY_INIT


@keras.saving.register_keras_serializable(package="pel_keras")
class MutualEnhancement(keras.layers.Layer):
    """Spatial attention shared across streams: ``f_s + DWConv1x1(f_s * a_s)``.

    Eq. 5: the streams' features are concatenated along channels and a point-wise convolution with one
    output per stream, followed by a sigmoid, gives one spatial attention map per stream,
    ``A = sigmoid(Conv1x1(Cat(f_rgb, f_freq)))``. Eq. 6: each stream is multiplied by its map, passed
    through a depthwise 1x1 convolution (the enhancing intensity) and added to its input.

    Called on one stream (the single-stream ablations of Table 4), the module is the plain spatial
    attention the paper substitutes for it.

    Call arguments:
        inputs: list of ``(B, H, W, C_s)`` feature maps (two for ``[f_rgb, f_freq]``) with equal
            ``B, H, W``. Returns the list of enhanced maps, same shapes.
    """

    def build(self, input_shape):
        shapes = [tuple(shape) for shape in input_shape]
        if len({shape[1:3] for shape in shapes}) != 1:
            raise ValueError(f"All streams need the same spatial size, got shapes {shapes}.")
        self.attention = keras.layers.Conv2D(len(shapes), 1, dtype=self.dtype_policy, name="attention")
        self.attention.build(shapes[0][:-1] + (sum(shape[-1] for shape in shapes),))
        self.intensities = []
        for index, shape in enumerate(shapes):
            intensity = keras.layers.DepthwiseConv2D(
                1,
                depthwise_initializer=keras.initializers.Constant(INTENSITY_INIT),
                dtype=self.dtype_policy,
                name=f"intensity_{index}",
            )
            intensity.build(shape)
            self.intensities.append(intensity)

    def call(self, inputs):
        features = list(inputs)
        joined = features[0] if len(features) == 1 else ops.concatenate(features, axis=-1)
        maps = ops.sigmoid(self.attention(joined))
        return [
            feature + intensity(feature * maps[..., index : index + 1])
            for index, (feature, intensity) in enumerate(zip(features, self.intensities))
        ]

    def compute_output_shape(self, input_shape):
        return [tuple(shape) for shape in input_shape]
