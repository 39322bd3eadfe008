"""Batch scoring, video aggregation and score CSVs, against plain numpy/sklearn computations."""

import csv

import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from pel_keras.evaluation.runner import score_batches
from pel_keras.evaluation.scores import FrameScores, level_metrics, write_score_csvs

VIDEOS = ["v2", "v2", "v1", "v3", "v3", "v3", "v1"]
LABELS = [1, 1, 0, 1, 1, 1, 0]


def _brightness(images):
    """A real (if weak) detector: the mean intensity of each image, as a probability."""
    return images.mean(axis=(1, 2, 3)) / 255.0


def _frames():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (len(VIDEOS), 4, 4, 3)).astype(np.float32)
    paths = [f"{video}/frame{i}.png" for i, video in enumerate(VIDEOS)]
    return images, np.array(LABELS, np.float32), VIDEOS, paths


def _tf_batches(batch_size=3):
    images, labels, videos, paths = _frames()
    return tf.data.Dataset.from_tensor_slices((images, labels[:, None], videos, paths)).batch(batch_size)


def test_scores_every_frame_in_order_from_tf_data(capsys):
    images, labels, videos, paths = _frames()
    scores = score_batches(_brightness, _tf_batches(), description="toy")
    np.testing.assert_allclose(scores.probabilities, _brightness(images), rtol=1e-6)
    np.testing.assert_array_equal(scores.labels, labels)
    assert list(scores.videos) == videos and list(scores.paths) == paths
    assert "toy" in capsys.readouterr().err  # the progress bar


def test_numpy_batches_and_batch_size_give_the_same_scores():
    images, labels, videos, paths = _frames()
    columns = (images, labels, videos, paths)
    numpy_batches = [tuple(c[i : i + 2] for c in columns) for i in range(0, 7, 2)]  # the last one holds one frame
    one = score_batches(_brightness, numpy_batches, progress=False)
    other = score_batches(_brightness, _tf_batches(batch_size=4), progress=False)
    for field in ("paths", "videos", "labels", "probabilities"):
        np.testing.assert_array_equal(getattr(one, field), getattr(other, field))


def test_video_level_is_the_mean_of_frames():
    scores = score_batches(_brightness, _tf_batches(), progress=False)
    videos = scores.video_level
    assert list(videos.videos) == ["v1", "v2", "v3"]
    for video, label, probability, frames in zip(videos.videos, videos.labels, videos.probabilities, videos.frames):
        mine = scores.videos == video
        assert frames == mine.sum() and label == scores.labels[mine][0]
        assert probability == pytest.approx(scores.probabilities[mine].mean(), rel=1e-6)


def test_level_metrics_count_frames_and_videos():
    rng = np.random.default_rng(1)
    videos = np.repeat([f"v{i}" for i in range(20)], 5)
    labels = np.repeat(rng.integers(0, 2, 20), 5).astype(np.float32)
    probabilities = np.clip(rng.normal(0.3 + 0.4 * labels, 0.3), 0, 1).astype(np.float32)
    scores = FrameScores(videos, videos, labels, probabilities)
    result = level_metrics(scores)
    assert (result["frame"].count, result["video"].count) == (100, 20)
    assert result["video"].fake == labels[::5].sum()
    video_means = probabilities.reshape(20, 5).mean(axis=1)
    assert result["video"].auc == pytest.approx(roc_auc_score(labels[::5], video_means))
    assert result["frame"].auc == pytest.approx(roc_auc_score(labels, probabilities))


def test_empty_dataset_is_reported_not_crashed():
    scores = score_batches(_brightness, [], progress=False)
    assert len(scores) == 0
    result = level_metrics(scores)
    assert result["frame"].notes == ("no samples",) and result["video"].count == 0


def test_video_with_both_labels_is_refused():
    scores = FrameScores(np.array(["a", "b"]), np.array(["v", "v"]), np.array([0.0, 1.0]), np.array([0.2, 0.3]))
    with pytest.raises(ValueError, match=r"1 videos have frames of both labels, e.g. \['v'\]"):
        scores.video_level


def test_inconsistent_batch_is_refused():
    images, labels, videos, paths = _frames()
    with pytest.raises(ValueError, match="batch 0: 7 images but 7 paths, 7 video ids, 6 labels, 7 scores"):
        score_batches(_brightness, [(images, labels[:6], videos, paths)], progress=False)


def test_csvs_round_trip(tmp_path):
    scores = score_batches(_brightness, _tf_batches(), progress=False)
    frame_csv, video_csv = write_score_csvs(scores, str(tmp_path / "intra_toy"))
    with open(frame_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["path"] for row in rows] == list(scores.paths)
    np.testing.assert_array_equal(np.array([row["probability"] for row in rows], np.float32), scores.probabilities)
    with open(video_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    videos = scores.video_level
    assert [(row["video"], int(row["label"]), int(row["frames"])) for row in rows] == list(
        zip(videos.videos, videos.labels.astype(int), videos.frames)
    )
    np.testing.assert_allclose([float(row["probability"]) for row in rows], videos.probabilities, rtol=1e-8)
