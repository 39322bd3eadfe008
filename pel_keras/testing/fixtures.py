"""The fixtures the tests and benchmarks build on: one writer of prepared datasets and one of run folders.

Each test's images and model come from its own recipe (textured stand-ins, crops of the two portraits of
:mod:`pel_keras.testing.data_media`, a model calibrated or trained on them); the files around them are
written here, the way ``prepare.py`` and ``train.py`` write them.
"""

import json
import os
import shutil

import cv2

from pel_keras.data.manifest import COLUMNS, MANIFEST, SETTINGS, csv_text
from pel_keras.files.atomic import atomic_write
from pel_keras.run_folder import BEST, CONFIG


def write_prepared(folder, examples, settings=None):
    """A prepared dataset as ``prepare.py`` writes one: ``crops/<video>/<frame:06d>.png`` and ``manifest.csv``.

    Args:
        folder: the dataset's folder (``DATA_DIR/<tag>``), made if missing.
        examples: ``(row, image)`` pairs in manifest order: ``row`` a dict with ``video``, ``label``, ``split``,
            ``frame`` and ``source``; ``image`` the RGB uint8 crop.
        settings: the crop settings to store in ``prepare.json`` (``frames``, ``size``, ``margin``,
            ``detector``), as ``prepare.py`` does; None: no such file.

    Returns:
        The manifest's path.
    """
    os.makedirs(folder, exist_ok=True)
    if settings is not None:
        atomic_write(os.path.join(folder, SETTINGS), json.dumps(settings))
    rows = []
    for row, image in examples:
        path = f"crops/{row['video']}/{row['frame']:06d}.png"
        os.makedirs(os.path.dirname(os.path.join(folder, path)), exist_ok=True)
        if not cv2.imwrite(os.path.join(folder, path), image[..., ::-1]):
            raise OSError(f"{os.path.join(folder, path)}: could not write the crop")
        rows.append(dict(row, path=path))
    atomic_write(os.path.join(folder, MANIFEST), csv_text(COLUMNS, rows))
    return os.path.join(folder, MANIFEST)


def write_run(workdir, config, model):
    """A run folder as ``train.py`` leaves one: ``config.json`` and ``best.keras``.

    Args:
        workdir: the run folder, made if missing.
        config: the run's settings: a ``TrainConfig`` (written as ``train.py`` writes it) or a dict of the
            fields the reader under test needs.
        model: a Keras model (saved) or the path of a ``.keras`` file (copied).

    Returns:
        ``workdir`` as a string.
    """
    workdir = str(workdir)
    os.makedirs(workdir, exist_ok=True)
    atomic_write(os.path.join(workdir, CONFIG), config.to_json() if hasattr(config, "to_json") else json.dumps(config))
    if isinstance(model, (str, os.PathLike)):
        shutil.copyfile(model, os.path.join(workdir, BEST))
    else:
        model.save(os.path.join(workdir, BEST))
    return workdir
