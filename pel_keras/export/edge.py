"""Fake probabilities of the faces in an image or a video with a ``.tflite`` model, without TensorFlow.

Imports numpy, OpenCV, the face, media and frame modules of :mod:`pel_keras.data` (numpy + OpenCV) and,
through :func:`~pel_keras.inference.predictors.load_predictor`, ``ai_edge_litert``: what an edge box installs.
Frames are sampled at equal intervals, the largest face of each is cropped the way the training crops
were (``export_report.json`` beside the model gives the margin) and the model scores it; the media's
score is the mean over the frames with a face, as for videos in the evaluation.
"""

import dataclasses
import json
import os

import numpy as np

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import crop_face, detect_faces
from pel_keras.data.video import sample_frames
from pel_keras.inference.contract import DEFAULT_MARGIN, REPORT_NAME
from pel_keras.metrics import mean_probability


@dataclasses.dataclass(frozen=True)
class FrameScore:
    """One sampled frame: its index, the face box scored (None: no face) and the fake probability."""

    frame: int
    box: tuple | None
    probability: float | None


def report_margin(model_path):
    """The crop margin stated in ``export_report.json`` beside ``model_path``, else the default."""
    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), REPORT_NAME)
    if not os.path.isfile(path):
        return DEFAULT_MARGIN
    with open(path) as f:
        return float(json.load(f)["contract"]["input"]["crop_margin"])


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
    size = predictor.input_shape[0]
    boxes, crops = {}, []
    frames = sample_frames(path, num_frames, max_megapixels)
    for index, frame in frames:
        faces = detect_faces(frame, detector, channels="bgr")
        if faces:
            crop, _ = crop_face(frame, faces[0], size, margin)
            boxes[index] = tuple(round(float(value), 1) for value in faces[0].box)
            crops.append(crop[..., ::-1])  # BGR -> RGB, the model's order
    probabilities = iter(predictor(np.stack(crops).astype(np.float32)) if crops else ())
    return [
        FrameScore(index, boxes.get(index), float(next(probabilities)) if index in boxes else None)
        for index, _ in frames
    ]


def overall_probability(scores):
    """The mean fake probability over the frames with a face, or None when no frame had one."""
    return mean_probability(score.probability for score in scores if score.probability is not None)
