"""The face crops a model was trained on, found beside the model: one rule for every program that scores faces.

A model must be scored on crops cut as its training crops were (DESIGN's one contract: the margin and the
detector the preparation used; the size is the model's input). ``predict.py``, ``visualize.py``,
``app.py`` and the edge predictor take them, in this order, from

1. the flag the user gave (``--margin``, ``--detector``);
2. ``export_report.json`` beside the model (an exported file: export.py states the margin it was given);
3. the run folder the model belongs to: ``RUN/config.json`` names the prepared data, whose
   ``prepare.json`` holds ``prepare.py``'s settings;
4. ``prepare.py``'s defaults.

Plain Python (no TensorFlow): the edge predictor uses it.
"""

import dataclasses
import json
import os

from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN
from pel_keras.data.manifest import SETTINGS, read_settings
from pel_keras.inference.contract import REPORT_NAME
from pel_keras.run_folder import CONFIG, find_run, prepared_dataset


@dataclasses.dataclass(frozen=True)
class CropSettings:
    """How faces are cropped for a model, and where that was read (a file, or ``prepare.py's defaults``)."""

    margin: float
    detector: str
    source: str


def _read(path):
    """The JSON object in ``path``, or None when there is none; a ValueError naming a file that is broken."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as file:
            value = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read the crop settings ({error})") from error
    if not isinstance(value, dict):
        raise ValueError(f"{path}: cannot read the crop settings (a JSON {type(value).__name__}, not an object)")
    return value


def prepared_settings(folder):
    """``(margin, detector)`` that ``prepare.py`` stored in ``folder/prepare.json``; None for what it does not
    state. A ``none`` detector (the dataset's frames were face crops already, as WildDeepfake's) says nothing
    about new media, which still need their faces found, so it is not passed on."""
    settings = read_settings(folder) or {}
    detector = settings.get("detector")
    return settings.get("margin"), detector if detector != "none" else None


def _stated(model_path):
    """``(margin or None, detector or None, source)`` from the files beside ``model_path``."""
    report_path = os.path.join(os.path.dirname(os.path.abspath(model_path)), REPORT_NAME)
    report = _read(report_path)
    if report is not None:
        face = report.get("contract", {}).get("input", {})
        return face.get("crop_margin"), face.get("face_detector"), report_path
    run = find_run(model_path)
    folder = prepared_dataset(_read(os.path.join(run, CONFIG)) or {}) if run else None
    if folder and os.path.isfile(os.path.join(folder, SETTINGS)):
        return (*prepared_settings(folder), os.path.join(folder, SETTINGS))
    return None, None, "prepare.py's defaults"


def crop_settings(model_path, margin=None, detector=None):
    """The :class:`CropSettings` to score ``model_path`` with; ``margin`` and ``detector`` (the user's flags,
    None when not given) win over what the files say.

    Raises:
        ValueError: a settings file beside the model cannot be read (named).
    """
    stated_margin, stated_detector, source = _stated(model_path)
    if margin is not None and detector is not None:
        source = "the flags"
    return CropSettings(
        float(margin if margin is not None else stated_margin or DEFAULT_MARGIN),
        detector if detector is not None else stated_detector or DEFAULT_DETECTOR,
        source,
    )


MARGIN_HELP = (
    "Crop side over the detected box's longer side; default the margin the model's training crops were cut "
    f"with (export_report.json beside it, or its run's prepare.json), else {DEFAULT_MARGIN}."
)
DETECTOR_HELP = (
    "Face detector; none: the inputs are face crops. Default the one that found the model's training faces, "
    f"else {DEFAULT_DETECTOR}."
)
