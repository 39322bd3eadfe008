"""Writes everything one evaluation produces into `RUN/eval/` (issue: Output), and returns its table.

Files: `<mode>_<dataset>[_<condition>]_frames.csv` and `..._videos.csv` per scored set, `roc_<mode>.png`,
and `results.json` / `results.md` (see `report.py`).
"""

import dataclasses
import os

from pel_keras.evaluation.plots import plot_roc
from pel_keras.evaluation.records import CLEAN, dataset_record, evaluation_record, skipped_record
from pel_keras.evaluation.report import condition_label, dataset_label, write_results
from pel_keras.evaluation.scores import FrameScores, write_score_csvs


@dataclasses.dataclass(frozen=True)
class Scored:
    """The frame scores of one dataset under one condition ("clean" or a perturbation name and strength)."""

    dataset: str
    scores: FrameScores
    condition: str = CLEAN
    strength: float | int | None = None

    @property
    def stem(self):
        return self.dataset if self.condition == CLEAN else f"{self.dataset}_{self.condition}"

    @property
    def label(self):
        name = dataset_label(self.dataset)
        return name if self.condition == CLEAN else f"{name} {condition_label(self.condition, self.strength)}"


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A dataset that could not be evaluated, and why (e.g. "not prepared: /data/dfdc/manifest.csv not found")."""

    dataset: str
    reason: str


def save_evaluation(eval_dir, mode, model, train_dataset, items, threshold=0.5):
    """Score CSVs, ROC figure, `results.json` and `results.md` for one evaluation.

    Args:
        eval_dir: output folder (created if needed), e.g. `RUN/eval`.
        mode: "intra", "cross" or "robustness".
        model: the evaluated artifact's path (recorded in the report).
        train_dataset: tag of the dataset the model was trained on.
        items: `Scored` and `Skipped`, in the order of the report's columns; robustness needs the clean run
            of each dataset among them.
        threshold: decision threshold for ACC.

    Returns:
        The markdown of this evaluation's table, for the console.
    """
    os.makedirs(eval_dir, exist_ok=True)
    records, curves = [], {}
    for item in items:
        if isinstance(item, Skipped):
            records.append(skipped_record(item.dataset, item.reason))
            continue
        write_score_csvs(item.scores, os.path.join(eval_dir, f"{mode}_{item.stem}"))
        records.append(dataset_record(item.dataset, item.scores, threshold, item.condition, item.strength))
        curves[item.label] = item.scores
    title = f"{mode} evaluation of {os.path.basename(str(model))}, trained on {dataset_label(train_dataset)}"
    plot_roc(curves, os.path.join(eval_dir, f"roc_{mode}.png"), title)
    return write_results(eval_dir, mode, evaluation_record(mode, model, train_dataset, records))
