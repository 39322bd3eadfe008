"""Shifted views of a feature map: the ``k*k`` neighbours of every pixel as ``k*k`` tensors.

Fixed-window filters (median, mean, non-local means) are written as element-wise ops over these views,
which keeps them exact and made only of slices, concatenations and element-wise ops: TFLite builtins,
ONNX and int8 friendly (``tf.image.extract_patches`` and ``keras.ops.median`` would need Flex ops).
"""

from keras import ops


def reflect_pad(x, pad):
    """Pads H and W of ``(B, H, W, C)`` by ``pad`` on each side, mirroring with the edge repeated.

    This is ``scipy.ndimage``'s default ``mode="reflect"`` (``d c b a | a b c d | d c b a``), built from
    single-row and single-column slices so that it exports everywhere. ``pad`` must not exceed H or W.
    """
    if pad == 0:
        return x
    height, width = x.shape[1], x.shape[2]
    if height is not None and height < pad or width is not None and width < pad:
        raise ValueError(
            f"A {2 * pad + 1}x{2 * pad + 1} window needs feature maps of at least {pad}x{pad}, got {height}x{width}."
        )
    rows_before = [x[:, i : i + 1] for i in reversed(range(pad))]
    rows_after = [x[:, -i - 1 : (-i or None)] for i in range(pad)]
    x = ops.concatenate(rows_before + [x] + rows_after, axis=1)
    cols_before = [x[:, :, i : i + 1] for i in reversed(range(pad))]
    cols_after = [x[:, :, -i - 1 : (-i or None)] for i in range(pad)]
    return ops.concatenate(cols_before + [x] + cols_after, axis=2)


def shifted_views(x, kernel_size):
    """Returns the ``kernel_size**2`` views ``x[i + dy, j + dx]`` (row-major over dy, dx), reflect-padded."""
    pad = kernel_size // 2
    padded = reflect_pad(x, pad)
    height, width = ops.shape(x)[1], ops.shape(x)[2]
    return [padded[:, dy : dy + height, dx : dx + width] for dy in range(kernel_size) for dx in range(kernel_size)]


def validate_odd_kernel_size(kernel_size):
    """Returns ``kernel_size`` if it is a positive odd int, else raises a ValueError showing it."""
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size % 2 == 0 or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size!r}.")
    return kernel_size
