"""Colour maps over images: heat colours for 0..1 maps and their blend with a face or a frame."""

import matplotlib
import numpy as np

COLORMAP = "jet"  # the paper's figures use the usual blue (low) to red (high) CAM colours


def colorize(values):
    """``(H, W)`` values in 0..1 -> ``(H, W, 3)`` uint8 RGB heat colours."""
    rgba = matplotlib.colormaps[COLORMAP](np.clip(values, 0.0, 1.0))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def blend(image, values, alpha=0.5):
    """``image`` (RGB uint8) with the heat colours of ``values`` (same ``H, W``, 0..1) laid over it."""
    if image.shape[:2] != np.shape(values):
        raise ValueError(f"map of shape {np.shape(values)} does not match image of shape {image.shape}")
    mixed = (1 - alpha) * image.astype(np.float32) + alpha * colorize(values).astype(np.float32)
    return mixed.round().astype(np.uint8)
