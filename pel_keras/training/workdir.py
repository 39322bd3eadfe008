"""The run folder's files besides checkpoints: settings, models, per-epoch metrics, and its lock.

Files are replaced through a temporary name and a rename, so a run killed at any moment leaves either the
old or the new version of each, never half a file. One run at a time writes a folder (:func:`lock`).
"""

import contextlib
import dataclasses
import glob
import json
import os

from pel_keras.data.crop_check import CACHE
from pel_keras.files.atomic import TEMPORARY_SUFFIX, atomic_output, atomic_write, remove_path
from pel_keras.files.locks import LOCK_FILE, folder_lock
from pel_keras.run_folder import BEST, BEST_INFO, CONFIG, ENVIRONMENT, FLAGS, METRICS
from pel_keras.training.train_config import RESUMABLE_CHANGES, TrainConfig


@contextlib.contextmanager
def lock(workdir, chief, task):
    """Holds the run folder for this process (a ``with`` block), refusing a second run of it at once.

    The chief holds ``RUN/.pel-lock``, every other worker of a cluster ``RUN/.pel-lock-<task>``, so the
    processes of one run do not refuse each other, while any process of a second run meets its twin. Once
    it holds the folder, the chief removes the temporary files a killed run left in it.

    Raises:
        FolderLockedError: another live process holds it; the message names that process.
    """
    with folder_lock(workdir, LOCK_FILE if chief else f"{LOCK_FILE}-{task}"):
        if chief:
            for path in glob.glob(os.path.join(glob.escape(workdir), f".*{TEMPORARY_SUFFIX}*")):
                remove_path(path)
        yield


def crop_cache(workdir, chief, task):
    """The cache of the crops this process found whole (each process of a cluster checks its own reads)."""
    return os.path.join(workdir, CACHE if chief else CACHE.replace(".json", f"-{task}.json"))


def damaged(path, reason):
    """The ValueError for a run file that cannot be read back: its path, why, and what to do."""
    return ValueError(
        f"--workdir: cannot resume from {path}: {reason}. The file is damaged: restore it from a "
        "copy, or train in a new --workdir."
    )


def check_resumable(config):
    """Raises a ValueError naming the flags that differ from the run already in ``--workdir``, if any, or
    the run file (``config.json``, ``metrics.jsonl``, ``best.json``) that cannot be read back.

    Only :data:`RESUMABLE_CHANGES` (and ``workdir`` itself) may change between a run and its resumption.
    """
    read_metrics(config.workdir)
    read_best(config.workdir)
    path = os.path.join(config.workdir, CONFIG)
    if not os.path.isfile(path):
        return
    try:
        with open(path) as f:
            previous = TrainConfig.from_json(f.read())
    except (ValueError, TypeError) as error:  # not JSON, not an object, or not TrainConfig's fields
        raise damaged(path, f"not the settings of a run ({error})") from error
    allowed = set(RESUMABLE_CHANGES) | {"workdir"}
    changed = [
        f"--{field.name}={getattr(config, field.name)!r} (the run has {getattr(previous, field.name)!r})"
        for field in dataclasses.fields(TrainConfig)
        if field.name not in allowed and getattr(config, field.name) != getattr(previous, field.name)
    ]
    if changed:
        raise ValueError(
            f"--workdir: {config.workdir} holds a run with other settings, so it cannot be "
            f"resumed with {', '.join(changed)}. Use the run's flags ({FLAGS}) or a new --workdir."
        )


def write_settings(config, environment):
    """Writes ``config.json``, ``flags.txt`` (a flagfile reproducing the run) and ``environment.json``."""
    atomic_write(os.path.join(config.workdir, CONFIG), config.to_json())
    atomic_write(os.path.join(config.workdir, FLAGS), config.to_flags())
    atomic_write(os.path.join(config.workdir, ENVIRONMENT), json.dumps(environment, indent=2) + "\n")


def save_model(model, path):
    """``model.save(path)`` through :func:`~pel_keras.files.atomic.atomic_output`.

    Raises:
        DiskFullError: the disk is full; ``path`` is as it was and no temporary file is left.
    """
    with atomic_output(path) as temporary:
        model.save(temporary)


def read_metrics(workdir):
    """The records of ``metrics.jsonl``, one per finished epoch, oldest first."""
    path = os.path.join(workdir, METRICS)
    if not os.path.isfile(path):
        return []
    with open(path, "rb") as f:
        return [_json_object(path, line, number) for number, line in enumerate(f, 1) if line.strip()]


def write_metrics(workdir, records):
    """Replaces ``metrics.jsonl`` by ``records``."""
    atomic_write(os.path.join(workdir, METRICS), "".join(json.dumps(r, sort_keys=True) + "\n" for r in records))


def read_best(workdir):
    """``best.json``: the epoch, step and validation metrics of ``best.keras``; None before the first."""
    path = os.path.join(workdir, BEST_INFO)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return _json_object(path, f.read())


def _json_object(path, data, line=None):
    """The JSON object in ``data`` (bytes of ``path``, or of its line ``line``); a ValueError naming them."""
    where = f"{path}, line {line}" if line else path
    try:
        value = json.loads(data)
    except ValueError as error:  # UnicodeDecodeError included
        raise damaged(where, f"not JSON ({error})") from None
    if not isinstance(value, dict):
        raise damaged(where, f"a JSON {type(value).__name__}, not an object")
    return value


def write_best(workdir, model, record):
    """Saves ``model`` as ``best.keras`` and ``record`` as ``best.json``; when either cannot be written
    (a full disk), neither changes: the model is renamed into place only after ``best.json`` is."""
    with atomic_output(os.path.join(workdir, BEST)) as temporary:
        model.save(temporary)
        atomic_write(os.path.join(workdir, BEST_INFO), json.dumps(record, indent=2, sort_keys=True) + "\n")
