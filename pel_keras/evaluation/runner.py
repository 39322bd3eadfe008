"""Scores a dataset batch by batch with any predictor, behind a progress bar.

The batches are what the data pipeline yields for evaluation: ``(images, labels, video_ids, paths)``, as
numpy arrays or TensorFlow tensors; labels ``(B,)`` or ``(B, 1)`` with 1 = fake; ids and paths as str or bytes.
Nothing here is random and the order of the batches is kept, so the same data and model give the same scores.
"""

import numpy as np
from tqdm import tqdm

from pel_keras.evaluation.scores import FrameScores


def _strings(values):
    values = np.asarray(values).reshape(-1)
    return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=str)


def _length(batches):
    try:
        return len(batches)
    except TypeError:  # generators, and tf.data datasets of unknown or infinite cardinality
        return None


def _batch_columns(predictor, batch, index):
    """(paths, video ids, labels, probabilities) of one batch, all of the same length."""
    if len(batch) != 4:
        raise ValueError(f"batch {index}: expected (images, labels, video_ids, paths); got {len(batch)} items")
    images, labels, videos, paths = batch
    images = np.asarray(images, dtype=np.float32)
    columns = (
        _strings(paths),
        _strings(videos),
        np.asarray(labels, dtype=np.float32).reshape(-1),
        np.asarray(predictor(images), dtype=np.float32).reshape(-1),
    )
    if {len(column) for column in columns} != {len(images)}:
        counts = ", ".join(f"{len(c)} {name}" for c, name in zip(columns, ("paths", "video ids", "labels", "scores")))
        raise ValueError(f"batch {index}: {len(images)} images but {counts}")
    return columns


def score_batches(predictor, batches, description=None, progress=True):
    """Runs ``predictor`` on every batch and collects the per-frame scores.

    Args:
        predictor: callable ``images (B, H, W, 3) float32 RGB 0..255 -> fake probabilities (B,)``, e.g. a
            :class:`pel_keras.inference.predictors.Predictor`.
        batches: iterable of ``(images, labels, video_ids, paths)``.
        description: label of the progress bar (e.g. the dataset tag).
        progress: show a tqdm progress bar (on stderr).

    Returns:
        A ``FrameScores`` in the order of the batches (empty if there were no batches).
    """
    bar = tqdm(batches, total=_length(batches), desc=description, unit="batch", disable=not progress)
    columns = [_batch_columns(predictor, batch, index) for index, batch in enumerate(bar)]
    empty = (np.array([], str), np.array([], str), np.array([], np.float32), np.array([], np.float32))
    paths, videos, labels, probabilities = (np.concatenate(column) for column in zip(empty, *columns))
    return FrameScores(paths=paths, videos=videos, labels=labels, probabilities=probabilities)
