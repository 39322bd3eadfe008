"""The app's downloads: the JSON ``predict.py --json`` writes, and a CSV of the score of every face per frame.

The JSON is :func:`pel_keras.prediction.results.json_document` of the results decided at the page's
threshold, with the settings ``predict.py`` records (:func:`pel_keras.prediction.predict.json_settings`), so
the file is byte for byte what ``predict.py FILES --threshold=T --json=...`` writes for the same files.
"""

import dataclasses
import os

from pel_keras.data.manifest import csv_text
from pel_keras.files.atomic import atomic_write
from pel_keras.prediction.results import json_document, write_json

CSV_COLUMNS = ("input", "frame", "face", "probability", "x0", "y0", "x1", "y1", "detector_score")


def decided(results, threshold):
    """``results`` (:class:`~pel_keras.prediction.results.InputResult`) with their verdicts at ``threshold``."""
    return [dataclasses.replace(result, threshold=threshold) for result in results]


def document(results, settings, threshold):
    """The ``predict.py --json`` document of ``results`` at ``threshold`` (``settings`` as it records them)."""
    return json_document(decided(results, threshold), {**settings, "threshold": threshold})


def csv_rows(results):
    """One row per face per sampled frame (``face`` 0 is the largest, the one the video score averages), and
    one row with an empty face for a frame without any; inputs that could not be read have no rows."""
    rows = []
    for result in results:
        for frame in result.frames:
            base = {"input": result.input, "frame": frame.frame}
            rows += [
                {
                    **base,
                    "face": rank,
                    "probability": face.probability,
                    "detector_score": face.detector_score,
                    **dict(zip(("x0", "y0", "x1", "y1"), face.box)),
                }
                for rank, face in enumerate(frame.faces)
            ]
            rows += [] if frame.faces else [base]
    return rows


def write_downloads(folder, results, settings, threshold):
    """Writes ``folder/scores.json`` (:func:`document`) and ``folder/scores.csv`` (:func:`csv_rows`);
    returns both paths."""
    json_path, csv_path = os.path.join(folder, "scores.json"), os.path.join(folder, "scores.csv")
    write_json(json_path, decided(results, threshold), {**settings, "threshold": threshold})
    atomic_write(csv_path, csv_text(CSV_COLUMNS, csv_rows(results)))
    return json_path, csv_path
