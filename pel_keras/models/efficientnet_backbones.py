"""The EfficientNet family from ``keras.applications``, cut into its 7 stages (the paper's blocks)."""

import os

import keras


def efficientnet_tiny(**kwargs):
    """A small member of the family for CPU demos and tests: EfficientNet's own compound scaling (Tan & Le
    2019) with width 0.25 and depth 0.5 of B0 (channels and block repeats), the same 7 stages, blocks and
    head. No ImageNet weights exist for it.

    Built with Keras' EfficientNet builder, which ``keras.applications`` does not export (only B0-B7 built
    with it): the one private Keras import of the project, kept here.

    Raises:
        ImportError: this Keras has no such builder (the message names the version and what to do).
    """
    try:
        from keras.src.applications.efficientnet import EfficientNet
    except ImportError as error:
        raise ImportError(
            f"efficientnet_tiny is built with Keras' EfficientNet builder (keras.src.applications.efficientnet), "
            f"which Keras {keras.__version__} does not have: install keras==3.15.1 (requirements.txt) or use "
            "--backbone=efficientnet_b0"
        ) from error
    return EfficientNet(0.25, 0.5, 224, name="efficientnet_tiny", **kwargs)


# name -> (constructor, dropout before the classifier as in keras.applications' EfficientNet table)
BACKBONES = {
    "efficientnet_b0": (keras.applications.EfficientNetB0, 0.2),
    "efficientnet_b1": (keras.applications.EfficientNetB1, 0.2),
    "efficientnet_b2": (keras.applications.EfficientNetB2, 0.3),
    "efficientnet_b3": (keras.applications.EfficientNetB3, 0.3),
    "efficientnet_b4": (keras.applications.EfficientNetB4, 0.4),
    "efficientnet_b5": (keras.applications.EfficientNetB5, 0.4),
    "efficientnet_b6": (keras.applications.EfficientNetB6, 0.5),
    "efficientnet_b7": (keras.applications.EfficientNetB7, 0.5),
    "efficientnet_tiny": (efficientnet_tiny, 0.2),
}
WITHOUT_IMAGENET = ("efficientnet_tiny",)
NUM_STAGES = 7
WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"


def check_backbone(name):
    """Raises a ValueError naming the choices unless ``name`` is a known backbone."""
    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; choose one of {sorted(BACKBONES)}.")


def keras_weights_file(name):
    """Where ``keras.applications`` caches the ImageNet weights of backbone ``name`` (no top)."""
    cache = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if not os.access(cache, os.W_OK) and not os.environ.get("KERAS_HOME"):
        cache = os.path.join("/tmp", ".keras")
    file_name = name.replace("_", "") + "_notop.h5"
    return os.path.join(cache, "models", file_name)


def load_backbone(name, image_size, weights):
    """Builds backbone ``name`` for ``image_size`` RGB inputs, with ``weights`` "imagenet" or None.

    ImageNet weights come through the Keras cache (``$KERAS_HOME/models``), the route that keeps the
    input rescaling (passing a file path as ``weights`` drops it: tensorflow#62193). Offline without the
    cached file, the error names the file and the folder to put it in.
    """
    check_backbone(name)
    if weights == "imagenet" and name in WITHOUT_IMAGENET:
        raise ValueError(f"{name} has no ImageNet weights; build it with weights=None (train.py --weights=none).")
    constructor = BACKBONES[name][0]
    try:
        return constructor(include_top=False, weights=weights, input_shape=(image_size, image_size, 3))
    except Exception as error:
        if weights != "imagenet":
            raise
        path = keras_weights_file(name)
        raise FileNotFoundError(
            f"Could not load the ImageNet weights of {name}: {error}. Without internet access, put the "
            f"genuine file {os.path.basename(path)} (from {WEIGHTS_URL}{os.path.basename(path)}) into "
            f"{os.path.dirname(path)}/ (set KERAS_HOME to use another folder), or build the model "
            f"with weights=None."
        ) from error


def stage_end_names(backbone):
    """Names of the layers that end the stem and each of the 7 stages (single-tensor cut points)."""
    names = [layer.name for layer in backbone.layers]
    ends = ["stem_activation"]
    for stage in range(1, NUM_STAGES + 1):
        ends.append([name for name in names if name.startswith(f"block{stage}")][-1])
    return ends


def stage_models(backbone, prefix):
    """Cuts ``backbone`` into ``[stage_1, ..., stage_7]`` sub-models sharing its layers.

    Stage 7 also holds the head convolution (``top_conv``/``top_bn``/``top_activation``), so the last
    model ends at the features that are pooled for classification.
    """
    ends = stage_end_names(backbone) + ["top_activation"]
    stages = []
    for stage in range(1, NUM_STAGES + 1):
        start = backbone.get_layer(ends[stage - 1]).output
        end = backbone.get_layer(ends[stage + 1] if stage == NUM_STAGES else ends[stage]).output
        stages.append(keras.Model(start, end, name=f"{prefix}_stage{stage}"))
    return stages
