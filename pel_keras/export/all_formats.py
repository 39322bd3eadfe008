"""The whole export of one model: SavedModel, TFLite files, ONNX, parity, ``export_report.json``.

    source = load_source(workdir="RUN")
    report = export_model(source, "RUN/export")

Every file is written under a temporary name (:func:`pel_keras.files.atomic.atomic_output`), checked for
parity there, and renamed over the previous export only when all are written; the report comes last. An
export that fails or is killed before the end leaves the previous export as it was, report included.
"""

import contextlib
import os
import tempfile
import time

import numpy as np

from pel_keras.export import export_report as reports
from pel_keras.export.onnx import write_onnx
from pel_keras.export.parity import keras_predictor, measure_parity
from pel_keras.export.samples import manifest_images, sample_faces
from pel_keras.export.savedmodel import write_saved_model
from pel_keras.export.tflite import QUANTIZATIONS, io_details, write_tflite
from pel_keras.files.atomic import atomic_output
from pel_keras.inference.contract import REPORT_NAME, app_contract
from pel_keras.inference.predictors import load_predictor

FORMATS = ("savedmodel", "tflite", "onnx")
SAVED_MODEL_DIR, ONNX_FILE = "saved_model", "pel.onnx"
# Files held to the parity tolerance, and the quantized ones held to the quantized criterion.
STRICT = ("savedmodel", "tflite_fp32", "onnx")
QUANTIZED = ("tflite_fp16", "tflite_int8")


def tflite_name(quantization):
    return f"pel_{quantization}.tflite"


def _check_choices(formats, quantizations):
    for kind, chosen, known in (("format", formats, FORMATS), ("quantization", quantizations, QUANTIZATIONS)):
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise ValueError(f"unknown {kind} {unknown}; choose from {list(known)}")


def _targets(out_dir, formats, quantizations):
    """``{name: path}`` of the files the export writes into ``out_dir``."""
    targets = {"savedmodel": os.path.join(out_dir, SAVED_MODEL_DIR)} if "savedmodel" in formats else {}
    for quantization in quantizations if "tflite" in formats else ():
        targets[f"tflite_{quantization}"] = os.path.join(out_dir, tflite_name(quantization))
    if "onnx" in formats:
        targets["onnx"] = os.path.join(out_dir, ONNX_FILE)
    return targets


def _convert(saved_model_dir, paths, calibration):
    """Writes the TFLite and ONNX files of ``paths`` (``{name: path}``) from the SavedModel; returns
    ``({name: details}, {name: seconds})``."""
    details, seconds = {}, {}
    if "savedmodel" in paths:
        details["savedmodel"] = {"signature": "serving_default", "endpoint": "serve"}
    for name, path in paths.items():
        start = time.perf_counter()
        if name.startswith("tflite_"):
            quantization = name.removeprefix("tflite_")
            write_tflite(saved_model_dir, path, quantization, calibration if quantization == "int8" else None)
            details[name] = io_details(path)
        elif name == "onnx":
            details[name] = {"opset": write_onnx(saved_model_dir, path)}
        else:
            continue
        seconds[name] = time.perf_counter() - start
    return details, seconds


def calibration_set(source, count, seed=0):
    """``(images, description)``: ``count`` training crops of the source's manifest for int8 calibration.

    Raises:
        ValueError: no manifest is known (give ``--manifest``) or it holds no training rows.
    """
    if source.manifest is None:
        raise ValueError(
            "int8 calibration needs face crops of the training data: export a run whose config.json "
            "names data_dir and train_dataset, or give --manifest=DATA_DIR/<tag>/manifest.csv"
        )
    images, _ = manifest_images(source.manifest, "train", source.image_size[0], count, seed)
    return images, {"manifest": source.manifest, "split": "train", "images": len(images), "seed": seed}


