"""Fake probabilities of the faces in an image or a video with a ``.tflite`` model, without TensorFlow.

Imports numpy, OpenCV, the face, media and frame modules of :mod:`pel_keras.data` (numpy + OpenCV) and,
through :func:`~pel_keras.inference.predictors.load_predictor`, ``ai_edge_litert``: what an edge box installs.
Frames are sampled at equal intervals, the largest face of each is cropped the way the training crops
were, by the core ``predict.py`` uses (:mod:`pel_keras.inference.media_scoring`), and the model scores it; the media's
score is the mean over the frames with a face, as for videos in the evaluation.
"""

import dataclasses

import numpy as np

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import DEFAULT_MARGIN
from pel_keras.data.video import sample_frames
from pel_keras.inference.media_scoring import detect_and_crop, per_frame
from pel_keras.metrics import mean_probability


@dataclasses.dataclass(frozen=True)
class FrameScore:
    """One sampled frame: its index, the face box scored (None: no face) and the fake probability."""

    frame: int
    box: tuple | None
    probability: float | None


def score_media(path, predictor, detector, num_frames=16, margin=DEFAULT_MARGIN, max_megapixels=DEFAULT_MAX_MEGAPIXELS):
    """Scores the largest face of ``num_frames`` frames of ``path`` (a video, an image, a folder of frames).

    Args:
        path: the media file or folder.
        predictor: a :class:`~pel_keras.inference.predictors.Predictor` of a square-input model.
        detector: a face detector of :func:`pel_keras.data.faces.make_detector`.
        num_frames: frames sampled at equal intervals (an image is one frame).
        margin: the face-crop margin of the training crops.
        max_megapixels: an image or video frame above it is refused before decoding.

    Returns:
        A list of :class:`FrameScore`, in frame order.

    Raises:
        MediaError: ``path`` cannot be read or decoded, or is above ``max_megapixels``.
    """
    frames = sample_frames(path, num_frames, max_megapixels)
    detections, crops = detect_and_crop(frames, detector, predictor.input_shape[0], margin, largest_only=True)
    probabilities = per_frame(detections, predictor(np.stack(crops).astype(np.float32)) if crops else [])
    return [
        FrameScore(index, tuple(round(float(v), 1) for v in faces[0].box), float(p[0]))
        if faces
        else FrameScore(index, None, None)
        for (index, _, faces), p in zip(detections, probabilities)
    ]


def overall_probability(scores):
    """The mean fake probability over the frames with a face, or None when no frame had one."""
    return mean_probability(score.probability for score in scores if score.probability is not None)
