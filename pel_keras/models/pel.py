"""The two-stream PEL model (Fig. 1): RGB and fine-grained frequency EfficientNets, progressively enhanced."""

import keras

from pel_keras.layers import ChannelAttention, MutualEnhancement, NoiseEnhancement
from pel_keras.layers.denoisers import DENOISERS
from pel_keras.models.efficientnet_backbones import (
    BACKBONES,
    NUM_STAGES,
    check_backbone,
    load_backbone,
    stage_models,
)
from pel_keras.models.frequency_stem import build_frequency_stem

STREAMS = {"two": ("rgb", "freq"), "rgb": ("rgb",), "freq": ("freq",)}
# Insertion points, by stage (the paper's "convolutional blocks"), Section 3.2-3.3.
NOISE_ENHANCEMENT_STAGES = (1, 2)
CHANNEL_ATTENTION_STAGES = (2, 3, 4, 5, 6)
MUTUAL_ENHANCEMENT_STAGES = (2, 3, 4, 5, 6)


def build_model(
    backbone="efficientnet_b4",
    image_size=320,
    streams="two",
    self_enhancement=True,
    mutual_enhancement=True,
    denoiser="median3",
    weights="imagenet",
    dropout=None,
    reduction=16,
):
    """Builds PEL: ``(B, image_size, image_size, 3)`` RGB 0..255 -> ``(B, 1)`` fake probability (float32).

    Args:
        backbone: ``efficientnet_b0`` .. ``efficientnet_b7`` (the paper: ``efficientnet_b4``).
        image_size: square input size (320 for FF++, 224 for WildDeepfake in the paper).
        streams: ``"two"`` (RGB + frequency), or ``"rgb"`` / ``"freq"`` alone (Table 4 ablations; the
            mutual module then is a plain spatial attention on the one stream).
        self_enhancement: noise enhancement after stages 1-2 and channel attention after stages 2-6.
        mutual_enhancement: mutual enhancement after stages 2-6, behind the self-enhancement.
        denoiser: the noise-enhancement denoiser (Table 5), ``median3`` by default.
        weights: ``"imagenet"`` (through the Keras cache) or ``None``. Both streams start from the
            same backbone weights; the frequency stem from the RGB stem.
        dropout: dropout before the classifier; default the backbone's own (0.4 for B4).
        reduction: channel-attention MLP reduction (eq. 4).
    """
    _validate(backbone, image_size, streams, denoiser, weights)
    rgb_backbone = load_backbone(backbone, image_size, weights)
    dropout = BACKBONES[backbone][1] if dropout is None else dropout
    images = keras.Input((image_size, image_size, 3), name="images")
    features, stages = _stems_and_stages(images, rgb_backbone, backbone, image_size, STREAMS[streams])
    for stage in range(1, NUM_STAGES + 1):
        for stream in features:
            features[stream] = stages[stream][stage - 1](features[stream])
            if self_enhancement:
                features[stream] = _self_enhance(features[stream], stream, stage, denoiser, reduction)
        if mutual_enhancement and stage in MUTUAL_ENHANCEMENT_STAGES:
            enhanced = MutualEnhancement(name=f"mutual_enhancement_{stage}")(list(features.values()))
            features = dict(zip(features, enhanced))
    pooled = [keras.layers.GlobalAveragePooling2D(name=f"{s}_pool")(f) for s, f in features.items()]
    x = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="pooled")(pooled)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(1, dtype="float32", name="classifier")(x)
    probability = keras.layers.Activation("sigmoid", dtype="float32", name="fake_probability")(x)
    return keras.Model(images, probability, name=f"pel_{backbone}_{streams}")


def _stems_and_stages(images, rgb_backbone, backbone, image_size, streams):
    features, stages = {}, {}
    if "rgb" in streams:
        rgb_stem = keras.Model(rgb_backbone.input, rgb_backbone.get_layer("stem_activation").output, name="rgb_stem")
        features["rgb"] = rgb_stem(images)
        stages["rgb"] = stage_models(rgb_backbone, "rgb")
    if "freq" in streams:
        freq_backbone = load_backbone(backbone, image_size, weights=None)
        freq_backbone.set_weights(rgb_backbone.get_weights())
        features["freq"] = build_frequency_stem(rgb_backbone, image_size)(images)
        stages["freq"] = stage_models(freq_backbone, "freq")
    return features, stages


def _self_enhance(features, stream, stage, denoiser, reduction):
    """Self-enhancement module (eq. 2-4) of one stream after ``stage``."""
    if stage in NOISE_ENHANCEMENT_STAGES:
        features = NoiseEnhancement(denoiser, name=f"{stream}_noise_enhancement_{stage}")(features)
    if stage in CHANNEL_ATTENTION_STAGES:
        features = ChannelAttention(reduction, name=f"{stream}_channel_attention_{stage}")(features)
    return features


def _validate(backbone, image_size, streams, denoiser, weights):
    check_backbone(backbone)
    if streams not in STREAMS:
        raise ValueError(f"streams must be one of {sorted(STREAMS)}, got {streams!r}.")
    if denoiser not in DENOISERS:
        raise ValueError(f"Unknown denoiser {denoiser!r}; choose one of {sorted(DENOISERS)}.")
    if weights not in ("imagenet", None):
        raise ValueError(
            f"weights must be 'imagenet' or None, got {weights!r}. A weights file path is not "
            "accepted: keras.applications then drops its input rescaling (tensorflow#62193); put the "
            "file into the Keras cache and pass 'imagenet'."
        )
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 32:
        raise ValueError(f"image_size must be an integer of at least 32, got {image_size!r}.")
