"""The app's pictures: frames with each face's box coloured by its score, and the plot of score per frame.

Scores take one colour scale everywhere (matplotlib's ``RdYlGn_r``: green for 0, real-looking, through
yellow to red for 1, fake-looking), so a box, a dot of the plot and the legend read alike; the threshold
does not enter the colours, so moving it redraws nothing but the plot's threshold line.
"""

import cv2
import matplotlib
import numpy as np
from matplotlib.figure import Figure

SCORE_COLORMAP = "RdYlGn_r"
LARGEST_FACE_LINE = "#1f3b73"
OTHER_FACES = "#9aa0a6"
THRESHOLD_LINE = "#c62828"
DISPLAY_SIDE = 960  # frames are shown (and kept) at most this many pixels on their longer side


def score_color(probability):
    """The ``(r, g, b)`` colour (0..255 ints) of a fake probability on :data:`SCORE_COLORMAP`."""
    rgba = matplotlib.colormaps[SCORE_COLORMAP](float(np.clip(probability, 0.0, 1.0)))
    return tuple(round(channel * 255) for channel in rgba[:3])


def draw_boxes(frame, faces):
    """``frame`` (RGB uint8) with each face's box and probability drawn in :func:`score_color`.

    Args:
        faces: :class:`~pel_keras.prediction.results.FaceScore` objects of the frame, largest first (the
            largest is drawn last, on top, and thicker).
    """
    image = frame.copy()
    scale = max(0.5, image.shape[0] / 500)
    for rank, face in reversed(list(enumerate(faces))):
        color = score_color(face.probability)
        x0, y0, x1, y1 = (round(v) for v in face.box)
        thickness = max(1, round(scale * (3 if rank == 0 else 2)))
        cv2.rectangle(image, (x0, y0), (x1, y1), color, thickness, cv2.LINE_AA)
        text = f"{face.probability:.2f}"
        size, baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, max(1, round(scale)))
        top = max(y0 - size[1] - baseline - 4, 0)
        cv2.rectangle(image, (x0, top), (x0 + size[0] + 6, top + size[1] + baseline + 4), color, cv2.FILLED)
        cv2.putText(
            image,
            text,
            (x0 + 3, top + size[1] + 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6 * scale,
            (0, 0, 0),
            max(1, round(scale)),
            cv2.LINE_AA,
        )
    return image


def fit_for_display(image, side=DISPLAY_SIDE):
    """``image`` shrunk (area interpolation) so that its longer side is at most ``side``; unchanged if smaller."""
    longer = max(image.shape[:2])
    if longer <= side:
        return image
    factor = side / longer
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _other_faces(result):
    """``(frames, probabilities)`` of every face but the largest in each frame, or None without any."""
    points = [(frame.frame, face.probability) for frame in result.frames for face in frame.faces[1:]]
    return tuple(zip(*points)) if points else None


def score_plot(result, threshold):
    """A matplotlib figure of the fake probability per sampled frame of one scored input.

    The largest face of each frame (the one the video score averages) is a line of dots in the score
    colours, the other faces grey dots, a frame without a face a grey cross at 0; dashed lines mark the
    threshold and the video score.

    Args:
        result: an :class:`~pel_keras.prediction.results.InputResult` with status ``ok``.
        threshold: the threshold line's height (the page's current threshold).
    """
    figure = Figure(figsize=(8, 3.1), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    frames = [frame.frame for frame in result.frames]
    largest = [frame.faces[0].probability if frame.faces else np.nan for frame in result.frames]
    axes.plot(frames, largest, color=LARGEST_FACE_LINE, linewidth=1.5, zorder=2, label="largest face")
    axes.scatter(
        frames,
        largest,
        c=largest,
        cmap=SCORE_COLORMAP,
        vmin=0,
        vmax=1,
        s=36,
        edgecolors=LARGEST_FACE_LINE,
        linewidths=0.8,
        zorder=3,
    )  # NaN (no face): no dot
    others = _other_faces(result)
    if others:
        axes.scatter(*others, color=OTHER_FACES, alpha=0.6, s=18, zorder=1, label="other faces")
    empty = [frame.frame for frame in result.frames if not frame.faces]
    if empty:
        axes.scatter(empty, [0.0] * len(empty), marker="x", color=OTHER_FACES, s=24, zorder=1, label="no face")
    axes.axhline(threshold, color=THRESHOLD_LINE, linestyle="--", linewidth=1.2, label=f"threshold {threshold:.2f}")
    axes.axhline(
        result.score, color=LARGEST_FACE_LINE, linestyle=":", linewidth=1.2, label=f"video score {result.score:.2f}"
    )
    axes.set(ylim=(-0.03, 1.03), xlabel="frame" if result.kind != "image" else "image", ylabel="fake probability")
    axes.set_title(f"Fake probability per sampled frame: {result.input}", fontsize=10, loc="left")
    if len(frames) == 1:
        axes.set_xticks(frames)
    axes.grid(alpha=0.25)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure
