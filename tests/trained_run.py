"""A small trained PEL run for the prediction and visualisation tests, and the media it was trained on.

Real faces are the public-domain photos of ``data_media``; a fake is the same frame with the lower face
(nose and mouth, found from YuNet's landmarks) blurred and tinted, the way a face swap leaves a blended
region, and its mask (white = manipulated) is kept, as FF++ provides masks.

The model is PEL with two EfficientNet-B0 streams at 64 px, trained the cheap way that still gives a genuine
detector on 2 CPU cores: batch-norm statistics taken from the training crops, then the classifier fitted with
``model.fit`` on the pooled features of both streams (the whole network's first ``fit`` would spend minutes
tracing its gradient graph here).
"""

import collections
import functools

import cv2
import keras
import numpy as np

import pel_keras
from pel_keras.data.faces import crop_face, detect_faces, make_detector
from pel_keras.testing import data_media

IMAGE_SIZE = 64
FRAME_SIZE = (192, 144)


@functools.cache
def _detector():
    return make_detector("yunet")


def manipulate(frame):
    """``(fake frame, mask)``: ``frame`` (BGR) with its lower face blurred and tinted; mask uint8, 255 inside."""
    face = detect_faces(frame, _detector())[0]
    nose, right_mouth, left_mouth = face.landmarks[2:]
    centre = (nose + (right_mouth + left_mouth) / 2) / 2
    axes = (0.8 * abs(left_mouth[0] - right_mouth[0]), 1.1 * abs(right_mouth[1] - nose[1]) + 2)
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.ellipse(mask, np.round(centre).astype(int).tolist(), np.round(axes).astype(int).tolist(), 0, 0, 360, 255, -1)
    tinted = cv2.GaussianBlur(frame, (0, 0), 2.0).astype(np.int16) + np.array([0, 0, 60], np.int16)
    fake = np.where(mask[..., None] > 0, np.clip(tinted, 0, 255).astype(np.uint8), frame)
    return fake, mask


def frames(fake, count, face=0):
    """``count`` BGR frames of ``data_media`` (face ``face`` drifting), manipulated when ``fake``."""
    real = [data_media.frame(i, FRAME_SIZE, face) for i in range(count)]
    return [manipulate(f)[0] for f in real] if fake else real


def face_crops(fake, count, face=0):
    """The RGB uint8 ``IMAGE_SIZE`` crops of :func:`frames` ``(fake, count, face)``, cropped as predict.py does."""
    crops = []
    for frame in frames(fake, count, face):
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        crops.append(crop_face(rgb, detect_faces(rgb, _detector(), "rgb")[0], IMAGE_SIZE)[0])
    return crops


def _crops():
    """16 real and 16 fake 64 px RGB crops (both faces, 8 positions), cropped as predict.py does, and labels."""
    crops = [crop for label in (0, 1) for face in (0, 1) for crop in face_crops(bool(label), 8, face)]
    labels = np.repeat([0.0, 1.0], len(crops) // 2).astype(np.float32)
    return np.stack(crops).astype(np.float32), labels[:, None]


def _batch_norms(model):
    stack, found = list(model.layers), []
    while stack:
        layer = stack.pop()
        stack += getattr(layer, "layers", [])
        found += [layer] if isinstance(layer, keras.layers.BatchNormalization) else []
    return found


def train(path):
    """Builds, trains and saves the small PEL model to ``path`` (a ``.keras`` file); returns the model."""
    keras.utils.set_random_seed(0)
    model = pel_keras.build_model("efficientnet_b0", image_size=IMAGE_SIZE, weights=None)
    images, labels = _crops()
    norms = _batch_norms(model)
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.momentum = 0.0  # one training-mode pass sets every moving statistic to the crops' own
    model(images, training=True)
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    pooled = keras.Model(model.input, model.get_layer("pooled").output)(images).numpy()
    head = keras.Sequential([keras.Input(pooled.shape[1:]), keras.layers.Dense(1, activation="sigmoid")])
    head.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    head.fit(pooled, labels, batch_size=8, epochs=30, verbose=0)
    model.get_layer("classifier").set_weights(head.layers[-1].get_weights())
    model.save(path)
    return model


Run = collections.namedtuple("Run", ["directory", "model"])


@functools.cache
def saved_run(base):
    """``Run(base/small_run, model)``: the folder holds the model as ``best.keras``, trained once per test
    session (``base``: the session's ``tmp_path_factory.getbasetemp()``)."""
    directory = base / "small_run"
    directory.mkdir()
    return Run(directory, train(str(directory / "best.keras")))


def write_video(path, frames):
    """Writes BGR ``frames`` as an MPEG-4 part 2 video with OpenCV (as ``data_media.write_video`` does)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
