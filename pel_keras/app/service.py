"""The app's scoring service: the model loaded once, each uploaded file scored by ``predict.py``'s own core.

Every file goes through :func:`pel_keras.prediction.predict.predict_input` with the app's
:class:`~pel_keras.prediction.predict.PredictConfig` and one :class:`~pel_keras.prediction.scorer.Scorer`,
so its result is the one ``predict.py`` reports for that file. Results name the file as it was uploaded,
never the server's temporary copy. A ``.keras`` model is loaded with its class activation maps, which come
out of the same forward pass as the probabilities; other formats score without heatmaps, and the service
says why. One model call runs at a time (a lock; the page's queue already serialises them).
"""

import dataclasses
import os
import threading
import traceback

from pel_keras.app.drawing import draw_boxes, fit_for_display
from pel_keras.app.model_card import model_format
from pel_keras.data.faces import make_detector
from pel_keras.data.media_files import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, MediaError, is_image, is_video
from pel_keras.inference.predictors import ModelError
from pel_keras.prediction.heatmaps import draw_heatmap, write_image
from pel_keras.prediction.inputs import expand_inputs
from pel_keras.prediction.predict import DETECTING, READING, SCORING, json_settings, predict_input
from pel_keras.prediction.results import ERROR, InputResult, json_document
from pel_keras.prediction.scorer import Scorer

DRAWING = "drawing frames"
# Share of an input's progress bar each stage fills: predict_input's three, then drawing the frames.
STAGE_SPANS = {READING: (0.0, 0.15), DETECTING: (0.15, 0.45), SCORING: (0.45, 0.9), DRAWING: (0.9, 1.0)}


