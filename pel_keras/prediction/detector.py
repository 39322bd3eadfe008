"""A trained detector for outside code: ``pel_keras.from_preset(SOURCE)`` and the :class:`Detector` it returns.

    detector = pel_keras.from_preset("hf://owner/pel-ffpp")     # or a local folder, or kaggle://...
    detector.predict_file("clip.mp4")                          # 0.93: the video's fake probability
    detector.predict_faces(crops)                              # one probability per face crop

Small enough for benchmarks whose plug-in interface scores any ``predict(path) -> float``. Scoring goes
through ``predict.py``'s own code (:func:`pel_keras.prediction.predict.predict_input`, the shared
frames -> faces -> crops core, :class:`~pel_keras.prediction.scorer.Scorer`), with the preset's crop margin,
face detector, frames per video and threshold.
"""

import os

import numpy as np

from pel_keras.data.faces import Face, crop_face, make_detector
from pel_keras.inference.presets import MODEL_FILE, preset_folder
from pel_keras.prediction.inputs import expand_inputs
from pel_keras.prediction.predict import PredictConfig, predict_input
from pel_keras.prediction.results import OK
from pel_keras.prediction.scorer import Scorer


class Detector:
    """Scores videos, images and face crops with one preset's model and settings.

    Args:
        folder: the preset folder, its files already checked (:func:`from_preset` does).
        metadata: its ``metadata.json``.
        batch_size: face crops per model call.

    Attributes:
        metadata: the preset's ``metadata.json`` (crop settings, training, protocol cards, versions).
        threshold: a score above it is called fake (the preset's).
        config: the :class:`~pel_keras.prediction.predict.PredictConfig` files are scored with.
    """

    def __init__(self, folder, metadata, batch_size=32):
        self.folder = folder
        self.metadata = metadata
        face = metadata["contract"]["input"]
        self.threshold = float(metadata["threshold"]["value"])
        self.config = PredictConfig(
            frames=int(metadata["frames_per_video"]),
            threshold=self.threshold,
            detector=face["face_detector"],
            margin=float(face["crop_margin"]),
        )
        self._scorer = Scorer(os.path.join(folder, MODEL_FILE), batch_size=batch_size)
        self._faces = make_detector(self.config.detector)

    @property
    def image_size(self):
        """The side of the square face crops the model takes."""
        return self._scorer.image_size

    def predict_file(self, path):
        """The fake probability of a video, an image or a folder of frames (one video), as ``predict.py``
        scores it: the mean over the sampled frames with a face of the largest face's probability.

        Raises:
            ValueError: the file cannot be read or shows no face (the message names it and says why), or a
                folder holds more than one video.
        """
        items = expand_inputs([path], sequences=True)
        if len(items) != 1:
            raise ValueError(f"{path}: holds {len(items)} inputs; predict_file scores one video or image")
        result = predict_input(items[0], self._scorer, self._faces, self.config)
        if result.status != OK:
            raise ValueError(f"{path}: no score: {result.reason}")
        return float(result.score)

    __call__ = predict_file

    def predict_faces(self, images):
        """Fake probabilities of face crops, one per crop (a ``(N,)`` float32 array).

        Args:
            images: one RGB ``uint8`` crop ``(H, W, 3)``, a batch ``(N, H, W, 3)`` or a list of crops of any
                sizes; each is resized to the model's input as ``prepare.py`` resizes a crop (padded black to a
                square when it is not one, area interpolation down, bicubic up).
        """
        if isinstance(images, np.ndarray) and images.ndim == 3:
            images = images[None]
        crops = [self._resized(np.asarray(image)) for image in images]
        if not crops:
            return np.zeros(0, np.float32)
        return self._scorer(np.stack(crops))[0]

    def _resized(self, image):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected RGB crops of shape (H, W, 3); got {image.shape}")
        height, width = image.shape[:2]
        return crop_face(image, Face((0.0, 0.0, float(width), float(height)), float("nan")), self.image_size, 1.0)[0]


def from_preset(source, batch_size=32):
    """The :class:`Detector` of a preset: a local folder, ``hf://owner/name[@revision]`` or
    ``kaggle://owner/model/keras/variant[/version]``; its files are checked against their sha256 first and
    ``model.keras`` is loaded in Keras safe mode.

    Raises:
        PresetError: the source cannot be fetched, is not a preset, or a file is missing or changed (named);
            nothing is loaded then.
    """
    folder, metadata = preset_folder(source)
    return Detector(folder, metadata, batch_size)
