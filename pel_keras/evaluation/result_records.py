"""The JSON form of an evaluation: what `results.json` holds and `results.md` is rendered from.

`results.json` is `{mode: {model name: evaluation}}`. An evaluation is one model evaluated in one mode of
the issue's `evaluate.py`: "intra" (Table 1), "cross" (Table 2) or "robustness" (Table 3). It holds one
record per evaluated dataset (and, for robustness, per condition), or a record saying why a dataset was
skipped. Robustness records carry their change against the clean run of the same dataset, the paper's
delta-ACC and delta-AUC.
"""

from pel_keras.evaluation.scores import level_metrics

MODES = ("intra", "cross", "robustness")
CLEAN = "clean"
LEVELS = ("frame", "video")


def check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"unknown evaluation mode {mode!r}; expected one of {MODES}")


def dataset_record(dataset, scores, threshold=0.5, condition=CLEAN, strength=None, instead_of=None):
    """Frame- and video-level metrics of one dataset under one condition (a perturbation name or "clean");
    `instead_of` names the dataset asked for when `dataset` stands in for it (another compression of it)."""
    metrics = level_metrics(scores, threshold)
    return {
        "dataset": dataset,
        **({"instead_of": instead_of} if instead_of else {}),
        "condition": condition,
        "strength": strength,
        "frames": metrics["frame"].count,
        "videos": metrics["video"].count,
        **{level: metrics[level].to_dict() for level in LEVELS},
    }


def skipped_record(dataset, reason):
    """A dataset that was not evaluated, e.g. "not prepared: /data/dfdc/manifest.csv not found"."""
    return {"dataset": dataset, "skipped": reason}


def _difference(after, before):
    return None if after is None or before is None else after - before


def _with_delta(record, clean):
    delta = {
        level: {name: _difference(record[level][name], clean[level][name]) for name in ("acc", "auc")}
        for level in LEVELS
    }
    return dict(record, delta=delta)


def _with_deltas(records):
    clean = {r["dataset"]: r for r in records if r.get("condition") == CLEAN}
    out = []
    for record in records:
        if "skipped" not in record and record["condition"] != CLEAN:
            if record["dataset"] not in clean:
                raise ValueError(f"robustness on {record['dataset']!r} needs its clean run among the records")
            record = _with_delta(record, clean[record["dataset"]])
        out.append(record)
    return out


def evaluation_record(mode, model, train_dataset, records, files=".", protocol=None):
    """One evaluation: the model evaluated, the dataset it was trained on, the folder of its score CSVs and
    ROC figure (relative to `results.json`'s), its protocol card (`pel_keras.protocol`; None: not known)
    and its records."""
    check_mode(mode)
    if mode == "robustness":
        records = _with_deltas(records)
    return {
        "model": str(model),
        "train_dataset": train_dataset,
        "files": files,
        "protocol": protocol,
        "datasets": list(records),
    }
