"""ROC curves of one evaluation (issue: one figure per evaluation, one curve per dataset, AUC in the legend).

Drawn on a bare Agg canvas, so nothing touches pyplot's global state or needs a display.
"""

import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pel_keras.evaluation.result_records import LEVELS
from pel_keras.files.atomic import atomic_output
from pel_keras.metrics import DegenerateInputError, roc_auc, roc_curve

TITLE_WIDTH = 150  # characters of a title line that fit the figure's width at the title's size


def _level_arrays(scores, level):
    if level == "frame":
        return scores.labels, scores.probabilities
    videos = scores.video_level
    return videos.labels, videos.probabilities


def plot_roc(curves, path, title):
    """Saves a PNG with a frame-level and a video-level panel, one ROC per entry of `curves`.

    Args:
        curves: `{legend label: FrameScores}`; a set without both classes is listed in the legend as
            having no ROC instead of being drawn.
        path: the PNG to write (replaced whole: written under a temporary name, then renamed).
        title: the figure's title, also stored as the PNG's Title text; lines longer than the figure is wide
            are wrapped.
    """
    figure = Figure(figsize=(11, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    for axes, level in zip(figure.subplots(1, 2), LEVELS):
        for label, scores in curves.items():
            labels, probabilities = _level_arrays(scores, level)
            try:
                fpr, tpr, _ = roc_curve(labels, probabilities)
            except DegenerateInputError:
                axes.plot([], [], label=f"{label}: no ROC (needs real and fake)")
                continue
            axes.plot(fpr, tpr, label=f"{label} (AUC {roc_auc(labels, probabilities):.4f})")
        axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
        axes.set(xlim=(0, 1), ylim=(0, 1.01), title=f"{level} level", xlabel="false positive rate (real called fake)")
        axes.set_ylabel("true positive rate (fake called fake)")
        axes.legend(loc="lower right", fontsize="small")
    figure.suptitle("\n".join(textwrap.fill(line, TITLE_WIDTH) for line in title.splitlines()), fontsize="medium")
    with atomic_output(path) as temporary:
        figure.savefig(temporary, metadata={"Title": title})  # the title, protocol line included, as text too
    return path
