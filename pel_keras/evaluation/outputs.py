"""Writes everything one evaluation produces (issue: Output) and returns its table.

In `files_dir` (by default the evaluation folder itself, e.g. `RUN/eval`):
`<mode>_<dataset>[_<perturbation>_<strength>]_frames.csv` and `..._videos.csv` per scored set, and
`roc_<mode>.png`. In the evaluation folder: `results.json`, `{mode: {model name: evaluation}}`, to which each
evaluation adds or replaces its own entry, and `results.md`, rendered from the whole of it (see `results_markdown.py`).
Every file is written under a temporary name and renamed when complete (`pel_keras.files.atomic`), so a
killed evaluation leaves the previous version of each, never half of one.
"""

import dataclasses
import json
import os

from pel_keras.evaluation.plots import plot_roc
from pel_keras.evaluation.result_records import (
    CLEAN,
    MODES,
    check_mode,
    dataset_record,
    evaluation_record,
    skipped_record,
)
from pel_keras.evaluation.results_markdown import condition_label, dataset_label, render_markdown, render_section
from pel_keras.evaluation.scores import FrameScores, write_score_csvs
from pel_keras.files.atomic import atomic_write
from pel_keras.protocol import card_summary
from pel_keras.run_folder import RESULTS


@dataclasses.dataclass(frozen=True)
class Scored:
    """The frame scores of one dataset under one condition ("clean" or a perturbation name and strength);
    `instead_of`: the dataset asked for, where this one (another compression of it) stands in for it."""

    dataset: str
    scores: FrameScores
    condition: str = CLEAN
    strength: float | int | None = None
    instead_of: str | None = None

    @property
    def stem(self):
        if self.condition == CLEAN:
            return self.dataset
        return f"{self.dataset}_{self.condition}" + ("" if self.strength is None else f"_{self.strength}")

    @property
    def label(self):
        name = dataset_label(self.dataset)
        if self.instead_of:
            name += f" (for {dataset_label(self.instead_of)})"
        return name if self.condition == CLEAN else f"{name} {condition_label(self.condition, self.strength)}"


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A dataset that could not be evaluated, and why (e.g. "not prepared: /data/dfdc/manifest.csv not found")."""

    dataset: str
    reason: str


def save_evaluation(
    eval_dir, mode, model, train_dataset, items, threshold=0.5, name=None, files_dir=None, protocol=None
):
    """Score CSVs, ROC figure, `results.json` and `results.md` for one evaluation.

    Args:
        eval_dir: folder of `results.json` and `results.md` (created if needed), e.g. `RUN/eval`.
        mode: "intra", "cross" or "robustness".
        model: the evaluated artifact's path (recorded in the report).
        train_dataset: tag of the dataset the model was trained on.
        items: `Scored` and `Skipped`, in the order of the report's columns; robustness needs the clean run
            of each dataset among them.
        threshold: decision threshold for ACC.
        name: the model's key in `results.json` and its rows' label in `results.md`; by default the file name
            of `model`. Evaluating another name in the same mode adds rows beside the earlier ones.
        files_dir: folder of the score CSVs and the ROC figure; by default `eval_dir`.
        protocol: the protocol card (`pel_keras.protocol.build_card`), stored with the evaluation and shown in
            the ROC figure's title and in `results.md`; None: reported as not recorded.

    Returns:
        The markdown of this mode's table (every model evaluated in it so far), for the console.
    """
    name = os.path.basename(os.path.normpath(str(model))) if name is None else name
    files_dir = eval_dir if files_dir is None else files_dir
    os.makedirs(files_dir, exist_ok=True)
    records, curves = [], {}
    for item in items:
        if isinstance(item, Skipped):
            records.append(skipped_record(item.dataset, item.reason))
            continue
        write_score_csvs(item.scores, os.path.join(files_dir, f"{mode}_{item.stem}"))
        records.append(
            dataset_record(item.dataset, item.scores, threshold, item.condition, item.strength, item.instead_of)
        )
        curves[item.label] = item.scores
    title = f"{mode} evaluation of {name}, trained on {dataset_label(train_dataset)}"
    protocol_line = "protocol not recorded" if protocol is None else card_summary(protocol)
    plot_roc(curves, os.path.join(files_dir, f"roc_{mode}.png"), f"{title}\n{protocol_line}")
    files = os.path.relpath(files_dir, eval_dir)
    evaluation = evaluation_record(mode, model, train_dataset, records, files, protocol)
    return write_results(eval_dir, mode, name, evaluation)


def _read_results(path):
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            results = json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); move it away to start a new one") from error
    shaped = (
        isinstance(results, dict)
        and set(results) <= set(MODES)
        and all(
            isinstance(entries, dict) and all(isinstance(e, dict) and "datasets" in e for e in entries.values())
            for entries in results.values()
        )
    )
    if not shaped:
        raise ValueError(
            f"{path} is not a results file: expected {{mode: {{model name: evaluation}}}} with "
            f"modes among {MODES}; move it away to start a new one"
        )
    return results


def write_results(eval_dir, mode, name, evaluation):
    """Stores `evaluation` under `[mode][name]` in `eval_dir/results.json`, rewrites `results.md` from all of
    it, and returns the markdown of `mode` (for the console)."""
    check_mode(mode)
    os.makedirs(eval_dir, exist_ok=True)
    json_path = os.path.join(eval_dir, RESULTS)
    results = _read_results(json_path)
    results.setdefault(mode, {})[name] = evaluation
    text = json.dumps(results, indent=2, allow_nan=False)  # a NaN anywhere is a bug: fail before writing
    atomic_write(json_path, text + "\n")
    atomic_write(os.path.join(eval_dir, "results.md"), render_markdown(results))
    return render_section(mode, results[mode])
