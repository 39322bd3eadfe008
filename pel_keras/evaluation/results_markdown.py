"""`results.md`: our numbers laid out like the paper's Tables 1-3, published numbers above ours.

Rendered from the whole of `results.json`, `{mode: {model name: evaluation}}` (see `result_records.py`): one section
per mode, in which every evaluated model (e.g. `best.keras` and its int8 `.tflite` export) has its own rows,
so the cost of export and quantization reads off one table.
"""

import json

from pel_keras.evaluation import paper_tables as paper
from pel_keras.evaluation.published import published
from pel_keras.evaluation.result_records import CLEAN, LEVELS, MODES
from pel_keras.protocol import card_lines, shared_card

LEGEND = (
    "ACC at the threshold given (fake when p > threshold), AUC, EER and AP as fractions. Frame level scores every "
    "face crop; video level scores a video by the mean of its frames' probabilities. Each section states the "
    "protocol of our rows (Protocol) and, under its table, the source and protocol of every published row. "
    '"-": not published; "n/a": undefined for our data (see Notes).'
)


NO_CARD = ["- not recorded: evaluated by a version without protocol cards; evaluate again to record it"]


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
    """Rows of published methods (those with a number in these columns), then our rows, then the source and
    protocol of each published row shown.

    Args:
        columns: `(label, paper column)` pairs; names/formats: the metrics shown under each column.
        published: `(rows, sources)` of `published.published`; ours: `{row label: [values or a word, per column]}`.
    """
    header = ["Method", *(f"{label} {name}" for label, _ in columns for name in names)]
    rows, (numbers_of, sources) = [], published
    for method, numbers in numbers_of.items():
        values = [numbers.get(key) for _, key in columns]
        if any(value is not None for value in values):
            rows.append([method, *(cell for value in values for cell in _cells(value, formats, "-"))])
    shown = [row[0] for row in rows]
    for label, values in ours.items():
        rows.append([label, *(cell for value in values for cell in _cells(value, formats, "n/a"))])
    notes = {}
    for method in shown:
        notes.setdefault(sources[method], []).append(method)
    lines = [f"- {', '.join(methods)}: {source}." for source, methods in notes.items()]
    return _table(header, rows) + (["", "Published rows:", *lines] if lines else [])


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


def _dataset_table(entries, mode, metrics, formats):
    """One column per test dataset, the `metrics` (e.g. "acc", "auc") of each under it."""
    columns = _columns(entries, _dataset_key)
    labels = [(dataset_label(tag), paper.PAPER_COLUMNS.get(tag)) for tag in columns]
    ours = _ours(entries, columns, _dataset_key, lambda r, level: tuple(r[level][m] for m in metrics))
    rows = published(mode, _train_dataset(entries))
    return _comparison(labels, [m.upper() for m in metrics], formats, rows, ours)


def _intra(entries):
    table = _dataset_table(entries, "intra", ("acc", "auc"), (_percent, _fraction))
    return ["## Intra-dataset (paper Table 1)", *table]


def _cross(entries):
    table = _dataset_table(entries, "cross", ("auc", "eer"), (_fraction, _fraction))
    return ["## Cross-dataset (paper Table 2)", *table]


def _robustness(entries):
    columns = _columns(entries, _condition_key, lambda r: "skipped" not in r and r["condition"] != CLEAN)
    labels = [(condition_label(r["condition"], r["strength"]), r["condition"]) for r in columns.values()]
    pick = lambda r, level: (r["delta"][level]["acc"], r["delta"][level]["auc"])  # noqa: E731
    ours = _ours(entries, columns, _condition_key, pick)
    formats = (_signed_percent, _signed_fraction)
    table = _comparison(labels, ("ΔACC", "ΔAUC"), formats, published("robustness", _train_dataset(entries)), ours)
    return ["## Robustness (paper Table 3)", *table]


def _about(entries):
    """Which file each model name stands for, its ACC threshold, and the protocol of each model's rows (one
    card for the models that share it, e.g. `best.keras` and its exports)."""
    lines = [f"Trained on {dataset_label(_train_dataset(entries))}. Models:"]
    cards = {}
    for name, evaluation in entries.items():
        thresholds = sorted({r["frame"]["threshold"] for r in evaluation["datasets"] if "skipped" not in r})
        threshold = f", ACC threshold {', '.join(map(str, thresholds))}" if thresholds else ""
        lines.append(f"- `{name}`: `{evaluation['model']}`{threshold}")
        card = evaluation.get("protocol")
        key = json.dumps(card and shared_card(card), sort_keys=True)
        cards.setdefault(key, (card, []))[1].append(f"`{name}`")
    for card, names in cards.values():
        lines += ["", f"Protocol ({', '.join(names)}):"]
        lines += NO_CARD if card is None else card_lines(card)
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
                continue
            rows += _detail_rows(name, record)
            if record.get("instead_of") and record["condition"] == CLEAN:
                skipped.append(
                    f"- {dataset_label(record['dataset'])} scored for {dataset_label(record['instead_of'])} "
                    f"({name}): `{record['instead_of']}` is not prepared, `{record['dataset']}` is"
                )
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
