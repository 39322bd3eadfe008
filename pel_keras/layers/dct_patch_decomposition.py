"""Fine-grained frequency decomposition of the RGB input (Section 3.1, eq. 1)."""

import keras
import numpy as np
from keras import ops

# ITU-T T.871 (JPEG/JFIF) full-range RGB -> YCbCr, rows Y, Cb, Cr. The +128 chroma offset and the
# -128 level shift of JPEG cancel for Cb/Cr, so after the level shift only Y is offset by -128.
_RGB_TO_YCBCR = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168735892, -0.331264108, 0.5],
        [0.5, -0.418687589, -0.081312411],
    ],
    dtype=np.float32,
)
_LEVEL_SHIFT = np.array([-128.0, 0.0, 0.0], dtype=np.float32)


def dct_basis(size):
    """Orthonormal DCT-II basis, ``basis[u, x] = c(u) cos((2x + 1) u pi / (2 size))``."""
    u = np.arange(size)[:, None]
    x = np.arange(size)[None, :]
    basis = np.cos((2 * x + 1) * u * np.pi / (2 * size)) * np.sqrt(2.0 / size)
    basis[0] /= np.sqrt(2.0)
    return basis


def rgb_to_ycbcr(rgb):
    """Level-shifted YCbCr (JPEG full range, ITU-T T.871, minus 128) of RGB values 0..255, float32."""
    rgb = ops.cast(rgb, "float32")
    return ops.matmul(rgb, ops.convert_to_tensor(_RGB_TO_YCBCR.T)) + _LEVEL_SHIFT


@keras.saving.register_keras_serializable(package="pel_keras")
class DCTPatchDecomposition(keras.layers.Layer):
    """Sliding-window 2-D DCT of the YCbCr image, one output channel per (colour, frequency) (eq. 1).

    The RGB input (0..255) is converted to level-shifted YCbCr with the JPEG full-range constants
    (ITU-T T.871, minus 128 as in JPEG). Every ``patch_size x patch_size`` window, taken with
    ``stride`` and Keras ``"same"`` zero padding of the YCbCr image, is transformed by the orthonormal
    2-D DCT-II (``scipy.fft.dctn(window, norm="ortho")``). Coefficient ``(u, v)`` of colour channel
    ``c`` (Y, Cb, Cr) lands in output channel ``c * patch_size**2 + u * patch_size + v`` (``u`` vertical,
    ``v`` horizontal frequency), at the window's position.

    The DCT is a fixed depthwise convolution whose kernels are the DCT basis images, derived from the
    config (no weights). It always computes in float32: 0..255 inputs through a DCT overflow float16.

    Args:
        patch_size: window size (8 in the paper, like JPEG blocks).
        stride: window step (2 in the paper).

    Call arguments:
        inputs: ``(B, H, W, 3)`` RGB values in 0..255.

    Returns:
        ``(B, ceil(H / stride), ceil(W / stride), 3 * patch_size**2)`` float32 DCT coefficients.

    Example:
        >>> DCTPatchDecomposition()(np.zeros((1, 320, 320, 3))).shape
        (1, 160, 160, 192)
    """

    def __init__(self, patch_size=8, stride=2, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        for name, value in (("patch_size", patch_size), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self.patch_size = patch_size
        self.stride = stride
        basis = dct_basis(patch_size)
        # kernel[y, x, 0, u * P + v] = basis[u, y] * basis[v, x]; the same for each colour channel.
        per_channel = np.einsum("uy,vx->yxuv", basis, basis).reshape(patch_size, patch_size, 1, -1)
        self._kernel = np.tile(per_channel, (1, 1, 3, 1)).astype(np.float32)

    def call(self, inputs):
        return ops.depthwise_conv(
            rgb_to_ycbcr(inputs),
            ops.convert_to_tensor(self._kernel),
            strides=self.stride,
            padding="same",
        )

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        spatial = [None if size is None else -(-size // self.stride) for size in (height, width)]
        return (batch, *spatial, 3 * self.patch_size**2)

    def get_config(self):
        return {
            **super().get_config(),
            "patch_size": self.patch_size,
            "stride": self.stride,
        }
