"""The layers of PEL (Gu et al., AAAI 2022), one paper equation per file."""

from pel_keras.layers.channel_attention import ChannelAttention
from pel_keras.layers.dct_patch_decomposition import DCTPatchDecomposition
from pel_keras.layers.mean_filter_2d import MeanFilter2D
from pel_keras.layers.median_filter_2d import MedianFilter2D
from pel_keras.layers.mutual_enhancement import MutualEnhancement
from pel_keras.layers.noise_enhancement import NoiseEnhancement
from pel_keras.layers.non_local_means_2d import NonLocalMeans2D

__all__ = [
    "ChannelAttention",
    "DCTPatchDecomposition",
    "MeanFilter2D",
    "MedianFilter2D",
    "MutualEnhancement",
    "NoiseEnhancement",
    "NonLocalMeans2D",
]
