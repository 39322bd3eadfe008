"""A run's ``RUN/eval/results.json`` as markdown: one table row per scored set and one protocol line per
evaluation, for every page that describes a model (the app's model panel, a preset's model card).

Files are read as plain JSON; a missing or unreadable one is reported as why, never raised.
"""

import json

from pel_keras.protocol import card_summary

TABLE_HEAD = (
    "| mode | model | test set | condition | frames / videos | frame AUC | video AUC |\n|---|---|---|---|---|---|---|"
)


def read_json(path):
    """``(content, None)`` or ``(None, why not)``."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file), None
    except FileNotFoundError:
        return None, f"no {path}"
    except (OSError, ValueError) as error:
        return None, f"{path} is unreadable ({error})"


def _auc(record, level):
    value = (record.get(level) or {}).get("auc")
    return "n/a" if value is None else f"{value:.3f}"


def evaluation_rows(results):
    """The rows under :data:`TABLE_HEAD`: one per dataset record of every evaluation in ``results``."""
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


def protocol_rows(results):
    """One bullet per evaluation: its protocol card's line, or that it was not recorded."""
    rows = []
    for mode, entries in results.items():
        for name, entry in entries.items():
            card = entry.get("protocol")
            rows.append(f"- {mode}, `{name}`: " + ("not recorded" if not card else card_summary(card)))
    return rows
