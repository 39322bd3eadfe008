"""A training run folder (``train.py --workdir=RUN``) by name, and the one reader of its ``config.json``.

```
RUN/config.json        the run's settings (TrainConfig), written before the first step
RUN/flags.txt          the same as a flagfile;  RUN/environment.json  versions and devices
RUN/manifest.csv       the train and val rows the run reads (--frames per video)
RUN/checkpoints/       the latest checkpoints (model, optimizer, step, epoch)
RUN/best.keras         the model of the best validation epoch, with RUN/best.json (its epoch and metrics)
RUN/last.keras         the model of the last finished epoch;  RUN/metrics.jsonl  one record per epoch
RUN/logs/              TensorBoard;  RUN/eval/  evaluate.py's reports;  RUN/export/  export.py's files
```

Training, evaluation, export, the demo and the app all name these files through this module. The
prepared data a run trained on is ``DATA_DIR/<train_dataset>/`` (see :mod:`pel_keras.data.manifest`).
"""

import json
import os

CONFIG, FLAGS, ENVIRONMENT = "config.json", "flags.txt", "environment.json"
BEST, BEST_INFO, LAST = "best.keras", "best.json", "last.keras"
METRICS, RUN_MANIFEST, LOGS, CHECKPOINTS = "metrics.jsonl", "manifest.csv", "logs", "checkpoints"
EVAL, EXPORT, RESULTS = "eval", "export", "results.json"


def read_config(workdir):
    """The settings in ``workdir/config.json``, as a dict.

    Raises:
        FileNotFoundError: no such folder, or no ``config.json`` in it (named, with the ``--workdir`` flag).
        ValueError: not JSON, or not a JSON object (the file named).
    """
    if not os.path.isdir(workdir):
        raise FileNotFoundError(f"--workdir: no folder {workdir!r}")
    path = os.path.join(workdir, CONFIG)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--workdir: {path} not found; --workdir must be a run folder written by train.py")
    try:
        with open(path, encoding="utf-8") as file:
            values = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error})") from error
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a JSON {type(values).__name__}, not the settings of a run")
    return values


def prepared_dataset(config):
    """``DATA_DIR/<train_dataset>``: the prepared folder of a run's settings, or None where they name none."""
    if not config.get("data_dir") or not config.get("train_dataset"):
        return None
    return os.path.join(config["data_dir"], config["train_dataset"])


def find_run(model_path):
    """The run folder a model file belongs to (its folder or the one above, holding ``config.json``), or None."""
    here = os.path.dirname(os.path.abspath(os.path.normpath(model_path)))
    for folder in (here, os.path.dirname(here)):
        if os.path.isfile(os.path.join(folder, CONFIG)):
            return folder
    return None
