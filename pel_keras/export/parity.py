"""Parity of exported files with the Keras model: the largest difference of the fake probability on the
same images, fed at batch size 1 and at batch size 4, through each runtime's
:func:`~pel_keras.inference.predictors.load_predictor`.

fp32 TFLite, SavedModel and ONNX must stay within :data:`TOLERANCE` of Keras; quantized files (fp16, int8)
must meet a :class:`~pel_keras.export.quantized.QuantizedCriterion` (ranking, AUC and verdicts kept); other
rows (the model as trained, beside its float32 rebuild) are measured only. Every row reports the
difference and, where the images carry both labels, the AUC beside the Keras model's.
"""

import numpy as np

from pel_keras.export.quantized import QuantizedCriterion, judge
from pel_keras.inference.predictors import Predictor
from pel_keras.metrics import roc_auc

TOLERANCE = 1e-4
BATCH_SIZES = (1, 4)


def keras_predictor(model, name):
    """A :class:`Predictor` around an in-memory Keras model."""
    return Predictor(name, model.predict_on_batch, tuple(model.input_shape[1:]))


def predict(predictor, images, batch_size):
    """Probabilities ``(N,)`` of ``images``, fed ``batch_size`` at a time (the last batch may be smaller)."""
    return np.concatenate([predictor(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def compare(reference, predictor, images, labels=None, tolerance=None, criterion=None):
    """One row of the parity table: ``predictor`` against the ``reference`` probabilities of ``images``.

    Args:
        reference: ``(N,)`` probabilities of the Keras model.
        predictor: the exported file's :class:`Predictor`.
        images: ``(N, H, W, 3)`` float32 RGB 0..255.
        labels: ``(N,)`` labels (1 fake, 0 real, -1 unknown) or None; where the known ones hold both classes,
            the AUC over them is reported.
        tolerance: the largest difference allowed, or None.
        criterion: the :class:`~pel_keras.export.quantized.QuantizedCriterion` a quantized file must meet, or
            None. Without either the file is only measured.

    Returns:
        A dict with ``max_abs_diff`` per batch size, ``mean_abs_diff``, ``tolerance``, ``within_tolerance``,
        ``auc`` (None without both labels), ``quantized`` (the criterion's figures, or None) and ``passed``
        (None for a file only measured).
    """
    outputs = {batch: predict(predictor, images, batch) for batch in BATCH_SIZES}
    differences = {f"batch_{batch}": float(np.max(np.abs(out - reference))) for batch, out in outputs.items()}
    largest, probabilities = max(differences.values()), outputs[BATCH_SIZES[-1]]
    auc = _auc(labels, probabilities)
    within = None if tolerance is None else largest <= tolerance
    quantized = (
        None if criterion is None else judge(reference, probabilities, (_auc(labels, reference), auc), criterion)
    )
    return {
        "max_abs_diff": differences,
        "mean_abs_diff": float(np.mean(np.abs(probabilities - reference))),
        "tolerance": tolerance,
        "within_tolerance": within,
        "auc": auc,
        "quantized": quantized,
        "passed": within if quantized is None else quantized["passed"] and within is not False,
    }


def _auc(labels, probabilities):
    if labels is None:
        return None
    known = np.asarray(labels) >= 0
    if len(set(np.asarray(labels)[known].tolist())) != 2:
        return None
    return roc_auc(np.asarray(labels)[known], probabilities[known])


def measure_parity(reference, predictors, images, labels=None, strict=(), quantized=(), criterion=None):
    """The parity table of several exported files.

    Args:
        reference: the Keras model's :class:`Predictor`.
        predictors: ``{name: Predictor}`` of the exported files (and of other Keras models to compare).
        images, labels: as for :func:`compare`.
        strict: the names held to :data:`TOLERANCE`.
        quantized: the names held to ``criterion``.
        criterion: a :class:`~pel_keras.export.quantized.QuantizedCriterion`; None: the default one.

    Returns:
        ``{"images": N, "reference_auc": ..., "files": {name: row}}``.
    """
    expected = predict(reference, images, BATCH_SIZES[-1])
    criterion = criterion or QuantizedCriterion()
    rows = {
        name: compare(
            expected,
            predictor,
            images,
            labels,
            TOLERANCE if name in strict else None,
            criterion if name in quantized else None,
        )
        for name, predictor in predictors.items()
    }
    return {"images": len(images), "reference_auc": _auc(labels, expected), "files": rows}
