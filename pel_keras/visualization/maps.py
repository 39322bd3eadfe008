"""Map arithmetic for the figures (numpy + OpenCV): enhancement residuals (Fig. 3-4), scaling, resizing."""

import cv2
import numpy as np


def enhancement_residual(before, after):
    """``(B, h, w)`` per-position mean over channels of ``|after - before|``: what a module added (Fig. 3-4)."""
    return np.abs(np.asarray(after, np.float32) - np.asarray(before, np.float32)).mean(axis=-1)


def scale_to_unit(maps, low=None, high=None):
    """``maps`` mapped linearly onto 0..1 between ``low`` and ``high`` (default: their own min and max).

    A constant input (``high == low``) gives zeros rather than a division by zero.
    """
    maps = np.asarray(maps, np.float32)
    low = maps.min() if low is None else low
    high = maps.max() if high is None else high
    if high <= low:
        return np.zeros_like(maps)
    return np.clip((maps - low) / (high - low), 0.0, 1.0)


def resize_map(values, side):
    """A ``(h, w)`` map resized to ``(side, side)`` with bilinear interpolation (pixel centres aligned)."""
    return cv2.resize(np.asarray(values, np.float32), (side, side), interpolation=cv2.INTER_LINEAR)
