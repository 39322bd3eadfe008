"""The page's model panel: what is loaded, how faces are cut for it, and what its run folder says of it.

The run folder is the model's folder or the one above it (``RUN/best.keras``, ``RUN/export/pel_fp32.tflite``)
when it holds ``config.json``. From it the panel shows the training set-up (``RUN/config.json``), the crop
settings of the training data (``prepare.json`` beside its manifest) and every evaluation in
``RUN/eval/results.json`` with its mode, test set, condition, frames and videos, AUCs and protocol card's line.
Files are read as plain JSON; a missing or unreadable one leaves its part out and says why.
"""

import json
import os

from pel_keras.data.manifest import SETTINGS
from pel_keras.protocol import card_summary
from pel_keras.run_folder import CONFIG, EVAL, RESULTS, find_run, prepared_dataset

FORMATS = {".keras": "Keras (.keras)", ".tflite": "LiteRT / TFLite (.tflite)", ".onnx": "ONNX (.onnx)"}


def model_format(path):
    """A readable name of the model's format, from its file name (a folder is a SavedModel)."""
    if os.path.isdir(path):
        return "TensorFlow SavedModel"
    return FORMATS.get(os.path.splitext(path)[1].lower(), os.path.splitext(path)[1])


def _read_json(path):
    """``(content, None)`` or ``(None, why not)``."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file), None
    except FileNotFoundError:
        return None, f"no {path}"
    except (OSError, ValueError) as error:
        return None, f"{path} is unreadable ({error})"


def _training(config):
    streams = {"two": "RGB and frequency streams", "rgb": "RGB stream", "freq": "frequency stream"}
    fakes = ", fakes self-blended on the fly (SBI)" if config.get("sbi") else ""
    steps = f" x {config['steps_per_epoch']} steps" if config.get("steps_per_epoch") else ""
    return (
        f"{config.get('backbone', '?')}, {streams.get(config.get('streams'), config.get('streams', '?'))}, "
        f"{config.get('image_size', '?')} px; trained on `{config.get('train_dataset', '?')}`{fakes}, "
        f"{config.get('epochs', '?')} epochs{steps}, weights from `{config.get('weights', '?')}`"
    )


def _auc(record, level):
    value = (record.get(level) or {}).get("auc")
    return "n/a" if value is None else f"{value:.3f}"


def _evaluation_rows(results):
    rows = []
    for mode, entries in results.items():
        for name, entry in entries.items():
            for record in entry.get("datasets", []):
                if "skipped" in record:
                    rows.append(f"| {mode} | `{name}` | {record['dataset']} | skipped: {record['skipped']} | | | |")
                    continue
                rows.append(
                    f"| {mode} | `{name}` | {record['dataset']} | {record.get('condition', 'clean')} | "
                    f"{record.get('frames', '?')} / {record.get('videos', '?')} | {_auc(record, 'frame')} | "
                    f"{_auc(record, 'video')} |"
                )
    return rows


def _preparation(config):
    """The training crops' settings line from ``prepare.json``, or None when the data is not there."""
    folder = prepared_dataset(config)
    if folder is None:
        return None
    settings, _ = _read_json(os.path.join(folder, SETTINGS))
    if not settings:
        return None
    return ", ".join(f"{name} {value}" for name, value in settings.items())


def run_markdown(model_path):
    """Markdown of the training and evaluation of the model's run, or a line saying there is no run."""
    run = find_run(model_path)
    if run is None:
        return "**Run folder**: none found beside the model (no `config.json`), so no training or evaluation record."
    config, problem = _read_json(os.path.join(run, CONFIG))
    lines = [f"**Training** (`{os.path.join(run, CONFIG)}`): " + (_training(config) if config else problem)]
    preparation = _preparation(config or {})
    if preparation:
        lines.append(f"**Training crops** (`prepare.json`): {preparation}")
    results, problem = _read_json(os.path.join(run, EVAL, RESULTS))
    if not results:
        lines.append(f"**Evaluation**: {problem} (run `evaluate.py --workdir={run}`)")
        return "\n\n".join(lines)
    lines.append(
        f"**Evaluation** (`{os.path.join(run, EVAL, RESULTS)}`; AUC of the frame scores and of "
        "the video scores, a video's score being the mean of its frames'):"
    )
    lines.append(
        "| mode | model | test set | condition | frames / videos | frame AUC | video AUC |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(_evaluation_rows(results))
    )
    lines.append("**Protocol** of each evaluation (`pel_keras.protocol`):\n" + "\n".join(_protocol_rows(results)))
    return "\n\n".join(lines)


def _protocol_rows(results):
    """One bullet per evaluation: its protocol card's line, or that it was not recorded."""
    rows = []
    for mode, entries in results.items():
        for name, entry in entries.items():
            card = entry.get("protocol")
            rows.append(f"- {mode}, `{name}`: " + ("not recorded" if not card else card_summary(card)))
    return rows


def model_title(model_path, image_size, heatmaps_note):
    """One line naming the model: file, format, input size, heatmaps or not."""
    heatmaps = "heatmaps" if heatmaps_note is None else "no heatmaps"
    return f"{os.path.basename(os.path.normpath(model_path))}, {model_format(model_path)}, {image_size} px, {heatmaps}"


def model_markdown(model_path, image_size, config, batch_size, heatmaps_note):
    """Markdown of the model panel.

    Args:
        model_path: the model as given to ``app.py``.
        image_size: the crop side the model takes.
        config: the :class:`~pel_keras.prediction.predict.PredictConfig` the app scores with.
        batch_size: face crops per model call.
        heatmaps_note: None when heatmaps are drawn, else why not.
    """
    heatmaps = "yes (class activation maps, as `predict.py --heatmap`)" if heatmaps_note is None else heatmaps_note
    lines = [
        f"**Model** `{model_path}`: {model_format(model_path)}, input {image_size} x {image_size} px, "
        f"heatmaps: {heatmaps}",
        f"**Crops**: faces found by `{config.detector}`, cut square at margin {config.margin} (side over the "
        f"box's longer side) and resized to {image_size} px; {config.frames} frames sampled per video at "
        f"equal intervals; {batch_size} crops per model call",
        run_markdown(model_path),
    ]
    return "\n\n".join(lines)
