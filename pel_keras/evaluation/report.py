"""`results.json` and `results.md`: our numbers laid out like the paper's Tables 1-3, published numbers beside.

`results.json` keeps one evaluation per mode (intra, cross, robustness), so running the three modes one after
the other fills one report; `results.md` is always rendered from the whole of it.
"""

import json
import os

from pel_keras.evaluation import paper_tables as paper
from pel_keras.evaluation.records import CLEAN, LEVELS, MODES, check_mode

LEGEND = (
    "ACC at the threshold given (fake when p > threshold), AUC, EER and AP as fractions. Frame level scores every "
    "face crop; video level scores a video by the mean of its frames' probabilities. Published rows are copied "
    "from the paper (rows of competitors include numbers the PEL authors obtained by re-running them). "
    '"-": not published; "n/a": undefined for our data (see Notes).'
)


def _percent(value):
    return f"{value:.2%}"


def _fraction(value):
    return f"{value:.4f}"


def _signed_percent(value):
    return f"{value:+.2%}"


def _signed_fraction(value):
    return f"{value:+.4f}"


def dataset_label(dataset):
    return paper.DATASET_NAMES.get(dataset, dataset)


def condition_label(condition, strength):
    """"+ GaussianBlur (13)" for a perturbation (Table 3's names; the strength when known), "clean" otherwise."""
    if condition == CLEAN:
        return CLEAN
    name = f"+ {paper.PERTURBATION_NAMES.get(condition, condition)}"
    return name if strength is None else f"{name} ({strength})"


def _cells(values, formats, missing):
    if isinstance(values, str):
        return [values] * len(formats)
    values = values or (None,) * len(formats)
    return [missing if value is None else show(value) for value, show in zip(values, formats)]


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def _comparison(columns, names, formats, published, ours):
    """Rows of published methods (those with a number in these columns), then our rows.

    Args:
        columns: `(label, paper column)` pairs; names/formats: the metrics shown under each column.
        published: `{method: {paper column: values}}`; ours: `{row label: [values or a word, per column]}`.
    """
    header = ["Method", *(f"{label} {name}" for label, _ in columns for name in names)]
    rows = []
    for method, numbers in published.items():
        values = [numbers.get(key) for _, key in columns]
        if any(value is not None for value in values):
            rows.append([method, *(cell for value in values for cell in _cells(value, formats, "-"))])
    for label, values in ours.items():
        rows.append([label, *(cell for value in values for cell in _cells(value, formats, "n/a"))])
    return _table(header, rows)


def _ours(records, pick):
    """Our rows: `pick(record, level)` for every record, one row per level; skipped records say so."""
    return {
        f"Ours, {level} level": ["skipped" if "skipped" in r else pick(r, level) for r in records] for level in LEVELS
    }


def _details(records):
    header = ["Dataset", "Condition", "Level", "N", "Real", "Fake", "ACC", "AUC", "EER", "AP", "Notes"]
    rows, skipped = [], []
    for record in records:
        if "skipped" in record:
            skipped.append(f"- {dataset_label(record['dataset'])} skipped: {record['skipped']}")
            continue
        for level in LEVELS:
            m = record[level]
            numbers = _cells((m["acc"], m["auc"], m["eer"], m["ap"]), (_percent,) + (_fraction,) * 3, "n/a")
            condition = condition_label(record["condition"], record["strength"])
            counts = (m["count"], m["real"], m["fake"])
            rows.append([dataset_label(record["dataset"]), condition, level, *counts, *numbers, "; ".join(m["notes"])])
    return ["", "N counts frames at frame level and videos at video level.", "", *_table(header, rows), "", *skipped]


def _dataset_columns(records):
    return [(dataset_label(r["dataset"]), paper.PAPER_COLUMNS.get(r["dataset"])) for r in records]


def _published_block(evaluation):
    """The paper's training set whose rows of Tables 2-3 sit beside ours, and a line saying which it is."""
    block = paper.PAPER_TRAINING.get(evaluation["train_dataset"])
    return block, f"Published rows: models trained on {block or 'none comparable'}."


def _intra(evaluation):
    records = evaluation["datasets"]
    ours = _ours(records, lambda r, level: (r[level]["acc"], r[level]["auc"]))
    table = _comparison(_dataset_columns(records), ("ACC", "AUC"), (_percent, _fraction), paper.TABLE1, ours)
    return ["## Intra-dataset (paper Table 1)", *table]


def _cross(evaluation):
    records = evaluation["datasets"]
    block, note = _published_block(evaluation)
    ours = _ours(records, lambda r, level: (r[level]["auc"], r[level]["eer"]))
    published = paper.TABLE2.get(block, {})
    table = _comparison(_dataset_columns(records), ("AUC", "EER"), (_fraction, _fraction), published, ours)
    return ["## Cross-dataset (paper Table 2)", note, "", *table]


def _robustness(evaluation):
    perturbed = [r for r in evaluation["datasets"] if "skipped" not in r and r["condition"] != CLEAN]
    block, note = _published_block(evaluation)
    columns = [(condition_label(r["condition"], r["strength"]), r["condition"]) for r in perturbed]
    ours = _ours(perturbed, lambda r, level: (r["delta"][level]["acc"], r["delta"][level]["auc"]))
    formats = (_signed_percent, _signed_fraction)
    table = _comparison(columns, ("ΔACC", "ΔAUC"), formats, paper.TABLE3.get(block, {}), ours)
    return ["## Robustness (paper Table 3)", note, "", *table]


_SECTIONS = {"intra": _intra, "cross": _cross, "robustness": _robustness}


def render_section(mode, evaluation):
    """Markdown of one evaluation: the paper-style table, then every number with its counts and notes."""
    thresholds = sorted({r["frame"]["threshold"] for r in evaluation["datasets"] if "skipped" not in r})
    about = f"Model `{evaluation['model']}`, trained on {dataset_label(evaluation['train_dataset'])}"
    about += f"; ACC threshold {', '.join(map(str, thresholds))}." if thresholds else "."
    lines = _SECTIONS[mode](evaluation)
    return "\n".join([lines[0], "", about, "", *lines[1:], *_details(evaluation["datasets"])]).rstrip() + "\n"


def render_markdown(results):
    """The whole `results.md`: every evaluation present in `results`, in the paper's order."""
    sections = [render_section(mode, results[mode]) for mode in MODES if mode in results]
    return "\n".join(["# PEL evaluation", "", LEGEND, "", *sections])


def _read_results(path):
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as file:
            results = json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); move it away to start a new one") from error
    if not isinstance(results, dict) or not set(results) <= set(MODES):
        raise ValueError(f"{path} is not a results file: expected an object with keys among {MODES}")
    return results


def write_results(eval_dir, mode, evaluation):
    """Stores `evaluation` under `mode` in `eval_dir/results.json`, rewrites `results.md` from all modes,
    and returns this mode's markdown (for the console)."""
    check_mode(mode)
    os.makedirs(eval_dir, exist_ok=True)
    json_path = os.path.join(eval_dir, "results.json")
    results = _read_results(json_path)
    results[mode] = evaluation
    text = json.dumps(results, indent=2, allow_nan=False)  # a NaN anywhere is a bug: fail before writing
    with open(json_path, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    with open(os.path.join(eval_dir, "results.md"), "w", encoding="utf-8") as file:
        file.write(render_markdown(results))
    return render_section(mode, evaluation)