def parity_set(source, count, seed=0):
    """``(images, labels or None, description)``: the sample portraits' faces, plus ``count`` crops of the
    manifest's ``val`` split (``test`` where there is no ``val``)."""
    images = sample_faces(source.image_size[0], source.margin)
    described = {"sample_faces": len(images)}
    if source.manifest is None or count == 0:
        return images, None, described
    for split in ("val", "test"):
        try:
            crops, labels = manifest_images(source.manifest, split, source.image_size[0], count, seed)
        except ValueError:
            continue
        described.update(manifest=source.manifest, split=split, manifest_images=len(crops))
        return np.concatenate([crops, images]), np.concatenate([labels, [-1] * len(images)]), described
    return images, None, described


def _predictors(source, paths):
    """``{name: Predictor}`` of the written files, plus the saved model itself when it was rebuilt in float32."""
    predictors = {name: load_predictor(path, trusted=True) for name, path in paths.items()}  # written here
    if source.saved_policy:
        predictors[f"keras_{source.saved_policy}"] = keras_predictor(source.original, source.model_path)
    return predictors


def export_model(
    source,
    out_dir,
    formats=FORMATS,
    quantizations=QUANTIZATIONS,
    calibration_images=200,
    parity_images=32,
    seed=0,
    criterion=None,
):
    """Exports ``source`` into ``out_dir`` and writes ``export_report.json`` there.

    Args:
        source: an :class:`~pel_keras.export.source.ExportSource`.
        out_dir: the output folder (``RUN/export``); existing files of the same names are replaced once every
            new one is written.
        formats: any of :data:`FORMATS`.
        quantizations: the TFLite files to write, any of ``fp32``, ``fp16``, ``int8``.
        calibration_images: training crops calibrating int8.
        parity_images: crops of the manifest's val (or test) split added to the sample faces for parity.
        seed: picks the calibration and parity crops.
        criterion: the :class:`~pel_keras.export.quantized.QuantizedCriterion` the fp16 and int8 files must
            meet; None: the default one.

    Returns:
        The report (a dict); ``report["passed"]`` is False when a file is outside the parity tolerance or a
        quantized file misses the criterion (its parity row says which part).

    Raises:
        ValueError: unknown format or quantization; int8 without training data.
    """
    _check_choices(formats, quantizations)
    os.makedirs(out_dir, exist_ok=True)
    calibration, calibrated_on = (None, None)
    if "tflite" in formats and "int8" in quantizations:
        calibration, calibrated_on = calibration_set(source, calibration_images, seed)
    targets = _targets(out_dir, formats, quantizations)
    with contextlib.ExitStack() as stack:
        written = {name: stack.enter_context(atomic_output(path)) for name, path in targets.items()}
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        saved_model_dir = written.get("savedmodel", os.path.join(scratch, SAVED_MODEL_DIR))
        start = time.perf_counter()
        write_saved_model(source.model, saved_model_dir)
        saved_seconds = time.perf_counter() - start
        details, seconds = _convert(saved_model_dir, written, calibration)
        images, labels, parity_inputs = parity_set(source, parity_images, seed)
        reference = keras_predictor(source.model, source.model_path)
        parity = measure_parity(reference, _predictors(source, written), images, labels, STRICT, QUANTIZED, criterion)
        with contextlib.suppress(FileNotFoundError):  # it describes the files about to be replaced
            os.remove(os.path.join(out_dir, REPORT_NAME))
    seconds["savedmodel"] = saved_seconds  # also the source of the other formats when not kept
    parity["inputs"] = parity_inputs
    report = {
        "model": {
            "source": source.model_path,
            "saved_policy": source.saved_policy,
            "exported_policy": "float32",
            "parameters": int(source.model.count_params()),
        },
        "contract": app_contract(source.image_size, source.margin, source.detector),
        "files": {name: reports.file_entry(out_dir, path, **details[name]) for name, path in targets.items()},
        "int8_calibration": calibrated_on,
        "parity": parity,
        "passed": all(row["passed"] is not False for row in parity["files"].values()),
        "conversion_seconds": {name: round(value, 1) for name, value in seconds.items()},
        "versions": reports.versions(),
    }
    reports.write_report(out_dir, report)
    return report
