"""The protocol card: how a number was measured, stated with the number.

The same SBI model is reported at Celeb-DF AUCs from 0.81 to 0.94 depending on frame or video level,
frames per video, face crops and the split that picked the checkpoint. The card records each of these for
one evaluation, from the training run's settings (``RUN/config.json``), the crop settings of the training
and test data (``DATA_DIR/<tag>/prepare.json``) and the evaluation's own settings. It is built here only:
``results.json`` stores it with each evaluation; ``results.md``, the ROC figures and the demo print it
through :func:`card_lines` (markdown) and :func:`card_summary` (one line).
"""

import os

from pel_keras.data.datasets import compression_of
from pel_keras.data.manifest import SETTINGS, read_settings
from pel_keras.run_folder import BEST, LAST

LEVELS = {
    "frame": "every face crop is scored on its own (one crop per sampled frame with a face)",
    "video": "a video's score is the mean of its frames' probabilities (frames without a face are not scored)",
}
METRICS = {"video_auc": "video-level AUC", "frame_auc": "frame-level AUC"}


def _crops(data_dir, tag):
    """``prepare.json`` of ``DATA_DIR/<tag>`` (None when the data was not made by ``prepare.py``)."""
    return read_settings(os.path.join(data_dir, tag))


def _fakes(training):
    if "sbi" not in training:
        return None
    if not training["sbi"]:
        return "dataset"
    return "self-blended and dataset" if training.get("sbi_keep_fakes") else "self-blended"


def build_card(training, data_dir, model, image_size, split, frames, threshold, test_sets):
    """The protocol card of one evaluation, ready for JSON.

    Args:
        training: the training run's settings, ``RUN/config.json`` as a dict; a setting that an older run
            did not record is stored as None and printed as not recorded.
        data_dir: DATA_DIR holding the prepared datasets.
        model: the evaluated model's name (its key in ``results.json``, e.g. ``best.keras``).
        image_size: the side of the crops fed to the model.
        split: the split evaluated; frames: the cap on frames per video (0: all prepared);
        threshold: the ACC threshold (fake when p > threshold).
        test_sets: ``{tag scored: tag asked for}``, the two differing where a dataset was prepared only at
            another compression than the one asked for.

    Raises:
        ValueError: a ``prepare.json`` is unreadable or not a JSON object (named).
    """
    dataset = training["train_dataset"]
    return {
        "training": {
            "dataset": dataset,
            "compression": compression_of(dataset),
            "fakes": _fakes(training),
            "frames_per_video": training.get("frames"),
            "crops": _crops(data_dir, dataset),
        },
        "checkpoint": {"model": model, "selection_metric": training.get("selection_metric"), "split": "val"},
        "input_size": image_size,
        "test": {
            "split": split,
            "frames_per_video": frames,
            "datasets": {
                tag: {"crops": _crops(data_dir, tag), "instead_of": None if wanted == tag else wanted}
                for tag, wanted in test_sets.items()
            },
        },
        "levels": dict(LEVELS),
        "threshold": threshold,
    }


def crops_text(crops):
    """``prepare.json``'s settings in words, or why they are not known."""
    if crops is None:
        return f"not recorded (no {SETTINGS}: not made by prepare.py)"
    return (
        f"faces by {crops.get('detector', '?')}, margin {crops.get('margin', '?')}, {crops.get('size', '?')} px, "
        f"{crops.get('frames', '?')} frames sampled per video at equal intervals"
    )


def _training_text(training):
    compression = training["compression"]
    fakes = {
        None: "fakes: not recorded",
        "dataset": "its own real and fake videos",
        "self-blended": "its real videos only, fakes self-blended from them on the fly (SBI)",
        "self-blended and dataset": "its real videos with self-blended fakes, half of them paired with its fakes",
    }[training["fakes"]]
    frames = training["frames_per_video"]
    frames = "frames per video: not recorded" if frames is None else f"at most {frames} frames per video"
    compression = f"compression {compression}" if compression else "one release, compression as published"
    return f"`{training['dataset']}` ({compression}), {fakes}, {frames}"


def _checkpoint_text(checkpoint, dataset):
    metric = checkpoint["selection_metric"]
    if metric is None:
        chosen = f"the run's `{BEST}` (how it was picked is not recorded)"
    else:
        chosen = (
            f"the run's `{BEST}` is the epoch with the highest {METRICS.get(metric, metric)} on the "
            f"{checkpoint['split']} split of `{dataset}`; no test split takes part"
        )
    return chosen + (f"; this model is `{LAST}`, the last epoch, not picked" if checkpoint["model"] == LAST else "")


def _frames_text(frames):
    return "all prepared frames per video" if not frames else f"at most {frames} frames per video, at equal intervals"


def _test_crops(datasets):
    """The test sets (each with the tag it stands in for) grouped by their crop settings."""
    groups = {}
    for tag, entry in datasets.items():
        instead = f" (instead of `{entry['instead_of']}`, which is not prepared)" if entry["instead_of"] else ""
        groups.setdefault(crops_text(entry["crops"]), []).append(f"`{tag}`{instead}")
    return "; ".join(f"{', '.join(tags)}: {crops}" for crops, tags in groups.items()) or "none scored"


def shared_card(card):
    """What decides `card_lines(card)`: the card without the model's name (an export of `best.keras` is
    measured as `best.keras` is), so models that share it can share one printed card."""
    checkpoint = dict(card["checkpoint"], model=card["checkpoint"]["model"] == LAST)
    return dict(card, checkpoint=checkpoint)


def card_lines(card):
    """The card as markdown bullets, one per item of the protocol (the models it belongs to are named by
    whoever prints it)."""
    training, test = card["training"], card["test"]
    return [
        f"- Training data: {_training_text(training)}",
        f"- Training crops: {crops_text(training['crops'])}",
        f"- Checkpoint: {_checkpoint_text(card['checkpoint'], training['dataset'])}",
        f"- Input: {card['input_size']} x {card['input_size']} px RGB face crops (resized when stored at another size)",
        f"- Test data: the `{test['split']}` split, {_frames_text(test['frames_per_video'])}",
        f"- Test crops: {_test_crops(test['datasets'])}",
        f"- Frame level: {card['levels']['frame']}; video level: {card['levels']['video']}",
        f"- ACC: fake when p > {card['threshold']}, a fixed threshold (not tuned on any split)",
    ]


def _detectors(card):
    crops = [card["training"]["crops"], *(entry["crops"] for entry in card["test"]["datasets"].values())]
    known = sorted({f"{c.get('detector', '?')}, margin {c.get('margin', '?')}" for c in crops if c})
    return " / ".join(known) or "crops not recorded"


def card_summary(card):
    """The card in one line, for figure titles and the console."""
    training, checkpoint, test = card["training"], card["checkpoint"], card["test"]
    metric = checkpoint["selection_metric"]
    picked = "picked how: not recorded" if metric is None else f"picked by val {METRICS.get(metric, metric)}"
    frames = training["frames_per_video"]
    return (
        f"trained on {training['dataset']}"
        + ("" if frames is None else f" ({frames} frames/video)")
        + f", {BEST} {picked}; {card['input_size']} px crops ({_detectors(card)}); {test['split']} split, "
        f"{_frames_text(test['frames_per_video'])}; video score = mean of frames; ACC at p > {card['threshold']}"
    )
