"""The settings of a training run: a frozen dataclass whose fields are ``train.py``'s flags, one to one.

Every field carries its help text (and, for enumerations, its choices) in the field's metadata, so that
``train.py`` defines its flags from this one table and defaults live in one place. Validation names the
offending flag: ``--batch_size: ...``.
"""

import dataclasses
import json
import math

from pel_keras.data.augment import AugmentConfig, AugmentSettingError
from pel_keras.data.sbi import SBIConfig
from pel_keras.layers.denoisers import DENOISERS
from pel_keras.models.efficientnet_backbones import BACKBONES
from pel_keras.models.pel import STREAMS
from pel_keras.training.optimizer import SCHEDULES

_AUGMENT = AugmentConfig()
_SBI = SBIConfig()
SELECTION_METRICS = ("video_auc", "frame_auc")
# Fields a resumed run may change: where the data is mounted, how long to train, how often to write.
RESUMABLE_CHANGES = ("data_dir", "epochs", "checkpoint_every", "keep_checkpoints", "log_every")


def _field(default, help, choices=None):
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


# Settings older runs stored in config.json that are no longer the trainer's: the demo's --demo and
# --real_dir are train.py's own flags (pel_keras.demo), not training settings.
RETIRED_SETTINGS = ("demo", "real_dir")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; ``RUN/config.json`` holds it as ``dataclasses.asdict``.

    Paper defaults (Gu et al., AAAI 2022, Section 4.1): EfficientNet-B4 from ImageNet, 320 px, Adam with
    learning rate 2e-4 and weight decay 1e-5 (PyTorch's coupled L2, see ``pel_keras.training.optimizer``),
    batch 32, 50 frames per video. Field help texts document the rest.

    Raises:
        ValueError: on construction, naming the flag (``--name``) whose value is wrong.
    """

    data_dir: str = _field("data", "DATA_DIR holding prepared datasets, DATA_DIR/<tag>/manifest.csv.")
    train_dataset: str = _field(
        "ffpp_c40",
        "Prepared dataset tag to train on (its train split) and to "
        "select the model on (its val split), e.g. ffpp_c40, ffpp_c23, wilddeepfake.",
    )
    workdir: str = _field("", "Run directory: config, checkpoints, best.keras, last.keras, logs. Required.")
    backbone: str = _field("efficientnet_b4", "EfficientNet backbone of both streams.", tuple(BACKBONES))
    weights: str = _field(
        "imagenet", "Backbone initialisation: imagenet (through the Keras cache) or none.", ("imagenet", "none")
    )
    image_size: int = _field(320, "Square input side in pixels (paper: 320 for FF++, 224 for WildDeepfake).")
    streams: str = _field("two", "Streams: two (RGB + frequency), rgb or freq (Table 4).", tuple(STREAMS))
    self_enhancement: bool = _field(True, "Noise enhancement + channel attention (Table 4).")
    mutual_enhancement: bool = _field(True, "Mutual enhancement; spatial attention in one stream (Table 4).")
    denoiser: str = _field("median3", "Noise-enhancement denoiser (Table 5).", tuple(DENOISERS))
    reduction: int = _field(16, "Channel-attention MLP reduction ratio (eq. 4).")
    dropout: float = _field(None, "Dropout before the classifier; unset: the backbone's own (0.4 for B4).")
    stochastic_depth: float = _field(
        None,
        "Stochastic depth: the end of the linear drop-connect ramp over the "
        "EfficientNet blocks (keras.applications' drop_connect_rate); unset: 0.2.",
    )
    batch_size: int = _field(32, "Global batch size, split evenly over all replicas (paper: 32).")
    learning_rate: float = _field(2e-4, "Adam learning rate (paper: 2e-4, constant).")
    lr_schedule: str = _field(
        "constant",
        "Learning-rate schedule: constant (the paper's) or cosine (from "
        "--learning_rate down to 0 over epochs x steps per epoch).",
        SCHEDULES,
    )
    weight_decay: float = _field(
        1e-5, "L2 coefficient added to every gradient as in PyTorch's Adam(weight_decay=...) (paper: 1e-5)."
    )
    epochs: int = _field(20, "Training epochs (not stated in the paper).")
    steps_per_epoch: int = _field(0, "Steps per epoch; 0: one pass, as many images as the training frames.")
    frames: int = _field(50, "Frames per video used, at equal intervals among the prepared ones (paper: 50).")
    balance: bool = _field(True, "Draw real and fake training images 1:1.")
    sbi: bool = _field(
        False,
        "Self-blended images (Shiohara & Yamasaki, CVPR 2022): every real training frame also "
        "yields a pseudo-fake made from it on the fly, so the model learns from real videos only; "
        "the training split's fakes are not used unless --sbi_keep_fakes. An epoch is then every "
        "real frame once, with its fake.",
    )
    sbi_keep_fakes: bool = _field(
        False,
        "With --sbi: half the real frames, drawn at random, are paired with a fake "
        "of the training split instead of their pseudo-fake.",
    )
    sbi_colour: float = _field(
        _SBI.rgb_shift,
        "With --sbi: probability of each colour jitter of the blended-in "
        "copy (RGB shift, HSV shift, brightness/contrast; SBI's 0.3).",
    )
    sbi_scale: float = _field(
        round(_SBI.scale[1] - 1, 6),
        "With --sbi: largest relative change of the blended-in copy's "
        "scale, each axis drawn in [1 - this, 1 + this] (resampling also softens it).",
    )
    augment_flip: float = _field(_AUGMENT.flip, "Probability of a horizontal flip.")
    augment_jpeg: float = _field(_AUGMENT.jpeg, "Probability of JPEG re-compression.")
    augment_jpeg_quality_min: int = _field(_AUGMENT.jpeg_quality[0], "Lowest JPEG re-compression quality.")
    augment_jpeg_quality_max: int = _field(_AUGMENT.jpeg_quality[1], "Highest JPEG re-compression quality.")
    augment_blur: float = _field(_AUGMENT.blur, "Probability of a Gaussian blur.")
    augment_blur_sigma_min: float = _field(_AUGMENT.blur_sigma[0], "Smallest blur sigma in pixels.")
    augment_blur_sigma_max: float = _field(_AUGMENT.blur_sigma[1], "Largest blur sigma in pixels.")
    augment_color: float = _field(_AUGMENT.color, "Probability of a brightness/contrast change.")
    augment_brightness: float = _field(_AUGMENT.brightness, "Largest brightness offset, as a share of 255.")
    augment_contrast: float = _field(_AUGMENT.contrast, "Largest contrast change, factor 1 +- this.")
    mixed_precision: bool = _field(
        False,
        "Mixed precision: float16 with loss scaling on GPUs, bfloat16 "
        "elsewhere; variables, DCT and output stay float32.",
    )
    sync_batchnorm: bool = _field(
        True,
        "With several replicas, batch-norm statistics over the global batch "
        "(as one device with the whole batch) instead of each replica's share (TensorFlow; on JAX always).",
    )
    seed: int = _field(0, "Seed of weights initialisation, data order and augmentation.")
    checkpoint_every: int = _field(1000, "Write a checkpoint every this many steps (and at each epoch end).")
    keep_checkpoints: int = _field(3, "Checkpoints kept in WORKDIR/checkpoints.")
    log_every: int = _field(50, "Write training scalars to TensorBoard every this many steps.")
    selection_metric: str = _field(
        "video_auc",
        "Validation metric that picks best.keras: video_auc (mean frame score per video) or frame_auc.",
        SELECTION_METRICS,
    )

    def __post_init__(self):
        for field in dataclasses.fields(self):
            _check_type(field, getattr(self, field.name))
        _check_values(self)

    def augment_config(self):
        """The pipeline's :class:`AugmentConfig` for these flags."""
        return AugmentConfig(
            flip=self.augment_flip,
            jpeg=self.augment_jpeg,
            jpeg_quality=(self.augment_jpeg_quality_min, self.augment_jpeg_quality_max),
            blur=self.augment_blur,
            blur_sigma=(self.augment_blur_sigma_min, self.augment_blur_sigma_max),
            color=self.augment_color,
            brightness=self.augment_brightness,
            contrast=self.augment_contrast,
        )

    def sbi_config(self):
        """The :class:`SBIConfig` of the ``--sbi_*`` flags (SBI's defaults for the rest)."""
        return dataclasses.replace(
            _SBI,
            rgb_shift=self.sbi_colour,
            hsv_shift=self.sbi_colour,
            brightness_contrast=self.sbi_colour,
            scale=(1 - self.sbi_scale, 1 + self.sbi_scale),
        )

    def model_kwargs(self):
        """Keyword arguments of :func:`pel_keras.build_model` for this run."""
        return dict(
            backbone=self.backbone,
            image_size=self.image_size,
            streams=self.streams,
            self_enhancement=self.self_enhancement,
            mutual_enhancement=self.mutual_enhancement,
            denoiser=self.denoiser,
            weights=None if self.weights == "none" else self.weights,
            dropout=self.dropout,
            reduction=self.reduction,
        )

    def to_json(self):
        """The JSON text of ``RUN/config.json``."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text):
        """The config stored by :meth:`to_json`; unknown keys are an error naming them (the settings
        :data:`RETIRED_SETTINGS`, which older runs stored, are passed over)."""
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"a JSON {type(values).__name__}, not an object")
        values = {name: value for name, value in values.items() if name not in RETIRED_SETTINGS}
        unknown = sorted(set(values) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown training settings {unknown}")
        return cls(**values)

    def to_flags(self):
        """A flagfile (one ``--flag=value`` per line) that makes ``train.py`` rebuild this config."""
        lines = []
        for name, value in dataclasses.asdict(self).items():
            if isinstance(value, bool):
                lines.append(f"--{'' if value else 'no'}{name}")
            elif value is not None:
                lines.append(f"--{name}={value!r}" if isinstance(value, float) else f"--{name}={value}")
        return "\n".join(lines) + "\n"


def _error(name, message, value):
    return ValueError(f"--{name}: {message}, got {value!r}.")


def _check_type(field, value):
    """Type and choice of one field; ``None`` only where the default is ``None``."""
    if value is None and field.default is None:
        return
    expected = (int, float) if field.type is float else field.type
    if not isinstance(value, expected) or (field.type is not bool and isinstance(value, bool)):
        raise _error(field.name, f"must be of type {field.type.__name__}", value)
    if field.type is float and not math.isfinite(value):
        raise _error(field.name, "must be a finite number", value)
    choices = field.metadata["choices"]
    if choices and value not in choices:
        raise _error(field.name, f"must be one of {', '.join(choices)}", value)


def _check_values(config):
    """Ranges and required fields; the model's own checks run when the model is built."""
    positive = (
        "batch_size",
        "learning_rate",
        "epochs",
        "frames",
        "reduction",
        "checkpoint_every",
        "keep_checkpoints",
        "log_every",
    )
    for name in positive:
        if getattr(config, name) <= 0:
            raise _error(name, "must be positive", getattr(config, name))
    for name in ("weight_decay", "steps_per_epoch", "seed"):
        if getattr(config, name) < 0:
            raise _error(name, "must not be negative", getattr(config, name))
    if config.seed >= 2**32:
        raise _error("seed", "must be below 2**32 (NumPy's seeds are 32-bit)", config.seed)
    for name in ("dropout", "stochastic_depth"):
        if getattr(config, name) is not None and not 0 <= getattr(config, name) < 1:
            raise _error(name, "must be in [0, 1)", getattr(config, name))
    for name in ("data_dir", "train_dataset", "workdir"):
        if not getattr(config, name):
            raise _error(name, "is required", getattr(config, name))
    if config.image_size < 32:
        raise _error("image_size", "must be at least 32", config.image_size)
    if not 0 <= config.sbi_scale < 1:
        raise _error("sbi_scale", "must be in [0, 1)", config.sbi_scale)
    _check_augmentation(config)


def _check_augmentation(config):
    """The pipeline's own ranges of ``--augment_*`` and ``--sbi_colour``, tied to the flags that set them."""
    try:
        config.augment_config()
    except AugmentSettingError as error:
        pair = error.name in ("jpeg_quality", "blur_sigma")
        names = (f"augment_{error.name}_{end}" for end in ("min", "max")) if pair else (f"augment_{error.name}",)
        raise ValueError(f"{' and '.join('--' + name for name in names)}: {error}") from error
    radius = math.ceil(3 * config.augment_blur_sigma_max)  # the blur reflects its border: the radius must fit
    if config.augment_blur > 0 and radius >= config.image_size:
        raise _error(
            "augment_blur_sigma_max",
            f"blurs with a radius of 3 sigma, which must be below --image_size={config.image_size}",
            config.augment_blur_sigma_max,
        )
    try:
        config.sbi_config()  # --sbi_scale is checked above, so --sbi_colour is the one left
    except ValueError as error:
        raise ValueError(f"--sbi_colour: {error}") from error
