"""Frames with each face's class activation map laid over it (``predict.py --heatmap``).

The map is :meth:`~pel_keras.visualization.cam.ClassActivationMaps.fake_evidence`: ``sigmoid(b + CAM)`` on
an absolute 0..1 scale (blue: real-looking, red: fake-looking), over the square the face was cropped from,
so that maps of different faces and videos compare. The face's box and probability are drawn with it.
"""

import cv2

from pel_keras.data.faces import square_box
from pel_keras.files.atomic import atomic_output
from pel_keras.visualization.maps import resize_map
from pel_keras.visualization.overlay import blend

BOX_COLOR = (255, 255, 255)


def draw_heatmap(frame, faces, maps, probabilities, margin):
    """``frame`` (RGB uint8) with, for each face, its map over its crop square, its box and its probability.

    Args:
        faces: the :class:`~pel_keras.data.faces.Face` objects scored in this frame.
        maps: one ``(h, w)`` map in 0..1 per face.
        probabilities: one fake probability per face.
        margin: the crop margin the faces were scored with.
    """
    image = frame.copy()
    height, width = image.shape[:2]
    scale = max(0.4, height / 600)
    for face, values, probability in reversed(list(zip(faces, maps, probabilities))):  # largest drawn last
        left, top, side = square_box(face.box, margin)
        x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + side, width), min(top + side, height)
        heat = resize_map(values, side)[y0 - top : y1 - top, x0 - left : x1 - left]
        image[y0:y1, x0:x1] = blend(image[y0:y1, x0:x1], heat)
        corner = (round(face.box[0]), round(face.box[1]))
        cv2.rectangle(image, corner, (round(face.box[2]), round(face.box[3])), BOX_COLOR, max(1, round(scale)))
        cv2.putText(
            image,
            f"{probability:.2f}",
            (corner[0], max(corner[1] - 4, round(12 * scale))),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * scale,
            BOX_COLOR,
            max(1, round(scale)),
            cv2.LINE_AA,
        )
    return image


def write_image(path, rgb):
    """Writes an RGB image as PNG, whole (under a temporary name, then renamed; parent folders made).

    Raises:
        OSError: OpenCV could not write it; the message names the path.
    """
    with atomic_output(path) as temporary:
        if not cv2.imwrite(temporary, rgb[..., ::-1]):
            raise OSError(f"could not write {path}")
    return path
