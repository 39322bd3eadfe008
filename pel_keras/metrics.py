"""Detection metrics of the paper's Sec. 4.1: ACC, AUC and EER (Tables 1-3), plus average precision.

Labels are 1 = fake, 0 = real; scores are fake probabilities (any real-valued score ranks the same way).
Every ranking metric is computed from one ROC built here in numpy, so AUC, EER and the plotted curves agree;
the tests check them against scikit-learn.

Degenerate inputs are never turned into NaN. The strict functions (``roc_curve``, ``roc_auc``,
``equal_error_rate``, ``average_precision``) raise ``DegenerateInputError`` when a class is missing;
``summarize`` catches that and returns a ``Metrics`` whose undefined fields are None with a note saying why.
Non-finite scores or labels other than 0/1 are bugs upstream and raise ``ValueError`` everywhere.
"""

import dataclasses

import numpy as np


class DegenerateInputError(ValueError):
    """The metric is undefined for these inputs (no samples, or only one class)."""


@dataclasses.dataclass(frozen=True)
class Metrics:
    """Metrics of one set of samples (frames or videos); a field is None where it is undefined.

    Attributes:
        count: number of samples (frames at frame level, videos at video level).
        real, fake: samples per class.
        acc: accuracy at ``threshold`` (fake iff score > threshold, as ``keras.metrics.BinaryAccuracy``).
        auc, eer, ap: area under the ROC, equal error rate, average precision.
        threshold: the decision threshold used for ``acc``.
        notes: why a field is None, or a warning (e.g. all scores equal).
    """

    count: int
    real: int
    fake: int
    acc: float | None
    auc: float | None
    eer: float | None
    ap: float | None
    threshold: float
    notes: tuple[str, ...] = ()

    def to_dict(self):
        """A JSON-ready dict (None stays None, i.e. null)."""
        return dict(dataclasses.asdict(self), notes=list(self.notes))


def _validated(labels, scores):
    """Flat float arrays; raises ValueError for mismatched lengths, labels not in {0, 1}, non-finite scores."""
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if labels.shape != scores.shape:
        raise ValueError(f"got {labels.size} labels but {scores.size} scores")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError(f"labels must be 0 (real) or 1 (fake); got values {np.unique(labels)[:10]}")
    bad = np.count_nonzero(~np.isfinite(scores))
    if bad:
        raise ValueError(f"{bad} of {scores.size} scores are not finite (NaN or inf)")
    return labels, scores


def _require_both_classes(labels):
    fake = int(labels.sum())
    if fake == 0 or fake == labels.size:
        raise DegenerateInputError(
            f"ROC-based metrics need both classes; got {labels.size - fake} real and {fake} fake samples"
        )


def _cumulative_counts(labels, scores):
    """False and true positives when calling fake every score >= each distinct score, descending."""
    labels, scores = _validated(labels, scores)
    _require_both_classes(labels)
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    true_pos = np.cumsum(labels)[last_of_tie]
    return last_of_tie + 1 - true_pos, true_pos, scores[last_of_tie]


def roc_curve(labels, scores):
    """The ROC: false and true positive rates at every distinct score, as thresholds descend.

    Returns ``(fpr, tpr, thresholds)``, starting at (0, 0) with threshold +inf and ending at (1, 1); a sample
    is called fake when its score is >= the threshold. Ties share one point, so a run of tied scores is one
    diagonal segment (the convention of ``sklearn.metrics.roc_curve(drop_intermediate=False)``).
    """
    false_pos, true_pos, thresholds = _cumulative_counts(labels, scores)
    return np.r_[0.0, false_pos / false_pos[-1]], np.r_[0.0, true_pos / true_pos[-1]], np.r_[np.inf, thresholds]


