"""A small real training run for the evaluate.py tests: prepared datasets of face crops, a PEL model saved as
RUN/best.keras, and RUN/config.json as train.py writes it."""

import os

import cv2
import keras
import numpy as np

import pel_keras
from pel_keras.testing import data_media, fixtures
from pel_keras.training.train_config import TrainConfig

SIZE = 32
MODEL_SETTINGS = {"backbone": "efficientnet_b0", "image_size": SIZE, "streams": "rgb", "weights": None}


def face_crop(label, video, frame, size=SIZE):
    """An RGB crop (real: Eileen Collins, fake: Grace Hopper) whose window moves with the video and the frame,
    so that every crop of a dataset differs."""
    face = data_media.faces()[label][..., ::-1]
    height, width = face.shape[:2]
    x, y = 6 * (video % 5) + 2 * frame, 5 * (video % 3) + 3 * frame
    return cv2.resize(face[y : height - 20 + y, x : width - 20 + x], (size, size), interpolation=cv2.INTER_AREA)


def write_prepared(data_dir, tag, videos, frames=3, settings=None):
    """``DATA_DIR/<tag>/`` as prepare.py writes it (:func:`pel_keras.testing.fixtures.write_prepared`), each
    crop a :func:`face_crop`.

    Args:
        videos: ``(video id, label, split)`` triples.
        settings: the crop settings to store in ``prepare.json``, as prepare.py does; None: no such file.
    Returns:
        The manifest's path.
    """
    examples = (
        (
            {"label": label, "video": video, "split": split, "source": tag, "frame": frame},
            face_crop(label, index, frame),
        )
        for index, (video, label, split) in enumerate(videos)
        for frame in range(frames)
    )
    return fixtures.write_prepared(os.path.join(data_dir, tag), examples, settings)


def _walk(layer):
    yield layer
    for sublayer in getattr(layer, "layers", ()):
        yield from _walk(sublayer)


def save_model(path):
    """A PEL model (EfficientNet-B0 RGB stream, 32 px, random weights) made to score like a trained one.

    Untrained batch-norm statistics (mean 0, variance 1) collapse every output to 0.5. Here they are set from
    one batch of 128 noisy face crops (momentum 0 for one training-mode call): varied enough that no
    channel's variance is near zero, so activations stay of order one and a frame's score does not depend
    on the batch it is in beyond float rounding. The classifier is then scaled so the logits spread over
    about +-2, giving distinct probabilities away from 0 and 1.
    """
    keras.utils.set_random_seed(0)
    model = pel_keras.build_model(**MODEL_SETTINGS)
    crops = np.stack([face_crop(i % 2, i // 2, i % 7) for i in range(128)]).astype(np.float32)
    images = np.clip(crops + np.random.default_rng(0).normal(0, 20, crops.shape), 0, 255).astype(np.float32)
    for layer in _walk(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(images, training=True)
    classifier = model.get_layer("classifier")
    kernel, bias = classifier.get_weights()
    logits = keras.Model(model.input, classifier.output).predict(images, verbose=0)[:, 0]
    scale = 1.5 / logits.std()
    classifier.set_weights([kernel * scale, (bias - logits.mean()) * scale])
    model.save(path)
    return path


def write_run(workdir, data_dir, model_file, train_dataset="ffpp_c40", **settings):
    """A run folder (:func:`pel_keras.testing.fixtures.write_run`): ``config.json`` as train.py writes it (a
    ``TrainConfig``; ``settings`` change its fields) and a copy of ``model_file`` as best.keras."""
    config = TrainConfig(
        **dict(
            MODEL_SETTINGS,
            weights="none",
            data_dir=str(data_dir),
            train_dataset=train_dataset,
            workdir=str(workdir),
            batch_size=4,
            **settings,
        )
    )
    return fixtures.write_run(workdir, config, model_file)
