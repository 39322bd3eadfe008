"""What ``predict.py`` reports for each input: faces and probabilities per frame, the video's score and verdict.

The video score is the mean, over the sampled frames where a face was found, of the probability of that
frame's **largest** face (the face a video of one subject is about, and the one ``prepare.py`` crops for
training). The other faces are scored and listed too; they do not enter the score.
"""

import dataclasses
import json

import numpy as np

from pel_keras.files.atomic import atomic_write
from pel_keras.metrics import mean_probability

OK, NO_FACE, ERROR = "ok", "no_face", "error"


@dataclasses.dataclass(frozen=True)
class FaceScore:
    """One face of a frame: ``box`` ``(x0, y0, x1, y1)`` in frame pixels, the detector's confidence
    (None where the detector gives none) and the model's fake probability."""

    box: tuple
    detector_score: float | None
    probability: float


@dataclasses.dataclass(frozen=True)
class FrameResult:
    """One sampled frame: its index in the video, its faces largest first, the heatmap written (or None)."""

    frame: int
    faces: list
    heatmap: str | None = None


@dataclasses.dataclass(frozen=True)
class InputResult:
    """One input. ``status`` is ``ok``, ``no_face`` or ``error``; ``reason`` says why when it is not ``ok``."""

    input: str
    kind: str
    status: str
    reason: str | None = None
    frames: list = dataclasses.field(default_factory=list)
    threshold: float = 0.5

    @property
    def score(self):
        """Mean probability of the largest face over the frames with a face; None without any face."""
        return mean_probability(frame.faces[0].probability for frame in self.frames if frame.faces)

    @property
    def verdict(self):
        """``fake`` when the score is above the threshold (strictly, as the evaluation's ACC), else ``real``."""
        return None if self.score is None else "fake" if self.score > self.threshold else "real"

    def to_dict(self):
        return {
            "input": self.input,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "score": self.score,
            "verdict": self.verdict,
            "frames_sampled": len(self.frames),
            "frames_with_face": sum(bool(frame.faces) for frame in self.frames),
            "faces": sum(len(frame.faces) for frame in self.frames),
            "frames": [dataclasses.asdict(frame) for frame in self.frames],
        }


def lines(result):
    """Human-readable lines for one input: the verdict, then one line per sampled frame."""
    if result.status != OK:
        return [f"{result.input}: no score ({result.status}): {result.reason}"]
    summary = result.to_dict()
    head = (
        f"{result.input}: {result.verdict.upper()} score {result.score:.4f} (threshold {result.threshold}); "
        f"a face in {summary['frames_with_face']} of {summary['frames_sampled']} sampled frames, "
        f"{summary['faces']} faces"
    )
    frames = [
        f"    frame {frame.frame:6d}: " + (", ".join(f"{face.probability:.4f}" for face in frame.faces) or "no face")
        for frame in result.frames
    ]
    return [head] + frames


def json_document(results, settings):
    """The document ``predict.py --json`` writes: ``{**settings, "video_score": <rule>, "inputs": [...]}``.

    Plain Python values only (numpy scalars, as a runtime reports its input size, become ``int``/``float``),
    so ``json.dumps`` takes it whatever the model format; the app's API returns the same document.
    """
    document = {
        **settings,
        "video_score": "mean over the sampled frames with a face of the largest face's probability",
        "inputs": [result.to_dict() for result in results],
    }
    return json.loads(json.dumps(document, default=_plain))


def write_json(path, results, settings):
    """Writes :func:`json_document` to ``path`` whole (parent folders made; an earlier file stays until then)."""
    atomic_write(path, json.dumps(json_document(results, settings), indent=2) + "\n")
    return path


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable: {value!r}")
