"""Frames -> faces -> crops: the scoring core that ``predict.py``, the app and the edge predictor share.

Each sampled frame's faces are found by the detector (largest first) and cropped with
:func:`pel_keras.data.faces.crop_face`, as ``prepare.py`` cropped the training faces (square, ``margin`` x
the box's longer side, black outside the frame, the model's input size); the crops go to the model in one
array and its probabilities are split back per frame. Plain numpy and OpenCV: the edge predictor uses it.
"""

import cv2
import numpy as np

from pel_keras.data.faces import crop_face, detect_faces


def detect_and_crop(frames, detector, size, margin, largest_only=False, on_frame=None):
    """Every face of every frame and its crop.

    Args:
        frames: ``[(index, BGR uint8 frame)]``, as :func:`pel_keras.data.video.sample_frames` returns them.
        detector: a detector of :func:`pel_keras.data.faces.make_detector`.
        size: the crop side (the model's input size).
        margin: the crop margin of the model's training crops.
        largest_only: keep only each frame's largest face (what the video score averages).
        on_frame: called as ``on_frame(frames done, frames)`` after each frame.

    Returns:
        ``(detections, crops)``: ``[(index, RGB frame, faces)]`` per frame (faces largest first) and the RGB
        crops of those faces, frames in order.
    """
    detections, crops = [], []
    for index, bgr in frames:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        faces = detect_faces(rgb, detector, channels="rgb")[: 1 if largest_only else None]
        detections.append((index, rgb, faces))
        crops += [crop_face(rgb, face, size, margin)[0] for face in faces]
        if on_frame:
            on_frame(len(detections), len(frames))
    return detections, crops


def per_frame(detections, values):
    """``values`` (one per face, frames in order) split into one array per frame of ``detections``."""
    return np.split(np.asarray(values), np.cumsum([len(faces) for _, _, faces in detections])[:-1])
