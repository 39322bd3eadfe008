"""The frequency stream's input: DCT decomposition (eq. 1), 1x1 conv to 64 bands, stride-1 stem."""

import math

import keras

from pel_keras.layers import DCTPatchDecomposition

FREQUENCY_BANDS = 64
# Scale of level-shifted pixel values: the DCT BatchNorm starts by dividing by it, so an untrained
# model in inference mode sees inputs of the same order as the RGB stream's.
DCT_SCALE = 128.0


def build_frequency_stem(rgb_backbone, image_size, name="freq_stem"):
    """Builds ``images (B, S, S, 3) -> features`` shaped like the RGB stem's output.

    DCT(192 channels, S/2 x S/2) -> BatchNorm -> 1x1 conv to 64 bands (Section 3.1) -> the backbone's stem
    convolution with 64 input channels and stride 1 (the DCT already halved the size, so both streams
    match at every stage) -> BatchNorm -> swish. The BatchNorm on the DCT coefficients (float32) brings
    bands whose scales differ by two orders of magnitude (the DC term reaches +-1024) to a common
    range (its moving variance starts at ``DCT_SCALE**2``), the learnable counterpart of the per-band
    normalisation of Xu et al. (2020) that the paper's decomposition follows; the RGB stream gets its input
    normalisation from the backbone.

    The stem convolution and its BatchNorm start from the RGB backbone's (see
    :func:`init_frequency_stem_from_rgb`).
    """
    rgb_stem_conv = rgb_backbone.get_layer("stem_conv")
    images = keras.Input((image_size, image_size, 3), name="images")
    x = DCTPatchDecomposition(name="dct")(images)
    x = keras.layers.BatchNormalization(
        moving_variance_initializer=keras.initializers.Constant(DCT_SCALE**2),
        dtype="float32",
        name="dct_bn",
    )(x)
    x = keras.layers.Conv2D(FREQUENCY_BANDS, 1, use_bias=False, name="band_conv")(x)
    x = keras.layers.Conv2D(rgb_stem_conv.filters, 3, padding="same", use_bias=False, name="stem_conv")(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("swish", name="stem_activation")(x)
    stem = keras.Model(images, x, name=name)
    init_frequency_stem_from_rgb(stem, rgb_backbone)
    return stem


def init_frequency_stem_from_rgb(stem, rgb_backbone):
    """Starts the frequency stem from the (pretrained) RGB stem.

    The 3x3x3 stem kernel is adapted to 64 input channels the way timm adapts pretrained convs to more
    input channels: the RGB kernel is repeated along the input axis to 64 channels and scaled by 3/64,
    so a constant input gives the same response as in the RGB stem. The BatchNorm is copied.
    """
    kernel = rgb_backbone.get_layer("stem_conv").get_weights()[0]
    channels = stem.get_layer("band_conv").filters
    repeats = math.ceil(channels / kernel.shape[2])
    adapted = keras.ops.convert_to_numpy(keras.ops.tile(kernel, (1, 1, repeats, 1)))[:, :, :channels]
    stem.get_layer("stem_conv").set_weights([adapted * (kernel.shape[2] / channels)])
    stem.get_layer("stem_bn").set_weights(rgb_backbone.get_layer("stem_bn").get_weights())
