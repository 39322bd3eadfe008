"""ACC / AUC / EER / AP against scikit-learn, Keras and hand-computed answers; degenerate inputs."""

import keras
import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn import metrics as skm

from pel_keras import metrics


def _random_case(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.7).astype(np.float32)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.25), 0, 1)
    return labels, np.round(scores, 1) if ties else scores


def _sklearn_eer(labels, scores):
    """The EER as commonly computed in deepfake code: where the ROC meets the line TPR = 1 - FPR."""
    fpr, tpr, _ = skm.roc_curve(labels, scores, drop_intermediate=False)
    return brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_matches_sklearn(seed, ties):
    labels, scores = _random_case(seed, ties=ties)
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores)
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    np.testing.assert_allclose(thresholds[1:], sk_thresholds[1:])
    assert metrics.roc_auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert metrics.average_precision(labels, scores) == pytest.approx(
        skm.average_precision_score(labels, scores), abs=1e-12
    )
    assert metrics.accuracy(labels, scores) == pytest.approx(skm.accuracy_score(labels, scores > 0.5))
    assert metrics.equal_error_rate(labels, scores) == pytest.approx(_sklearn_eer(labels, scores), abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_balanced_threshold_is_the_best_cut_sklearn_scores(seed, ties):
    labels, scores = _random_case(seed, ties=ties)
    threshold, balanced = metrics.balanced_threshold(labels, scores)
    assert skm.balanced_accuracy_score(labels, scores > threshold) == pytest.approx(balanced, abs=1e-12)
    cuts = np.r_[np.unique(scores), -1.0]  # every decision "score > cut" there is, through sklearn's scorer
    best = max(skm.balanced_accuracy_score(labels, scores > c) for c in cuts)
    assert balanced == pytest.approx(best, abs=1e-12)
    assert not np.any(np.isclose(scores, threshold))  # halfway between scores, not on one


@pytest.mark.parametrize(
    "labels, scores, threshold",
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.8], 0.4),  # halfway between the classes
        ([0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6], 0.9),  # inverted: nothing called fake beats every cut
        ([1, 1, 0, 1], [0.3, 0.4, 0.2, 0.5], 0.25),
    ],
)
def test_balanced_threshold_known_answers(labels, scores, threshold):
    assert metrics.balanced_threshold(labels, scores)[0] == pytest.approx(threshold)
    with pytest.raises(metrics.DegenerateInputError):
        metrics.balanced_threshold([1, 1], [0.2, 0.3])


def test_accuracy_threshold_rule_matches_keras():
    labels = np.array([0, 1, 0, 1, 1, 0], np.float32)
    scores = np.array([0.5, 0.5, 0.2, 0.9, 0.50001, 0.49999], np.float32)
    keras_acc = keras.metrics.BinaryAccuracy(threshold=0.5)
    keras_acc.update_state(labels[:, None], scores[:, None])
    assert metrics.accuracy(labels, scores) == pytest.approx(float(keras_acc.result()))


@pytest.mark.parametrize(
    "labels, scores, eer",
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 0.0),  # separable
        ([0, 0, 1, 1], [0.8, 0.9, 0.1, 0.2], 1.0),  # inverted
        ([0, 1, 1, 0, 1], [0.3] * 5, 0.5),  # one diagonal segment
        # ROC (0,0) (0,1/3) (0,2/3) (1/2,2/3) (1/2,1) (1,1): crosses on the horizontal segment at FNR = 1/3
        ([0, 0, 1, 1, 1], [0.2, 0.7, 0.6, 0.8, 0.9], 1 / 3),
        # a tie of one real and one fake: ROC (0,0) (0,1/2) (1/2,1) (1,1), crosses mid-diagonal at (1/4, 3/4)
        ([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9], 0.25),
        # the crossing is exactly a point: (1/2, 1/2)
        ([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], 0.5),
    ],
)
def test_eer_known_answers(labels, scores, eer):
    assert metrics.equal_error_rate(labels, scores) == pytest.approx(eer, abs=1e-12)


def test_summarize_accepts_column_vectors_and_counts_classes():
    labels, scores = _random_case(3, n=50)
    result = metrics.summarize(labels[:, None], scores[:, None].astype(np.float32))
    assert (result.count, result.real, result.fake) == (50, 50 - int(labels.sum()), int(labels.sum()))
    assert result.auc == pytest.approx(skm.roc_auc_score(labels, scores.astype(np.float32)))
    assert result.notes == ()
    assert result.to_dict()["eer"] == result.eer


def test_summarize_one_class_keeps_accuracy_and_explains():
    result = metrics.summarize([1, 1, 1], [0.9, 0.2, 0.7])
    assert result.acc == pytest.approx(2 / 3)
    assert (result.auc, result.eer, result.ap) == (None, None, None)
    assert "both classes" in result.notes[0] and "0 real and 3 fake" in result.notes[0]


def test_summarize_empty_and_constant_scores():
    empty = metrics.summarize([], [])
    assert (empty.count, empty.acc, empty.auc) == (0, None, None)
    assert empty.notes == ("no samples",)
    constant = metrics.summarize([0, 1, 1, 0], [0.7] * 4)
    assert (constant.auc, constant.eer, constant.acc, constant.ap) == (0.5, 0.5, 0.5, 0.5)
    assert "all 4 scores equal 0.7" in constant.notes[0]


@pytest.mark.parametrize("function", [metrics.roc_auc, metrics.equal_error_rate, metrics.average_precision])
def test_strict_metrics_raise_on_one_class(function):
    with pytest.raises(metrics.DegenerateInputError, match="both classes"):
        function([0, 0], [0.1, 0.2])
    with pytest.raises(metrics.DegenerateInputError):
        function([], [])


@pytest.mark.parametrize(
    "labels, scores, message",
    [
        ([0, 1], [0.1, np.nan], "1 of 2 scores are not finite"),
        ([0, 2], [0.1, 0.2], "labels must be 0"),
        ([0, 1, 1], [0.1, 0.2], "3 labels but 2 scores"),
    ],
)
def test_invalid_inputs_raise(labels, scores, message):
    with pytest.raises(ValueError, match=message):
        metrics.summarize(labels, scores)


def test_invalid_threshold_raises():
    with pytest.raises(ValueError, match="threshold must lie in"):
        metrics.summarize([0, 1], [0.1, 0.9], threshold=1.5)


def test_video_level_is_the_mean_of_each_videos_frames_sorted_by_id():
    rng = np.random.default_rng(0)
    videos = rng.choice(["b", "a", "c", "d"], size=40)
    labels = np.isin(videos, ["a", "c"]).astype(np.float32)
    probabilities = rng.random(40, dtype=np.float32)
    level = metrics.video_level(videos, labels, probabilities)
    assert level.videos.tolist() == ["a", "b", "c", "d"]
    for video, label, score, frames in zip(level.videos, level.labels, level.probabilities, level.frames):
        mine = probabilities[videos == video]
        assert frames == mine.size and label == float(video in ("a", "c"))
        assert score == pytest.approx(float(np.mean(mine.astype(np.float64))), rel=1e-12)
    with pytest.raises(ValueError, match="1 videos have frames of both labels"):
        metrics.video_level(["a", "a", "b"], [0, 1, 1], [0.1, 0.2, 0.3])


def test_mean_probability_of_one_input():
    assert metrics.mean_probability(p for p in (0.25, 0.5, 0.75)) == 0.5
    assert metrics.mean_probability([]) is None
