"""Self-blended pseudo-fakes from real faces (numpy + OpenCV only, so it runs anywhere).

The method of Self-Blended Images (SBI; Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended
Images", CVPR 2022), written from its description (its code is research-only licensed and was not used):

1. *Source and target.* The target is the real frame, untouched; the source is a copy of it with its colour
   jittered (RGB shifts, HSV shifts, brightness/contrast) and its scale jittered (independent horizontal and
   vertical scale about the image centre plus a small shift, bilinear resampling, which also softens it).
2. *Mask.* The face region -- the convex hull of the landmarks, grown to the whole face (see
   :func:`face_region`), or an ellipse in the face box when there are no landmarks -- is elastically
   warped, blurred with a Gaussian and multiplied by a blend ratio.
3. *Blend.* ``fake = mask * source + (1 - mask) * target``: a face whose inner part comes from a slightly
   different "person" (the jittered copy), leaving the blending boundary, colour and resolution mismatches
   that real face swaps leave, with no identity or expression cue.
4. *Compression.* Real and fake get the same JPEG step (:func:`compress_alike`), so that compression is no
   cue to the label.

Decisions of this implementation (SBI used 81 dlib landmarks; the project's detector gives 5):

- The target is always the untouched frame, so outside the mask the fake equals the real pixel for pixel
  before compression: the only difference within a pair is the blended face.
- With 5 landmarks the hull of eyes, nose and mouth covers only the centre of the face; it is grown by a
  face outline placed in the frame the landmarks span (see :data:`FACE_OUTLINE`), which follows the face's
  rotation, scale and, roughly, its yaw.
- Mask blur and warp sizes are fractions of the image side, so that crops of any size blend alike.
- All randomness comes from one ``numpy.random.Generator``: the same generator state gives the same bytes.
"""

import dataclasses

import cv2
import numpy as np

from pel_keras.data.augment import jpeg_round_trip
from pel_keras.data.faces import DEFAULT_MARGIN

# The face outline for 5 landmarks, as (a, b) in the frame whose origin is the mid-point of the eyes, first
# axis the vector from the right to the left eye and second axis the vector from the eyes' mid-point to the
# mouth's: an ellipse from mid-forehead (b = -0.8, about one eye distance above the eyes, below the usual
# hairline) to the chin (b = 1.6), 2 eye distances wide (a = +-1). Proportions of an average adult face:
# eye-to-mouth about 1.1 eye distances, mouth to chin about 0.6 eye-to-mouth distances.
_ANGLES = np.linspace(0, 2 * np.pi, 32, endpoint=False)
FACE_OUTLINE = np.stack([np.cos(_ANGLES), 0.4 + 1.2 * np.sin(_ANGLES)], axis=1)
# Below this share of the image a landmark hull is taken as degenerate (e.g. landmarks on one line).
_MIN_REGION_SHARE = 0.005


