"""The paper's visualisation figures as PNG grids (Fig. 2-4): one row per face, one column per view.

Drawn on a bare Agg canvas (no pyplot state, no display). A figure of R rows and K columns is
``K * PANEL_INCHES`` by ``R * PANEL_INCHES + TITLE_INCHES`` inches at ``DPI``.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pel_keras.files.atomic import atomic_output
from pel_keras.visualization.maps import resize_map, scale_to_unit
from pel_keras.visualization.overlay import blend, colorize

PANEL_INCHES, TITLE_INCHES, DPI = 2.0, 0.6, 100
STREAM_TITLES = {"rgb": "RGB stream", "freq": "frequency stream"}


def save_grid(path, title, row_labels, columns):
    """Writes a grid of RGB images to ``path`` (PNG; replaced whole: written under a temporary name, then renamed).

    Args:
        title: the figure's title.
        row_labels: one label per row, written left of the row.
        columns: ``[(column title, [RGB uint8 image or None for each row])]``; None leaves the cell empty.
    """
    rows = len(row_labels)
    figure = Figure(
        figsize=(len(columns) * PANEL_INCHES, rows * PANEL_INCHES + TITLE_INCHES), dpi=DPI, layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, len(columns), squeeze=False)
    for column, (heading, images) in enumerate(columns):
        axes[0, column].set_title(heading, fontsize="small")
        for row, image in enumerate(images):
            axes[row, column].set(xticks=[], yticks=[])
            if image is None:
                axes[row, column].set_axis_off()
            else:
                axes[row, column].imshow(image)
    for row, label in enumerate(row_labels):
        axes[row, 0].set_ylabel(label, fontsize="small")
    figure.suptitle(title)
    with atomic_output(path) as temporary:
        figure.savefig(temporary, dpi=DPI)
    return path


def _gray(values):
    return np.repeat((np.clip(values, 0.0, 1.0)[..., None] * 255).round().astype(np.uint8), 3, axis=-1)


def _mask_column(masks):
    if all(mask is None for mask in masks):
        return []
    return [("manipulation mask", [None if m is None else _gray(m) for m in masks])]


def cam_figure(path, faces, cams, masks, row_labels):
    """Fig. 2: each stream's CAM over the face, scaled per map to its own range (Zhou et al.'s convention,
    so a real face's map shows where that stream looks even when its evidence is weak).

    Args:
        faces: ``(B, S, S, 3)`` uint8 RGB crops.
        cams: ``{stream: (B, h, w)}`` class activation maps.
        masks: B masks ``(S, S)`` in 0..1, or None where there is none.
    """
    side = faces.shape[1]
    columns = [("face", list(faces))]
    for stream, maps in cams.items():
        overlays = [blend(face, resize_map(scale_to_unit(m), side)) for face, m in zip(faces, maps)]
        columns.append((f"{STREAM_TITLES[stream]}\nCAM", overlays))
    return save_grid(path, "Class activation maps (Fig. 2)", row_labels, columns + _mask_column(masks))


def residual_figure(path, title, faces, residuals, masks, row_labels):
    """Fig. 3 and 4: each stream's residual map on one scale per stream, so that real and fake faces compare:
    from the 1st to the 99th percentile of that stream's values over all rows (given in the column title;
    a few extreme positions, e.g. at the border, would otherwise flatten the rest).

    Args:
        residuals: ``{stream: (B, h, w)}`` from :func:`~pel_keras.visualization.maps.enhancement_residual`.
    """
    side = faces.shape[1]
    columns = [("face", list(faces))]
    for stream, maps in residuals.items():
        low, high = np.percentile(maps, [1, 99])
        images = [colorize(resize_map(scale_to_unit(m, low, high), side)) for m in maps]
        columns.append((f"{STREAM_TITLES[stream]}\n|out - in|, {low:.3g} to {high:.3g}", images))
    return save_grid(path, title, row_labels, columns + _mask_column(masks))