def roc_auc(labels, scores):
    """Area under the ROC (trapezoidal rule; equals the Mann-Whitney U statistic with ties counted 1/2)."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.trapezoid(tpr, fpr))


def equal_error_rate(labels, scores):
    """EER: the error rate where the ROC crosses FPR = FNR (FNR = 1 - TPR), interpolated linearly.

    Along the ROC, d = FPR - FNR rises strictly from -1 at (0, 0) to +1 at (1, 1) (every point adds at least
    one sample), so it reaches zero once: in the segment from the last point with d < 0 to the first with
    d >= 0, FPR and FNR are both linear, and the EER is their common value where d = 0.
    """
    fpr, tpr, _ = roc_curve(labels, scores)
    gap = fpr - (1.0 - tpr)
    j = int(np.searchsorted(gap, 0.0))  # first point with d >= 0; j >= 1 because d[0] = -1
    t = -gap[j - 1] / (gap[j] - gap[j - 1])
    return float(fpr[j - 1] + t * (fpr[j] - fpr[j - 1]))


def average_precision(labels, scores):
    """AP = sum over distinct thresholds of (R_n - R_{n-1}) * P_n, without interpolation (as scikit-learn)."""
    false_pos, true_pos, _ = _cumulative_counts(labels, scores)
    recall = true_pos / true_pos[-1]
    precision = true_pos / (true_pos + false_pos)
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def balanced_threshold(labels, scores):
    """The threshold at which "fake iff score > threshold" has the highest balanced accuracy, and that accuracy.

    Balanced accuracy is the mean of the true positive and true negative rates, ``(TPR + 1 - FPR) / 2``: it
    is highest at the ROC point farthest above the diagonal (Youden's J = TPR - FPR), whatever the classes'
    proportions. The threshold lies halfway between that point's score and the next lower distinct score, so
    the scores it was chosen on fall clearly on one side; below the lowest score when everything should be
    called fake, at the highest when nothing should.

    Returns:
        ``(threshold, balanced accuracy)`` as floats.

    Raises:
        DegenerateInputError: one class only.
    """
    fpr, tpr, thresholds = roc_curve(labels, scores)
    best = int(np.argmax(tpr - fpr))
    if best == 0:
        threshold = thresholds[1]
    elif best == thresholds.size - 1:
        threshold = np.nextafter(thresholds[best], -np.inf)
    else:
        threshold = (thresholds[best] + thresholds[best + 1]) / 2
    return float(threshold), float((tpr[best] + 1.0 - fpr[best]) / 2)


def accuracy(labels, scores, threshold=0.5):
    """Fraction of samples whose decision (fake iff score > threshold) equals the label."""
    labels, scores = _validated(labels, scores)
    if labels.size == 0:
        raise DegenerateInputError("accuracy of an empty set is undefined")
    return float(np.mean((scores > threshold) == (labels == 1.0)))


def summarize(labels, scores, threshold=0.5):
    """All metrics of one set of samples; undefined ones are None and explained in ``notes``.

    Args:
        labels: ``(N,)`` or ``(N, 1)``, 1 = fake, 0 = real.
        scores: ``(N,)`` or ``(N, 1)`` fake probabilities.
        threshold: decision threshold for ACC (the paper's ACC uses 0.5).

    Returns:
        A ``Metrics``.

    Raises:
        ValueError: mismatched lengths, labels other than 0/1, non-finite scores, threshold outside [0, 1].
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1]; got {threshold}")
    labels, scores = _validated(labels, scores)
    fake = int(labels.sum())
    counts = dict(count=labels.size, real=labels.size - fake, fake=fake, threshold=float(threshold))
    if labels.size == 0:
        return Metrics(acc=None, auc=None, eer=None, ap=None, notes=("no samples",), **counts)
    acc = accuracy(labels, scores, threshold)
    try:
        ranking = dict(
            auc=roc_auc(labels, scores), eer=equal_error_rate(labels, scores), ap=average_precision(labels, scores)
        )
    except DegenerateInputError as error:
        return Metrics(acc=acc, auc=None, eer=None, ap=None, notes=(str(error),), **counts)
    notes = ()
    if np.ptp(scores) == 0.0:
        notes = (f"all {scores.size} scores equal {scores[0]:.6g}: no ranking, so AUC = EER = 0.5 by construction",)
    return Metrics(acc=acc, notes=notes, **ranking, **counts)


@dataclasses.dataclass(frozen=True)
class VideoScores:
    """One row per video, sorted by video id: its label, mean fake probability and number of frames."""

    videos: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray
    frames: np.ndarray


def video_level(videos, labels, probabilities):
    """The paper's video-level scores: each video's score is the mean fake probability of its frames.

    Args:
        videos: ``(N,)`` video id of each frame.
        labels: ``(N,)`` label of each frame (a video's frames share it).
        probabilities: ``(N,)`` fake probability of each frame.

    Returns:
        A ``VideoScores``.

    Raises:
        ValueError: a video has frames of both labels.
    """
    labels, probabilities = np.asarray(labels, np.float32), np.asarray(probabilities, np.float64)
    videos, first, inverse, frames = np.unique(
        np.asarray(videos), return_index=True, return_inverse=True, return_counts=True
    )
    fake_frames = np.bincount(inverse, weights=labels, minlength=len(videos))
    mixed = videos[(fake_frames != 0) & (fake_frames != frames)]
    if mixed.size:
        raise ValueError(f"{mixed.size} videos have frames of both labels, e.g. {mixed[:3].tolist()}")
    scores = np.bincount(inverse, weights=probabilities, minlength=len(videos)) / frames
    return VideoScores(videos, labels[first], scores, frames)


def mean_probability(probabilities):
    """One input's score from its frames' fake probabilities: their mean (the video-level score of
    ``video_level`` for a single video); None when no frame has one."""
    probabilities = list(probabilities)
    return float(np.mean(probabilities)) if probabilities else None
