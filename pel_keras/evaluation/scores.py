"""Per-frame scores of one evaluated dataset, their video-level aggregation, and the score CSV files.

A video's score is the mean of its frames' fake probabilities (the issue's video-level protocol, also
REFERENCE §2); both levels are summarized with the paper's metrics (Sec. 4.1).
"""

import csv
import dataclasses
import functools

import numpy as np

from pel_keras.files.atomic import atomic_output
from pel_keras.metrics import summarize, video_level


@dataclasses.dataclass(frozen=True)
class FrameScores:
    """One row per frame, in the order the frames were scored.

    Attributes:
        paths, videos: string arrays (frame file, video id).
        labels: float32, 1 = fake, 0 = real.
        probabilities: float32 fake probabilities.
    """

    paths: np.ndarray
    videos: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray

    def __post_init__(self):
        lengths = {len(self.paths), len(self.videos), len(self.labels), len(self.probabilities)}
        if len(lengths) != 1:
            raise ValueError(f"frame scores need one path, video, label and probability per frame; got {lengths}")

    def __len__(self):
        return len(self.paths)

    @functools.cached_property
    def video_level(self):
        """The video-level :class:`pel_keras.metrics.VideoScores` (computed once); a video's frames share its label."""
        return video_level(self.videos, self.labels, self.probabilities)


def level_metrics(scores, threshold=0.5):
    """``{"frame": Metrics, "video": Metrics}`` of one dataset."""
    videos = scores.video_level
    return {
        "frame": summarize(scores.labels, scores.probabilities, threshold),
        "video": summarize(videos.labels, videos.probabilities, threshold),
    }


def _write_rows(path, header, columns):
    with atomic_output(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(zip(*columns))


def _decimal(values):
    return [f"{value:.9g}" for value in values]  # 9 significant digits round-trip a float32


def write_score_csvs(scores, stem):
    """Writes ``<stem>_frames.csv`` (path, video, label, probability) and ``<stem>_videos.csv``
    (video, label, frames, probability); returns both paths."""
    videos = scores.video_level
    frame_path, video_path = f"{stem}_frames.csv", f"{stem}_videos.csv"
    _write_rows(
        frame_path,
        ("path", "video", "label", "probability"),
        (scores.paths, scores.videos, scores.labels.astype(int), _decimal(scores.probabilities)),
    )
    _write_rows(
        video_path,
        ("video", "label", "frames", "probability"),
        (videos.videos, videos.labels.astype(int), videos.frames, _decimal(videos.probabilities)),
    )
    return frame_path, video_path
