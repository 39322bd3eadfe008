"""Validation during training: frame- and video-level scores on the val split, for model selection."""

import numpy as np

from pel_keras.metrics import DegenerateInputError, balanced_threshold, roc_auc, video_level

EPSILON = 1e-7  # Keras' clipping of probabilities in binary cross-entropy


def predict(predict_step, dataset):
    """Runs ``predict_step`` over a distributed dataset of ``(images, labels, index)`` (tensors or arrays).

    Returns:
        ``(probabilities, labels, index)`` as flat numpy arrays, in no particular order.
    """
    outputs = [predict_step(*batch) for batch in dataset]
    return tuple(np.concatenate([np.ravel(np.asarray(output[i])) for output in outputs]) for i in range(3))


def auc(labels, scores):
    """ROC AUC (the one the evaluation report prints), or NaN when ``labels`` hold a single class."""
    try:
        return roc_auc(labels, scores)
    except DegenerateInputError:
        return float("nan")


def video_threshold(labels, scores):
    """The video-level threshold of highest balanced accuracy (see :func:`pel_keras.metrics.balanced_threshold`),
    or NaN when ``labels`` hold a single class."""
    try:
        return balanced_threshold(labels, scores)[0]
    except DegenerateInputError:
        return float("nan")


def metrics(probabilities, labels, videos):
    """``loss`` (mean BCE), ``accuracy`` (threshold 0.5), ``frame_auc``, ``video_auc`` and ``video_threshold``
    (where a video's mean probability best separates the split's real and fake videos) of one split."""
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    videos = video_level(videos, labels, probabilities)
    return {
        "loss": float(loss),
        "accuracy": float(np.mean((probabilities > 0.5) == (labels > 0.5))),
        "frame_auc": auc(labels, probabilities),
        "video_auc": auc(videos.labels, videos.probabilities),
        "video_threshold": video_threshold(videos.labels, videos.probabilities),
        "frames": int(len(labels)),
        "videos": int(len(videos.videos)),
    }


def validate(predict_step, dataset, videos):
    """Metrics of the split behind ``dataset``; ``videos[i]`` is the video of the example with index ``i``."""
    probabilities, labels, index = predict(predict_step, dataset)
    return metrics(probabilities, labels, np.asarray(videos)[index.astype(np.int64)])