@dataclasses.dataclass(frozen=True)
class SBIConfig:
    """How pseudo-fakes are made; each probability applies independently (0 turns that step off).

    Attributes:
        rgb_shift: probability of adding to each of R, G, B its own offset within ``+-rgb_shift_range``
            (0..255 scale) to the source.
        rgb_shift_range: largest RGB offset.
        hsv_shift: probability of shifting the source's hue by up to ``+-hue_range`` degrees and its
            saturation and value by up to ``+-saturation_range`` and ``+-value_range`` (0..1 scale).
        hue_range, saturation_range, value_range: the HSV shifts' bounds.
        brightness_contrast: probability of a brightness offset up to ``+-brightness`` x 255 and a
            contrast factor within ``1 +- contrast`` (about the image mean) on the source.
        brightness, contrast: their bounds.
        scale: range of the source's horizontal and vertical scale factors (drawn independently, always).
        shift: largest shift of the source, as a share of the image side (each axis, always).
        warp: largest elastic displacement of the mask, as a share of the image side.
        warp_grid: the warp's random displacements are drawn on a ``warp_grid`` x ``warp_grid`` grid and
            interpolated bilinearly (smaller: smoother warps).
        mask_blur: range of the mask's Gaussian kernel size, as a share of the image side (rounded to an
            odd number of pixels; sigma follows from the size as in ``cv2.getGaussianKernel``).
        blend_ratios: the mask is multiplied by one of these, drawn uniformly (repeats weight a value);
            SBI's choice: 1 (a full swap) half of the time, 0.25, 0.5 or 0.75 otherwise.
        jpeg: probability of JPEG compression of the (real, fake) pair, both at one quality.
        jpeg_quality: range of that quality (inclusive).
        crop_margin: without landmarks or box, the face is taken as the centred square of side
            ``image side / crop_margin``: the crop's layout written by ``prepare.py --margin``.
    """

    rgb_shift: float = 0.3
    rgb_shift_range: float = 20.0
    hsv_shift: float = 0.3
    hue_range: float = 10.0
    saturation_range: float = 0.1
    value_range: float = 0.1
    brightness_contrast: float = 0.3
    brightness: float = 0.1
    contrast: float = 0.1
    scale: tuple = (0.95, 1.05)
    shift: float = 0.03
    warp: float = 0.03
    warp_grid: int = 4
    mask_blur: tuple = (0.03, 0.1)
    blend_ratios: tuple = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)
    jpeg: float = 0.5
    jpeg_quality: tuple = (60, 100)
    crop_margin: float = DEFAULT_MARGIN

    def __post_init__(self):
        for name in ("rgb_shift", "hsv_shift", "brightness_contrast", "jpeg"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a probability in [0, 1], got {getattr(self, name)}")
        checks = {
            "hue_range": 0 <= self.hue_range <= 180,
            "contrast": 0 <= self.contrast < 1,
            "scale": 0 < self.scale[0] <= self.scale[1],
            "mask_blur": 0 <= self.mask_blur[0] <= self.mask_blur[1] < 1,
            "jpeg_quality": 0 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100,
            "blend_ratios": len(self.blend_ratios) > 0 and all(0 < r <= 1 for r in self.blend_ratios),
            "warp": 0 <= self.warp < 0.5 and self.warp_grid >= 2,
            "crop_margin": self.crop_margin >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"invalid SBIConfig.{name}: {getattr(self, name)!r} (see the field's documentation)")

    def blur_kernel_sizes(self, side):
        """The smallest and largest mask blur kernel (odd, pixels) for an image of ``side`` pixels."""
        return tuple(int(round(share * side)) // 2 * 2 + 1 for share in self.mask_blur)


def face_region(shape, landmarks=None, box=None, margin=DEFAULT_MARGIN):
    """The face as a binary ``(H, W)`` uint8 mask (1 on the face), before any warp or blur.

    Args:
        shape: the image's shape (only ``H, W`` are used).
        landmarks: ``(5, 2)`` points ``(x, y)`` in image pixels in YuNet's order (right eye, left eye,
            nose tip, right mouth corner, left mouth corner), or ``None``. The region is the convex hull
            of the landmarks and of :data:`FACE_OUTLINE` mapped into the frame they span.
        box: ``(x0, y0, x1, y1)`` of the face in image pixels, used when there are no landmarks (or they
            are degenerate): the ellipse inscribed in it. ``None``: the centred square of side
            ``side / margin``, where ``prepare.py`` puts the detected face.
        margin: the crop margin assumed when there is neither landmarks nor box.
    """
    height, width = shape[:2]
    region = np.zeros((height, width), np.uint8)
    if landmarks is not None:
        points = np.asarray(landmarks, np.float64).reshape(5, 2)
        origin = points[:2].mean(axis=0)
        across, down = points[1] - points[0], points[3:].mean(axis=0) - origin
        outline = origin + FACE_OUTLINE[:, :1] * across + FACE_OUTLINE[:, 1:] * down
        hull = cv2.convexHull(np.round(np.concatenate([points, outline])).astype(np.int32))
        cv2.fillConvexPoly(region, hull, 1)
        if region.mean() >= _MIN_REGION_SHARE:
            return region
        region[:] = 0
    if box is None:
        side = min(height, width) / margin
        box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
    x0, y0, x1, y1 = box
    centre, axes = (round((x0 + x1) / 2), round((y0 + y1) / 2)), (round((x1 - x0) / 2), round((y1 - y0) / 2))
    cv2.ellipse(region, centre, axes, 0, 0, 360, 1, thickness=-1)
    return region


def _elastic_warp(mask, rng, amplitude, grid):
    """``mask`` resampled at positions moved by a smooth random field of at most ``amplitude`` pixels per
    axis (bilinear interpolation of a ``grid`` x ``grid`` field never exceeds its knots)."""
    height, width = mask.shape
    field = rng.uniform(-amplitude, amplitude, (2, grid, grid)).astype(np.float32)
    dx, dy = (cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR) for f in field)
    xs, ys = np.arange(width, dtype=np.float32) + dx, np.arange(height, dtype=np.float32)[:, None] + dy
    return cv2.remap(mask, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def blend_mask(shape, landmarks, box, rng, config=SBIConfig()):
    """The blending mask: the :func:`face_region`, elastically warped, blurred and scaled by a blend ratio.

    The mask is 0 beyond the face region dilated by the largest warp (``config.warp`` x side, plus one
    pixel of interpolation) and half the largest blur kernel, and at most the drawn blend ratio.

    Args:
        shape: the image's shape (``H, W`` are used).
        landmarks, box: as for :func:`face_region` (either may be ``None``).
        rng: a ``numpy.random.Generator``.
        config: an :class:`SBIConfig`.

    Returns:
        ``(H, W)`` float32 mask in ``[0, 1]``.
    """
    region = face_region(shape, landmarks, box, config.crop_margin).astype(np.float32)
    side = min(shape[:2])
    mask = _elastic_warp(region, rng, config.warp * side, config.warp_grid)
    low, high = config.blur_kernel_sizes(side)
    kernel = 2 * int(rng.integers(low // 2, high // 2 + 1)) + 1
    mask = cv2.GaussianBlur(mask, (kernel, kernel), 0)
    return mask * np.float32(rng.choice(config.blend_ratios))


def _jitter_colour(image, rng, config):
    """RGB shift, HSV shift and brightness/contrast, each with its probability, on a float32 RGB image.

    Channels are split before the HSV arithmetic: numpy is several times slower on strided channel views.
    """
    if rng.random() < config.rgb_shift:
        image = image + rng.uniform(-config.rgb_shift_range, config.rgb_shift_range, 3).astype(np.float32)
    if rng.random() < config.hsv_shift:
        shifts = rng.uniform(-1, 1, 3) * (config.hue_range, config.saturation_range, config.value_range)
        shifts = shifts.astype(np.float32)
        hsv = cv2.cvtColor(np.clip(image, 0, 255) * np.float32(1 / 255), cv2.COLOR_RGB2HSV)
        hue, saturation, value = cv2.split(hsv)  # H in degrees, S and V in 0..1
        hue += shifts[0]
        hue[hue < 0] += 360  # no % (numpy's float modulo is slow); |shift| < 360
        hue[hue >= 360] -= 360
        hsv = [hue, np.clip(saturation + shifts[1], 0, 1), np.clip(value + shifts[2], 0, 1)]
        image = cv2.cvtColor(cv2.merge(hsv), cv2.COLOR_HSV2RGB) * np.float32(255)
    if rng.random() < config.brightness_contrast:
        factor = rng.uniform(1 - config.contrast, 1 + config.contrast)
        offset = rng.uniform(-config.brightness, config.brightness) * 255
        mean = image.mean()
        image = (image - mean) * np.float32(factor) + np.float32(mean + offset)
    return np.clip(image, 0, 255)


def _jitter_scale(image, rng, config):
    """The image scaled by independent horizontal and vertical factors about its centre and shifted,
    bilinearly resampled, borders reflected."""
    height, width = image.shape[:2]
    sx, sy = rng.uniform(*config.scale, 2)
    tx, ty = rng.uniform(-config.shift, config.shift, 2) * min(height, width)
    matrix = np.float32([[sx, 0, (1 - sx) * width / 2 + tx], [0, sy, (1 - sy) * height / 2 + ty]])
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _check_image(image):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    return image


def self_blend(image, landmarks, rng, config=SBIConfig(), box=None):
    """A self-blended pseudo-fake of one real face (SBI's source-target generation and blending).

    Args:
        image: ``(H, W, 3)`` uint8 RGB face crop (the colour jitter's HSV step assumes RGB order).
        landmarks: ``(5, 2)`` landmarks in the image's pixels (YuNet order), or ``None``.
        rng: a ``numpy.random.Generator``; the same state gives the same bytes.
        config: an :class:`SBIConfig`.
        box: the face box when there are no landmarks (see :func:`face_region`).

    Returns:
        ``(fake, mask)``: the ``(H, W, 3)`` uint8 pseudo-fake, equal to ``image`` wherever ``mask`` is 0,
        and the ``(H, W)`` float32 mask it was blended through. No compression is applied here.
    """
    image = _check_image(image)
    # Scale before colour: the steps commute, and resampling uint8 is several times faster than float.
    source = _jitter_colour(_jitter_scale(image, rng, config).astype(np.float32), rng, config)
    mask = blend_mask(image.shape, landmarks, box, rng, config)
    # (mask * source + (1 - mask) * target) / 1, rounded: exactly the target where the mask is 0.
    fake = cv2.blendLinear(np.rint(source).astype(np.uint8), image, mask, 1 - mask)
    return fake, mask


def compress_alike(images, rng, config=SBIConfig()):
    """With probability ``config.jpeg``, JPEG-compresses every image at one quality drawn from
    ``config.jpeg_quality``; otherwise returns them unchanged. Images are ``(H, W, 3)`` uint8 RGB.

    Giving a real and its fake the same compression keeps compression from telling them apart.
    """
    if rng.random() >= config.jpeg:
        return [np.asarray(image) for image in images]
    quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
    return [jpeg_round_trip(image, quality) for image in images]


def pseudo_fake_pair(image, landmarks, rng, config=SBIConfig(), box=None):
    """A training pair from one real face: ``(real, fake)``, both ``(H, W, 3)`` uint8 RGB, the fake made by
    :func:`self_blend` and both passed through one :func:`compress_alike` draw."""
    fake, _ = self_blend(image, landmarks, rng, config, box)
    real, fake = compress_alike([_check_image(image), fake], rng, config)
    return real, fake
