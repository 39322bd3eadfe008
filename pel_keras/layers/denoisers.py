"""The denoisers of Table 5, as a table of filters built from config."""

from pel_keras.layers.mean_filter_2d import MeanFilter2D
from pel_keras.layers.median_filter_2d import MedianFilter2D
from pel_keras.layers.non_local_means_2d import NonLocalMeans2D

# name -> the (filter class, kernel size) whose noise residuals the noise enhancement combines.
DENOISERS = {
    "median3": ((MedianFilter2D, 3),),
    "median5": ((MedianFilter2D, 5),),
    "median7": ((MedianFilter2D, 7),),
    "mean3": ((MeanFilter2D, 3),),
    "nonlocal_means": ((NonLocalMeans2D, 3),),
    "multi_median_3_5": ((MedianFilter2D, 3), (MedianFilter2D, 5)),
    "multi_median_3_5_7": ((MedianFilter2D, 3), (MedianFilter2D, 5), (MedianFilter2D, 7)),
}


def make_denoisers(name, dtype=None):
    """Instantiates the filters of denoiser ``name`` (a key of :data:`DENOISERS`)."""
    if name not in DENOISERS:
        raise ValueError(f"Unknown denoiser {name!r}; choose one of {sorted(DENOISERS)}.")
    return [
        layer_class(kernel_size, dtype=dtype, name=f"{layer_class.__name__.lower()}_{kernel_size}")
        for layer_class, kernel_size in DENOISERS[name]
    ]
