"""A small but real training run for the export tests: a mixed-precision PEL (B0, 64 px) whose classifier
tells the two sample faces apart, ``config.json``, and prepared data with PNG face crops (label = which face)."""

import os

import cv2
import keras
import numpy as np

import pel_keras
from pel_keras.testing import fixtures
from pel_keras.testing.data_media import faces

SIZE = 64


def face_crops(count, seed=0, size=SIZE):
    """``count`` different BGR ``size`` x ``size`` crops of the two sample faces (shifted, scaled, mirrored,
    brightened); crop ``i`` shows face ``i % 2``."""
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(count):
        face = faces()[i % 2]
        zoom = rng.uniform(1.0, 1.3)
        big = cv2.resize(face, (round(size * zoom), round(size * zoom)), interpolation=cv2.INTER_AREA)
        x, y = rng.integers(0, big.shape[1] - size + 1), rng.integers(0, big.shape[0] - size + 1)
        crop = big[y : y + size, x : x + size].astype(np.float32) * rng.uniform(0.7, 1.2)
        crops.append(np.clip(crop[:, ::-1] if i % 4 >= 2 else crop, 0, 255).astype(np.uint8))
    return crops


def write_prepared_data(folder, splits=(("train", 16), ("val", 8)), size=SIZE):
    """``folder/manifest.csv`` with PNG crops, half real and half fake in each split, and ``prepare.json``
    (:func:`pel_keras.testing.fixtures.write_prepared`); returns the manifest. The label is which of the two
    faces a crop shows (1 = Grace Hopper), so a model can learn it."""
    crops = iter(face_crops(sum(count for _, count in splits), size=size))
    examples = (
        ({"label": i % 2, "video": f"{split}/{i // 2}", "split": split, "source": "test", "frame": i}, next(crops))
        for split, count in splits
        for i in range(count)
    )
    settings = {"frames": 1, "size": size, "margin": 1.4, "detector": "yunet"}
    return fixtures.write_prepared(folder, ((row, crop[..., ::-1]) for row, crop in examples), settings)


def fit_classifier(model, images, labels):
    """Sets the classifier to a linear probe of the pooled features: the direction from the mean feature of
    label 0 to that of label 1, scaled so the two class means sit at logits -3 and +3.

    An untrained model would answer ~0.5 for everything, which hides export errors; a random direction
    spreads the answers but over feature differences as small as the int8 and bfloat16 rounding, so the
    quantized files' agreement with Keras then depends on the initialisation. The probe's answers follow
    what tells the images apart.
    """
    pooled = keras.Model(model.input, model.get_layer("classifier").input)
    features = np.asarray(pooled.predict(images, verbose=0), np.float32)
    labels = np.asarray(labels)
    direction = (features[labels == 1].mean(0) - features[labels == 0].mean(0))[:, None]
    means = [float((features[labels == label] @ direction).mean()) for label in (0, 1)]
    scale = 6.0 / (means[1] - means[0])
    bias = -0.5 * (means[0] + means[1]) * scale
    model.get_layer("classifier").set_weights([direction * scale, np.array([bias], np.float32)])


def make_run(
    root, policy="mixed_bfloat16", backbone="efficientnet_b0", size=SIZE, splits=(("train", 16), ("val", 8)), seed=0
):
    """A run directory ``root/run`` (``config.json``, ``best.keras`` saved under ``policy``) whose training
    data is ``root/data/toy``; returns the run directory. The network keeps its random initialisation
    (``seed``) and its classifier is fitted to the training crops (:func:`fit_classifier`).

    The full-size parity figures of docs/benchmarks.md come from ``make_run(root, "float32", "efficientnet_b4", 320,
    (("train", 200), ("val", 32)))`` exported with ``export/export.py --workdir=root/run``.
    """
    write_prepared_data(os.path.join(root, "data", "toy"), splits, size)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(seed)
    try:
        model = pel_keras.build_model(backbone, image_size=size, weights=None)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    train = dict(splits)["train"]  # write_prepared_data's training crops come first
    fit_classifier(
        model, np.stack([c[..., ::-1] for c in face_crops(train, size=size)]).astype(np.float32), np.arange(train) % 2
    )
    config = {
        "data_dir": os.path.join(root, "data"),
        "train_dataset": "toy",
        "image_size": size,
        "backbone": backbone,
        "mixed_precision": policy != "float32",
        "weights": "none",
    }
    return fixtures.write_run(os.path.join(root, "run"), config, model)
