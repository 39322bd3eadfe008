"""When a quantized file (fp16, int8 TFLite) may stand in for the Keras model: the pass/fail criterion.

A quantized file is not expected to give Keras's probabilities to 1e-4 (int8 rounds every activation to 8
bits), but it must make the same decisions and keep the same order of faces. On the parity images (the
sample portraits and the manifest's val or test crops; int8 is calibrated on train crops, so all are held
out from calibration) it must keep:

- the **ranking**: Spearman's rank correlation of its probabilities with Keras's at least
  ``min_rank_correlation`` (what AUC and any threshold a user picks depend on);
- the **AUC**, on the labelled crops, at most ``max_auc_drop`` below Keras's;
- the **verdicts**: at most ``max_flip_rate`` of the images called fake by one and real by the other at
  the contract's threshold.

Limits: the figures are as good as the parity images. With N images one flip is 1/N of them (the default
40 images let 2 flip), the rank correlation of a few images moves by a few hundredths for one swapped pair,
and the AUC needs labelled crops of both classes (without them it is not judged). Images near the threshold
count like any other. A file whose probabilities are all equal while Keras's differ has lost the ranking
(rank correlation 0).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class QuantizedCriterion:
    """What a quantized file must keep of the Keras model on the parity images (see the module docstring).

    Attributes:
        min_rank_correlation: Spearman's rank correlation with Keras's probabilities, at least.
        max_auc_drop: Keras's AUC minus the file's on the labelled crops, at most.
        max_flip_rate: the share of images whose verdict differs from Keras's, at most.
        threshold: a probability above it is a "fake" verdict (the app contract's 0.5).
    """

    min_rank_correlation: float = 0.95
    max_auc_drop: float = 0.02
    max_flip_rate: float = 0.05
    threshold: float = 0.5

    def __post_init__(self):
        for name, low in (
            ("min_rank_correlation", -1.0),
            ("max_auc_drop", 0.0),
            ("max_flip_rate", 0.0),
            ("threshold", 0.0),
        ):
            if not low <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [{low:g}, 1], got {getattr(self, name)}")


def _ranks(values):
    """The rank of each value, 1-based, ties given the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return (first + (counts + 1) / 2)[inverse]


def rank_correlation(reference, values):
    """Spearman's rank correlation of ``values`` with ``reference``; None where ``reference`` is constant (no
    order to keep), 0 where only ``values`` is (the order is lost)."""
    if np.ptp(reference) == 0:
        return None
    if np.ptp(values) == 0:
        return 0.0
    return float(np.corrcoef(_ranks(reference), _ranks(values))[0, 1])


def judge(reference, probabilities, aucs, criterion):
    """The criterion's figures and verdict for one quantized file.

    Args:
        reference: ``(N,)`` Keras probabilities of the parity images.
        probabilities: ``(N,)`` the file's probabilities of the same images.
        aucs: ``(Keras's AUC, the file's AUC)`` on the labelled images, None where they are not both known.
        criterion: a :class:`QuantizedCriterion`.

    Returns:
        A dict: ``rank_correlation``, ``auc_drop`` (None without both labels), ``verdict_flips``,
        ``flip_rate``, the ``criterion``, ``failures`` (one sentence per criterion not met) and ``passed``.
    """
    reference, probabilities = np.asarray(reference, np.float64), np.asarray(probabilities, np.float64)
    rank = rank_correlation(reference, probabilities)
    flips = int(np.sum((reference > criterion.threshold) != (probabilities > criterion.threshold)))
    rate = flips / len(reference)
    drop = aucs[0] - aucs[1] if None not in aucs else None
    failures = []
    if rank is not None and rank < criterion.min_rank_correlation:
        failures.append(f"rank correlation with Keras {rank:.3f}, below {criterion.min_rank_correlation}")
    if drop is not None and drop > criterion.max_auc_drop:
        failures.append(f"AUC {aucs[1]:.4f} against Keras's {aucs[0]:.4f}, a drop above {criterion.max_auc_drop}")
    if rate > criterion.max_flip_rate:
        failures.append(
            f"{flips} of {len(reference)} verdicts differ from Keras's at {criterion.threshold} "
            f"({rate:.1%}, above {criterion.max_flip_rate:.1%})"
        )
    return {
        "rank_correlation": rank,
        "auc_drop": drop,
        "verdict_flips": flips,
        "flip_rate": rate,
        "criterion": dataclasses.asdict(criterion),
        "failures": failures,
        "passed": not failures,
    }