@dataclasses.dataclass(frozen=True)
class FrameView:
    """One sampled frame as the page shows it: its index, the frame with boxes, its heatmap overlay (or None)."""

    frame: int
    boxes: str
    heatmap: str | None
    caption: str


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One uploaded file: its :class:`~pel_keras.prediction.results.InputResult` and its :class:`FrameView` s
    (none when it could not be read)."""

    result: InputResult
    frames: tuple = ()

    def most_fake_frame(self):
        """Position in :attr:`frames` of the frame whose largest face scores highest, or None without a face."""
        scored = [(frame.faces[0].probability, i) for i, frame in enumerate(self.result.frames) if frame.faces]
        return max(scored)[1] if scored and self.frames else None


def check_kind(path, name):
    """Raises :class:`MediaError` naming ``name`` (the file as uploaded) unless its extension is a video's or an
    image's: the rule :func:`~pel_keras.data.media_files.list_media` applies inside a folder, so the page and
    ``predict.py DIR`` agree on what is media. (Frames above the pixel limit are refused by
    :func:`~pel_keras.prediction.predict.predict_input`, from the header, before decoding.)"""
    if not (is_image(path) or is_video(path)):
        raise MediaError(
            f"{name}: not a video or an image (the app reads {' '.join(VIDEO_EXTENSIONS)} videos and "
            f"{' '.join(IMAGE_EXTENSIONS)} images)"
        )


def load_scorer(model, batch_size, image_size, num_threads=None, trusted=False):
    """``(scorer, heatmaps_note)``: a :class:`Scorer` with heatmaps where the model allows them, and None, or
    one without and the reason (the page shows it where the heatmap would be).

    Raises:
        ModelError: the model does not load (see :class:`Scorer`).
    """
    if not os.fspath(model).endswith(".keras"):
        note = (
            f"not available for a {model_format(model)} model: the file keeps only the probability, not the "
            "features inside the network a class activation map is read from; start the app on the run's "
            ".keras model to see them"
        )
    else:
        try:
            return Scorer(model, heatmaps=True, batch_size=batch_size, image_size=image_size, trusted=trusted), None
        except ModelError:
            raise
        except ValueError as error:  # not a PEL model: no stream features or classifier to split
            note = f"not available for this model: {error}"
    return Scorer(model, batch_size=batch_size, image_size=image_size, num_threads=num_threads, trusted=trusted), note


def _as_uploaded(result, path, name):
    """``result`` naming the file ``name`` (as uploaded) instead of its temporary ``path``."""
    reason = result.reason.replace(path, name) if result.reason else result.reason
    return dataclasses.replace(result, input=name, reason=reason)


class ScoringService:
    """Scores uploaded files with one model.

    Args:
        model: the model path as the user gave it (recorded in the JSON, as ``predict.py`` does).
        config: the :class:`~pel_keras.prediction.predict.PredictConfig` (its threshold is the default one).
        batch_size: face crops per model call.
        image_size: the crop side for a model whose input size is dynamic.
        num_threads: threads of a ``.tflite`` or ``.onnx`` model (TensorFlow formats use TensorFlow's).

    Raises:
        ModelError: the model does not load.
    """

    def __init__(self, model, config, batch_size=32, image_size=None, num_threads=None, trusted=False):
        self.model, self.config, self.batch_size = model, config, batch_size
        self.scorer, self.heatmaps_note = load_scorer(model, batch_size, image_size, num_threads, trusted)
        self.detector = make_detector(config.detector)
        self.settings = json_settings(model, config, self.scorer.image_size)
        self._lock = threading.Lock()

    def score(self, path, name, progress=None, on_frames=None):
        """The :class:`InputResult` of the file at ``path``, named ``name``; a file that cannot be read or
        scored gives an ``error`` result that says why (the traceback of an unexpected failure is printed)."""
        path = os.fspath(path)
        item = dataclasses.replace(expand_inputs([path])[0], name=name)
        kind = item.kind
        try:
            check_kind(path, name)
            with self._lock:
                result = predict_input(item, self.scorer, self.detector, self.config, progress, on_frames)
        except MediaError as error:
            return InputResult(name, kind, ERROR, str(error), threshold=self.config.threshold)
        except Exception as error:  # one input's failure is reported with it; the app goes on serving
            traceback.print_exc()
            return InputResult(
                name,
                kind,
                ERROR,
                f"could not be scored ({type(error).__name__}: {error})",
                threshold=self.config.threshold,
            )
        return _as_uploaded(result, path, name)

    def document(self, path, name):
        """What ``predict.py NAME --json`` writes for the file (the app's API)."""
        return json_document([self.score(path, name)], self.settings)

    def analyse(self, uploads, folder, progress=None):
        """Scores ``uploads`` (``[(path, name)]``) in order and draws their frames into ``folder``.

        Args:
            progress: called as ``progress(fraction of the whole batch, message)``.

        Returns:
            One :class:`Analysis` per upload.
        """
        progress = progress or (lambda fraction, message: None)
        analyses = []
        for number, (path, name) in enumerate(uploads):

            def report(stage, done, total, number=number, name=name):
                low, high = STAGE_SPANS[stage]
                fraction = (number + low + (high - low) * done / max(total, 1)) / len(uploads)
                progress(round(fraction, 4), f"{name} ({number + 1} of {len(uploads)}): {stage} {done}/{total}")

            captured = []
            result = self.score(path, name, report, lambda detections, maps: captured.append((detections, maps)))
            views = ()
            if captured:
                views = self._draw(result, *captured[0], os.path.join(folder, f"{number:03d}"), report)
            analyses.append(Analysis(result, views))
        return analyses

    def _draw(self, result, detections, maps, folder, report):
        views = []
        for (index, rgb, faces), face_maps, frame in zip(detections, maps, result.frames):
            stem = os.path.join(folder, f"{index:06d}")
            boxes = write_image(f"{stem}_boxes.jpg", fit_for_display(draw_boxes(rgb, frame.faces)))
            heatmap = None
            if face_maps is not None and faces:
                probabilities = [face.probability for face in frame.faces]
                overlay = draw_heatmap(rgb, faces, face_maps, probabilities, self.config.margin)
                heatmap = write_image(f"{stem}_heatmap.jpg", fit_for_display(overlay))
            where = "image" if result.kind == "image" else f"frame {index}"
            score = f"{frame.faces[0].probability:.2f}" if frame.faces else "no face"
            views.append(FrameView(index, boxes, heatmap, f"{where}: {score}"))
            report(DRAWING, len(views), len(detections))
        return tuple(views)
