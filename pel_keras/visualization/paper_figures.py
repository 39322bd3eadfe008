"""``visualize.py``'s work: faces of a few images through a trained PEL model into the paper's Fig. 2-4.

Fig. 2: class activation maps of the RGB and the frequency stream. Fig. 3: the residual ``|f_out - f_in|``
of the first self-enhancement module. Fig. 4: the residual of the last mutual-enhancement module. Each
figure has one row per image (its largest face, cropped as for training) and, where a manipulation mask
is given, the mask cropped the same way beside (Gu et al., AAAI 2022, §4.4).
"""

import dataclasses
import os

import cv2
import numpy as np

from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS
from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, crop_face, detect_faces, make_detector
from pel_keras.data.video import read_frame
from pel_keras.visualization.cam import ClassActivationMaps
from pel_keras.visualization.figures import cam_figure, residual_figure
from pel_keras.visualization.maps import enhancement_residual
from pel_keras.visualization.taps import (
    FeatureModel,
    MissingModuleError,
    load_graph_model,
    model_streams,
    mutual_enhancement_pairs,
    self_enhancement_pairs,
)

FIGURES = {
    2: "fig2_cam.png",
    3: "fig3_self_enhancement.png",
    4: "fig4_mutual_enhancement.png",
}
RESIDUALS = {
    3: ("Self-enhancement: residual of the first module (Fig. 3)", self_enhancement_pairs),
    4: ("Mutual enhancement: residual of the last module (Fig. 4)", mutual_enhancement_pairs),
}


@dataclasses.dataclass(frozen=True)
class Faces:
    """The largest face of each image, cropped. ``crops``: ``(B, S, S, 3)`` uint8 RGB; ``masks``: B crops of
    the masks, ``(S, S)`` in 0..1, or None; ``names``: the images' file names."""

    crops: np.ndarray
    masks: list
    names: list


def _mask_crop(path, frame, face, shape, size, margin, max_megapixels):
    mask = cv2.cvtColor(read_frame(path, frame, max_megapixels), cv2.COLOR_BGR2GRAY)
    if mask.shape != shape:
        raise ValueError(
            f"mask {path} is {mask.shape[1]}x{mask.shape[0]} pixels but its image is "
            f"{shape[1]}x{shape[0]}: a mask must match its frame"
        )
    return crop_face(mask, face, size, margin)[0].astype(np.float32) / 255.0


def read_faces(
    images,
    masks,
    size,
    frame=0,
    detector=DEFAULT_DETECTOR,
    margin=DEFAULT_MARGIN,
    max_megapixels=DEFAULT_MAX_MEGAPIXELS,
):
    """Crops the largest face of each image (frame ``frame`` of a video or frame folder) and its mask.

    Args:
        images: image, video or frame-folder paths.
        masks: paths paired with ``images`` by position, None (or "") where an image has none; may be shorter.
        size: crop side (the model's input size).
        max_megapixels: an image, mask or frame above it is refused before decoding.

    Raises:
        MediaError: an image or mask cannot be read, does not decode or is above ``max_megapixels``.
        ValueError: no face in an image, or a mask whose size differs from its image's.
    """
    if len(masks) > len(images):
        raise ValueError(f"{len(masks)} masks for {len(images)} images: masks pair with images by position")
    masks = list(masks) + [None] * (len(images) - len(masks))
    detect = make_detector(detector)
    crops, mask_crops = [], []
    for path, mask_path in zip(images, masks):
        rgb = cv2.cvtColor(read_frame(path, frame, max_megapixels), cv2.COLOR_BGR2RGB)
        faces = detect_faces(rgb, detect, channels="rgb")
        if not faces:
            raise ValueError(f"{path}: no face found (detector {detector!r}); give face crops with --detector=none")
        crops.append(crop_face(rgb, faces[0], size, margin)[0])
        mask_crops.append(
            _mask_crop(mask_path, frame, faces[0], rgb.shape[:2], size, margin, max_megapixels) if mask_path else None
        )
    return Faces(np.stack(crops), mask_crops, [os.path.basename(os.path.normpath(p)) for p in images])


def _taps(model, figures):
    """The tensors the figures need, and the figures that cannot be drawn with the reason."""
    taps, skipped, cams = {"probability": model.output}, {}, None
    for figure in figures:
        try:
            if figure == 2:
                cams = ClassActivationMaps(model)
                taps.update({f"cam/{s}": tensor for s, tensor in cams.taps.items()})
            else:
                for stream, (before, after) in RESIDUALS[figure][1](model).items():
                    taps.update({f"fig{figure}/{stream}/in": before, f"fig{figure}/{stream}/out": after})
        except MissingModuleError as error:
            skipped[figure] = str(error)
    return taps, cams, skipped


def make_figures(
    model_path,
    images,
    masks=(),
    output_dir=".",
    figures=(2, 3, 4),
    frame=0,
    detector=DEFAULT_DETECTOR,
    margin=DEFAULT_MARGIN,
    max_megapixels=DEFAULT_MAX_MEGAPIXELS,
):
    """Writes the PNG of each figure in ``figures`` (numbers 2, 3, 4) into ``output_dir``.

    ``frame``, ``detector``, ``margin`` and ``max_megapixels`` are :func:`read_faces`'s.

    Returns:
        ``(written, skipped)``: ``{figure: PNG path}`` and ``{figure: reason}`` for figures the model cannot
        show (an ablation without the module).
    """
    unknown = sorted(set(figures) - set(FIGURES))
    if unknown:
        raise ValueError(f"unknown figure numbers {unknown}; choose from {sorted(FIGURES)}")
    model = load_graph_model(model_path, "visualize.py")
    faces = read_faces(images, masks, model.input_shape[1], frame, detector, margin, max_megapixels)
    taps, cams, skipped = _taps(model, figures)
    arrays = FeatureModel(model, taps)(faces.crops)
    labels = [f"{name}\np(fake) {p:.3f}" for name, p in zip(faces.names, arrays["probability"][:, 0])]
    os.makedirs(output_dir, exist_ok=True)
    written = {}
    for figure in (f for f in figures if f not in skipped):
        path = os.path.join(output_dir, FIGURES[figure])
        if figure == 2:
            maps = cams({s: arrays[f"cam/{s}"] for s in cams.weights})
            written[figure] = cam_figure(path, faces.crops, maps, faces.masks, labels)
        else:
            residuals = {
                s: enhancement_residual(arrays[f"fig{figure}/{s}/in"], arrays[f"fig{figure}/{s}/out"])
                for s in model_streams(model)
            }
            written[figure] = residual_figure(path, RESIDUALS[figure][0], faces.crops, residuals, faces.masks, labels)
    return written, skipped
