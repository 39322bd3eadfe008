"""``predict.py``'s work: sample frames, find every face, crop it as for training (the shared core,
:mod:`pel_keras.inference.media_scoring`), score all crops in batches, and report per input.

Frames are sampled at equal intervals (the paper's protocol, §4.1); each face is cropped with
:func:`pel_keras.data.faces.crop_face` (square, ``margin`` x the box, the model's input size), the way
``prepare.py`` made the training crops. An input that cannot be read, or where no face is found, gives a
result with a reason and no score; the other inputs go on.
"""

import dataclasses
import math
import os

import cv2
import numpy as np

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, make_detector
from pel_keras.data.video import MediaError
from pel_keras.inference.media_scoring import detect_and_crop, per_frame
from pel_keras.prediction.heatmaps import draw_heatmap, write_image
from pel_keras.prediction.inputs import expand_inputs, read_frames
from pel_keras.prediction.results import ERROR, NO_FACE, OK, FaceScore, FrameResult, InputResult

READING, DETECTING, SCORING = "reading frames", "finding faces", "scoring faces"


@dataclasses.dataclass(frozen=True)
class PredictConfig:
    """Settings of a prediction run (``predict.py``'s flags).

    Attributes:
        frames: frames sampled per video or frame folder, at equal intervals.
        threshold: a score above it is called fake.
        detector: face detector (:data:`pel_keras.data.faces.DETECTORS`).
        margin: crop side over the detected box's longer side (as in ``prepare.py``).
        heatmap_dir: where frames with heatmaps go (``<dir>/<input name>/<frame>.png``); None for none.
        sequences: a folder of images is one frame sequence, not a set of images.
        max_megapixels: an image or video frame above it is refused before decoding.
    """

    frames: int = 32
    threshold: float = 0.5
    detector: str = DEFAULT_DETECTOR
    margin: float = DEFAULT_MARGIN
    heatmap_dir: str | None = None
    sequences: bool = False
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS

    def __post_init__(self):
        if self.frames < 1:
            raise ValueError(f"frames must be at least 1, got {self.frames}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {self.threshold}")


def json_settings(model, config, image_size):
    """The settings ``predict.py --json`` writes beside the results (see
    :func:`~pel_keras.prediction.results.json_document`): the model as named, the crop side and ``config``'s
    threshold, frames, detector and margin."""
    return {
        "model": model,
        "threshold": config.threshold,
        "frames": config.frames,
        "detector": config.detector,
        "margin": config.margin,
        "image_size": image_size,
    }


def _detector_score(face):
    return None if math.isnan(face.score) else face.score


def _heatmap(item, detection, maps, probabilities, config):
    index, rgb, faces = detection
    if config.heatmap_dir is None or not faces:
        return None
    path = os.path.join(config.heatmap_dir, item.name, f"{index:06d}.png")
    return write_image(path, draw_heatmap(rgb, faces, maps, probabilities, config.margin))


def _ignore(*_):
    pass


def predict_input(item, scorer, detector, config, progress=None, on_frames=None):
    """The :class:`InputResult` of one :class:`~pel_keras.prediction.inputs.MediaInput`.

    Args:
        progress: called as ``progress(stage, done, total)`` while the input is read (:data:`READING`),
            its faces found (:data:`DETECTING`, per frame) and scored (:data:`SCORING`, per batch of crops).
        on_frames: called with ``(detections, maps)`` once the frames are read and scored, for a caller that
            draws them (the app): ``detections`` lists ``(index, RGB frame, faces)`` per sampled frame, and
            ``maps`` the per-face fake-evidence maps of each frame (None per frame without heatmaps).
    """
    progress, on_frames = progress or _ignore, on_frames or _ignore
    progress(READING, 0, 1)
    try:
        frames = read_frames(item, config.frames, config.max_megapixels)
    except (MediaError, cv2.error) as error:
        return InputResult(item.path, item.kind, ERROR, str(error), threshold=config.threshold)
    progress(READING, 1, 1)
    detections, crops = detect_and_crop(
        frames,
        detector,
        scorer.image_size,
        config.margin,
        on_frame=lambda done, total: progress(DETECTING, done, total),
    )
    if not crops:
        reason = f"no face found in any of the {len(frames)} sampled frames (detector {config.detector!r})"
        empty = [FrameResult(int(index), []) for index, _, _ in detections]
        on_frames(detections, [None] * len(detections))
        return InputResult(item.path, item.kind, NO_FACE, reason, empty, config.threshold)
    probabilities, maps = scorer(np.stack(crops), on_batch=lambda done, total: progress(SCORING, done, total))
    frame_maps = [None] * len(detections) if maps is None else per_frame(detections, maps)
    on_frames(detections, frame_maps)
    frames = []
    for detection, scores, values in zip(detections, per_frame(detections, probabilities), frame_maps):
        index, _, faces = detection
        heatmap = _heatmap(item, detection, values, scores, config)
        faces = [FaceScore(tuple(float(v) for v in f.box), _detector_score(f), float(p)) for f, p in zip(faces, scores)]
        frames.append(FrameResult(int(index), faces, heatmap))
    return InputResult(item.path, item.kind, OK, None, frames, config.threshold)


def predict(paths, scorer, config, on_result=None):
    """Scores every input named by ``paths`` (see :func:`~pel_keras.prediction.inputs.expand_inputs`).

    Args:
        scorer: a :class:`~pel_keras.prediction.scorer.Scorer` (with heatmaps when ``config.heatmap_dir``).
        on_result: called with each :class:`InputResult` as soon as it is ready (progress output).

    Returns:
        The list of :class:`InputResult`, one per input, in order.
    """
    if config.heatmap_dir is not None and scorer.cams is None:
        raise ValueError("a heatmap folder needs a Scorer built with heatmaps=True")
    detector = make_detector(config.detector)
    results = []
    for item in expand_inputs(paths, config.sequences):
        results.append(predict_input(item, scorer, detector, config))
        if on_result is not None:
            on_result(results[-1])
    return results
