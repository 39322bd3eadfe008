"""`results.md`: our numbers laid out like the paper's Tables 1-3, published numbers above ours.

Rendered from the whole of `results.json`, `{mode: {model name: evaluation}}` (see `records.py`): one section
per mode, in which every evaluated model (e.g. `best.keras` and its int8 `.tflite` export) has its own rows,
so the cost of export and quantization reads off one table.
"""

from pel_keras.evaluation import paper_tables as paper
from pel_keras.evaluation.records import CLEAN, LEVELS, MODES

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
    """ "+ GaussianBlur (13)" for a perturbation (Table 3's names; the strength when known), "clean" otherwise."""
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


def _dataset_key(record):
    return record["dataset"]


def _condition_key(record):
    return record["dataset"], record.get("condition"), record.get("strength")


def _columns(entries, key, keep=lambda record: True):
    """`{column key: first record}` over every model's records that `keep` accepts, in order of appearance."""
    columns = {}
    for evaluation in entries.values():
        for record in filter(keep, evaluation["datasets"]):
            columns.setdefault(key(record), record)
    return columns


def _ours(entries, columns, key, pick):
    """Our rows, two per model (frame and video level): `pick(record, level)` under each column, or a word
    saying the model's record there was skipped or is absent."""
    rows = {}
    for name, evaluation in entries.items():
        records = {key(r): r for r in evaluation["datasets"]}
        for level in LEVELS:
            cells = [records.get(column) for column in columns]
            rows[f"Ours ({name}), {level} level"] = [
                "not run" if r is None else "skipped" if "skipped" in r else pick(r, level) for r in cells
            ]
    return rows


def _train_dataset(entries):
    return next(iter(entries.values()))["train_dataset"]


def _published_block(entries):
    """The paper's training set whose rows of Tables 2-3 sit beside ours, and a line saying which it is."""
    block = paper.PAPER_TRAINING.get(_train_dataset(entries))
    return block, f"Published rows: models trained on {block or 'none comparable'}."


def _dataset_table(entries, metrics, formats, published):
    """One column per test dataset, the `metrics` (e.g. "acc", "auc") of each under it."""
    columns = _columns(entries, _dataset_key)
    labels = [(dataset_label(tag), paper.PAPER_COLUMNS.get(tag)) for tag in columns]
    ours = _ours(entries, columns, _dataset_key, lambda r, level: tuple(r[level][m] for m in metrics))
    return _comparison(labels, [m.upper() for m in metrics], formats, published, ours)


def _intra(entries):
    table = _dataset_table(entries, ("acc", "auc"), (_percent, _fraction), paper.TABLE1)
    return ["## Intra-dataset (paper Table 1)", *table]


def _cross(entries):
    block, note = _published_block(entries)
    table = _dataset_table(entries, ("auc", "eer"), (_fraction, _fraction), paper.TABLE2.get(block, {}))
    return ["## Cross-dataset (paper Table 2)", note, "", *table]


def _robustness(entries):
    block, note = _published_block(entries)
    columns = _columns(entries, _condition_key, lambda r: "skipped" not in r and r["condition"] != CLEAN)
    labels = [(condition_label(r["condition"], r["strength"]), r["condition"]) for r in columns.values()]
    pick = lambda r, level: (r["delta"][level]["acc"], r["delta"][level]["auc"])  # noqa: E731
    ours = _ours(entries, columns, _condition_key, pick)
    formats = (_signed_percent, _signed_fraction)
    table = _comparison(labels, ("ΔACC", "ΔAUC"), formats, paper.TABLE3.get(block, {}), ours)
    return ["## Robustness (paper Table 3)", note, "", *table]


def _about(entries):
    """Which file each model name stands for, and its ACC threshold."""
    lines = [f"Trained on {dataset_label(_train_dataset(entries))}. Models:"]
    for name, evaluation in entries.items():
        thresholds = sorted({r["frame"]["threshold"] for r in evaluation["datasets"] if "skipped" not in r})
        threshold = f", ACC threshold {', '.join(map(str, thresholds))}" if thresholds else ""
        lines.append(f"- `{name}`: `{evaluation['model']}`{threshold}")
    return lines


def _detail_rows(name, record):
    rows = []
    for level in LEVELS:
        m = record[level]
        numbers = _cells((m["acc"], m["auc"], m["eer"], m["ap"]), (_percent,) + (_fraction,) * 3, "n/a")
        condition = condition_label(record["condition"], record["strength"])
        counts = (m["count"], m["real"], m["fake"])
        notes = "; ".join(m["notes"])
        rows.append([name, dataset_label(record["dataset"]), condition, level, *counts, *numbers, notes])
    return rows


def _details(entries):
    header = ["Model", "Dataset", "Condition", "Level", "N", "Real", "Fake", "ACC", "AUC", "EER", "AP", "Notes"]
    rows, skipped = [], []
    for name, evaluation in entries.items():
        for record in evaluation["datasets"]:
            if "skipped" in record:
                skipped.append(f"- {dataset_label(record['dataset'])} skipped ({name}): {record['skipped']}")
            else:
                rows += _detail_rows(name, record)
    return ["", "N counts frames at frame level and videos at video level.", "", *_table(header, rows), "", *skipped]


_SECTIONS = {"intra": _intra, "cross": _cross, "robustness": _robustness}


def render_section(mode, entries):
    """Markdown of one mode, `entries` being `{model name: evaluation}`: the paper-style table with every
    model's rows, then every number with its counts and notes."""
    lines = _SECTIONS[mode](entries)
    return "\n".join([lines[0], "", *_about(entries), "", *lines[1:], *_details(entries)]).rstrip() + "\n"


def render_markdown(results):
    """The whole `results.md`: every mode present in `results` (`{mode: {model name: evaluation}}`), in the
    paper's order."""
    sections = [render_section(mode, results[mode]) for mode in MODES if mode in results]
    return "\n".join(["# PEL evaluation", "", LEGEND, "", *sections])
