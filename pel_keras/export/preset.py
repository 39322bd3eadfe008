"""Writes a preset folder: the model, what it takes to use it right, its model card (``--preset=DIR``).

    save_preset(preset_source(workdir="RUN"), "presets/pel_ffpp_c40")

The folder (:mod:`pel_keras.inference.presets` reads it) holds ``model.keras`` (a byte copy of the run's
``best.keras``, so it scores exactly as that file does), ``metadata.json`` and ``README.md``. It is written
whole under a temporary name and renamed into place: a reader sees the previous preset or the new one, never
a mixture. A folder that is neither a preset nor empty is never replaced.
"""

import importlib.metadata
import json
import math
import os
import shutil

import keras

from pel_keras.export.model_card import model_card
from pel_keras.export.source import load_source
from pel_keras.files.atomic import atomic_output, atomic_write
from pel_keras.inference.contract import app_contract
from pel_keras.inference.presets import (
    CARD_FILE,
    FORMAT,
    FORMAT_VERSION,
    METADATA_FILE,
    MODEL_FILE,
    PresetError,
    file_entries,
    read_metadata,
)
from pel_keras.run_folder import BEST, BEST_INFO, CONFIG, ENVIRONMENT, EVAL, RESULTS, find_run, read_config
from pel_keras.run_results import read_json

DEFAULT_FRAMES = 32  # predict.py's frames per video
DEFAULT_THRESHOLD = 0.5  # when the run recorded no validation threshold
VAL_THRESHOLD = "val_video_threshold"  # best.json's key (pel_keras.training.validation)


def preset_source(workdir=None, model_path=None, manifest=None):
    """The :class:`~pel_keras.export.source.ExportSource` a preset is made of: a run's ``best.keras`` or a
    ``.keras`` file (as :func:`~pel_keras.export.source.load_source`, which it calls).

    Raises:
        FileNotFoundError: ``workdir`` is not a run folder, or there is no ``.keras`` model (a run with only a
            SavedModel, a ``.tflite`` or an ``.onnx`` file cannot make a preset); the message names the path.
        ValueError: neither given, or ``model_path`` is not a ``.keras`` file.
    """
    if workdir:
        read_config(workdir)  # names a folder that is not a run
    path = model_path or (os.path.join(workdir, BEST) if workdir else None)
    if path and not path.endswith(".keras"):
        raise ValueError(f"{path}: a preset holds a Keras .keras model; this is not one")
    if path and not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} not found: a preset holds the Keras model (.keras), which an exported SavedModel, .tflite "
            "or .onnx file cannot replace"
        )
    return load_source(workdir, model_path, manifest)


def _check_target(folder):
    """Refuses to replace ``folder`` unless it is missing, empty or a preset."""
    if not os.path.lexists(folder):
        return
    if not os.path.isdir(folder) or os.path.islink(folder):
        raise PresetError(f"{folder}: exists and is not a folder; a preset is written as a new folder")
    if os.listdir(folder):
        try:
            read_metadata(folder)
        except PresetError:
            raise PresetError(
                f"{folder}: holds files and is not a preset, so it is not replaced; choose a new or empty folder"
            ) from None


def _run_records(model_path):
    """``(config, environment, best, evaluations)`` of the run ``model_path`` belongs to (empty when none)."""
    run = find_run(model_path)
    if run is None:
        return {}, {}, None, []
    config, environment, best = (read_json(os.path.join(run, name))[0] for name in (CONFIG, ENVIRONMENT, BEST_INFO))
    results = read_json(os.path.join(run, EVAL, RESULTS))[0] or {}
    name = os.path.relpath(os.path.realpath(model_path), os.path.realpath(run))
    evaluations = [
        {"mode": mode, "model": name, "protocol": entries[name].get("protocol"), "datasets": entries[name]["datasets"]}
        for mode, entries in results.items()
        if name in entries
    ]
    return config or {}, environment or {}, best, evaluations


def _versions():
    found = {"keras": keras.__version__}
    for package in ("pel-keras", "tensorflow"):
        try:
            found[package.replace("-", "_")] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package.replace("-", "_")] = None
    return found


def _threshold(best, given):
    """``metadata.json``'s threshold: ``given``, else the one the run chose on val at its best epoch."""
    if given is not None:
        return {"value": float(given), "chosen": "given when the preset was made"}
    chosen = (best or {}).get(VAL_THRESHOLD)
    if chosen is None or not math.isfinite(chosen):
        return {
            "value": DEFAULT_THRESHOLD,
            "chosen": f"fixed at {DEFAULT_THRESHOLD}: the run's {BEST_INFO} records no validation threshold",
        }
    return {
        "value": float(chosen),
        "chosen": f"the highest balanced accuracy of video-level scores on the val split at the epoch of {BEST} "
        f"({BEST_INFO}, epoch {best.get('epoch')}); no test split takes part",
    }


def preset_metadata(source, frames=DEFAULT_FRAMES, threshold=None):
    """``metadata.json`` of a preset of ``source`` (an :class:`~pel_keras.export.source.ExportSource`), without
    its ``files`` (the checksums come once the files are written)."""
    config, environment, best, evaluations = _run_records(source.model_path)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": {
            "file": MODEL_FILE,
            "backbone": config.get("backbone"),
            "streams": config.get("streams"),
            "image_size": source.image_size[0],
            "parameters": int(source.model.count_params()),
        },
        "contract": app_contract(source.image_size, source.margin, source.detector),
        "frames_per_video": frames,
        "threshold": _threshold(best, threshold),
        "class_names": ["real", "fake"],
        "labels": "the output is the probability of class 1, fake; 0 is real",
        "training": {
            "dataset": config.get("train_dataset"),
            "frames_per_video": config.get("frames"),
            "epochs": config.get("epochs"),
            "selection_metric": config.get("selection_metric"),
            "best_epoch": best,
            "backend": environment.get("backend") or ("tensorflow" if environment.get("tensorflow") else None),
            "precision_policy": environment.get("precision_policy"),
            "versions": {name: environment.get(name) for name in ("keras", "tensorflow")},
        },
        "evaluations": evaluations,
        "versions": _versions(),
    }


def save_preset(source, folder, frames=DEFAULT_FRAMES, threshold=None, license="apache-2.0"):
    """Writes the preset of ``source`` into ``folder``; returns its metadata.

    Args:
        source: an :class:`~pel_keras.export.source.ExportSource` (:func:`~pel_keras.export.source.load_source`).
        folder: the preset folder: new, empty, or an earlier preset (replaced whole).
        frames: frames sampled per video when the preset scores one.
        threshold: a score above it is called fake; None: the one the run chose on its val split
            (``best.json``), or 0.5 when the run recorded none.
        license: the license named in the model card's metadata.

    Raises:
        PresetError: ``folder`` exists and is neither empty nor a preset.
        ValueError: ``frames`` or ``threshold`` out of range.
    """
    if frames < 1 or (threshold is not None and not 0 <= threshold <= 1):
        raise ValueError(f"need frames >= 1 and a threshold in [0, 1]; got frames={frames}, threshold={threshold}")
    _check_target(folder)
    metadata = preset_metadata(source, frames, threshold)
    with atomic_output(folder) as temporary:
        os.makedirs(temporary)
        shutil.copyfile(source.model_path, os.path.join(temporary, MODEL_FILE))
        atomic_write(os.path.join(temporary, CARD_FILE), model_card(metadata, license))
        metadata["files"] = file_entries(temporary, [MODEL_FILE, CARD_FILE])
        atomic_write(os.path.join(temporary, METADATA_FILE), json.dumps(metadata, indent=2) + "\n")
    return metadata
