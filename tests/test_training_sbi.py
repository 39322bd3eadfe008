"""Training with self-blended pseudo-fakes (--sbi): the run's data from a training split of real videos only."""

import csv

import numpy as np
import pytest
import tensorflow as tf
from training_data import write_dataset

from pel_keras.data.manifest import COLUMNS, csv_text, read_manifest
from pel_keras.files.atomic import atomic_write
from pel_keras.training import TrainConfig
from pel_keras.training.train_val_datasets import epoch_images, train_dataset_fn, write_run_manifest


@pytest.fixture()
def real_only_train(tmp_path):
    """The toy dataset with the training split's fakes removed and landmarks on every real row."""
    manifest = write_dataset(str(tmp_path), size=48)
    rows = [row for row in read_manifest(manifest) if not (row["split"] == "train" and row["label"] == 1)]
    for row in rows:
        row["landmarks"] = "16 18 32 18 24 26 18 34 30 34" if row["label"] == 0 else ""
    atomic_write(manifest, csv_text(COLUMNS, rows))
    return str(tmp_path)


def _config(data_dir, tmp_path, **overrides):
    return TrainConfig(
        data_dir=data_dir,
        train_dataset="toy",
        workdir=str(tmp_path / "run"),
        backbone="efficientnet_tiny",
        weights="none",
        image_size=48,
        batch_size=4,
        frames=4,
        **overrides,
    )


def test_a_real_only_training_split_needs_sbi(real_only_train, tmp_path):
    path = str(tmp_path / "run_manifest.csv")
    with pytest.raises(ValueError, match=r"holds labels \[0\]; this run needs real \(0\) and fake \(1\).*--sbi"):
        write_run_manifest(_config(real_only_train, tmp_path), path)
    config = _config(real_only_train, tmp_path, sbi=True)
    rows = write_run_manifest(config, path)
    assert {row["label"] for row in rows["train"]} == {0} and {row["label"] for row in rows["val"]} == {0, 1}
    with open(path, newline="") as file:
        written = list(csv.DictReader(file))
    assert all(len(row["landmarks"].split()) == 10 for row in written if row["label"] == "0")  # the mask's anchors
    assert epoch_images(config, rows["train"]) == 2 * len(rows["train"])


def test_sbi_batches_pair_each_real_frame_with_its_blend(real_only_train, tmp_path):
    config = _config(
        real_only_train,
        tmp_path,
        sbi=True,
        sbi_colour=1.0,
        augment_flip=0.0,
        augment_jpeg=0.0,
        augment_blur=0.0,
        augment_color=0.0,
    )
    path = str(tmp_path / "run_manifest.csv")
    write_run_manifest(config, path)
    dataset_fn = train_dataset_fn(config, path, seed=3)
    images, labels = next(iter(dataset_fn(tf.distribute.InputContext())))
    np.testing.assert_array_equal(labels.numpy().ravel(), [0, 1, 0, 1])
    real, fake = images.numpy()[0], images.numpy()[1]
    changed = np.abs(real - fake).sum(axis=-1) > 0
    assert changed[16:32, 16:32].mean() > 0.5  # the face between the landmarks is blended
