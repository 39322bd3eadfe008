"""Training augmentations: their settings (:class:`AugmentConfig`)."""

import dataclasses


class AugmentSettingError(ValueError):
    """An :class:`AugmentConfig` setting out of its range; ``name`` is the attribute."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Training augmentations; each is applied to an image independently with its probability
    (0 turns it off). ``AugmentConfig.off()`` turns all off.

    Attributes:
        flip: probability of a horizontal flip.
        jpeg: probability of JPEG re-compression at a quality drawn from ``jpeg_quality`` (inclusive).
        blur: probability of a Gaussian blur with sigma drawn from ``blur_sigma`` (pixels).
        color: probability of a brightness/contrast change: an offset of up to ``brightness`` x 255 and a
            contrast factor within ``1 +- contrast``.
    """

    flip: float = 0.5
    jpeg: float = 0.3
    jpeg_quality: tuple = (60, 100)
    blur: float = 0.1
    blur_sigma: tuple = (0.1, 2.0)
    color: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1

    def __post_init__(self):
        low, high = self.jpeg_quality
        checks = [
            (name, 0 <= getattr(self, name) <= 1, "a probability in [0, 1]")
            for name in ("flip", "jpeg", "blur", "color")
        ]
        checks += [
            ("jpeg_quality", 0 <= low <= high <= 100, "a (lowest, highest) pair with 0 <= lowest <= highest <= 100"),
            (
                "blur_sigma",
                0 < self.blur_sigma[0] <= self.blur_sigma[1],
                "a (smallest, largest) pair with 0 < smallest <= largest",
            ),
            ("brightness", 0 <= self.brightness <= 1, "a share of 255 in [0, 1]"),
            ("contrast", 0 <= self.contrast < 1, "in [0, 1) (so that the factor 1 +- contrast stays positive)"),
        ]
        for name, valid, expected in checks:
            if not valid:
                raise AugmentSettingError(name, f"{name} is {expected}, got {getattr(self, name)}")

    @classmethod
    def off(cls):
        return cls(flip=0.0, jpeg=0.0, blur=0.0, color=0.0)
