"""The tf.data pipeline on a manifest prepared from real videos: shapes, dtypes, order, balance,
augmentations (those of :mod:`pel_keras.data.augment`, checked against references in test_augment.py),
determinism and sharding."""

import collections
import os

import cv2
import data_layouts
import numpy as np
import pytest
import tensorflow as tf

from pel_keras.data.augment import augment, element_rng
from pel_keras.data.example_images import read_crop
from pel_keras.data.manifest import read_manifest
from pel_keras.data.pipeline import AugmentConfig, build_dataset, distributed_dataset_fn, read_split
from pel_keras.data.prepare import PrepareConfig, prepare

SIZE = 64


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """FF++ layout (4 fakes per real), 2 frames per video, 64-pixel crops."""
    tmp = tmp_path_factory.mktemp("ffpp")
    raw = data_layouts.make_ffpp(tmp / "raw", data_layouts.Clips(tmp / "clips", num_frames=4))
    prepare(PrepareConfig(dataset="ffpp", input=str(raw), output=str(tmp / "out"), frames=2, size=SIZE, workers=1))
    return str(tmp / "out" / "ffpp_c23" / "manifest.csv")


def png_rgb(path):
    return cv2.imread(path)[..., ::-1].astype(np.float32)


def first_images(manifest, config, seed=0, count=8):
    dataset = build_dataset(
        manifest, "train", SIZE, count, training=True, augment_config=config, seed=seed, with_ids=True
    )
    images, _, ids = next(iter(dataset))
    return images.numpy(), [p.decode() for p in ids["path"].numpy()]


def test_training_batches_shapes_dtypes_and_balance(manifest):
    rows = read_split(manifest, "train")
    assert collections.Counter(r["label"] for r in rows) == {0: 4, 1: 16}  # FF++'s 4:1
    dataset = build_dataset(manifest, "train", image_size=SIZE, batch_size=16, training=True, seed=1)
    assert dataset.element_spec[0].shape.as_list() == [16, SIZE, SIZE, 3]
    labels = []
    for images, batch_labels in dataset.take(30):
        assert images.dtype == tf.float32 and batch_labels.dtype == tf.float32 and batch_labels.shape == (16, 1)
        assert 0 <= images.numpy().min() and images.numpy().max() <= 255
        labels.append(batch_labels.numpy())
    assert abs(np.mean(labels) - 0.5) < 0.06  # 480 draws: 1:1, not the manifest's 4:1
    unbalanced = build_dataset(manifest, "train", SIZE, 16, training=True, balance=False, seed=1)
    assert abs(np.mean([y.numpy() for _, y in unbalanced.take(30)]) - 0.8) < 0.06


def test_evaluation_order_ids_pixels_and_last_partial_batch(manifest):
    rows = read_split(manifest, "test")
    batches = list(build_dataset(manifest, "test", image_size=SIZE, batch_size=7, with_ids=True))
    assert [len(b[1]) for b in batches] == [7] * (len(rows) // 7) + [len(rows) % 7]
    paths = [p.decode() for b in batches for p in b[2]["path"].numpy()]
    videos = [v.decode() for b in batches for v in b[2]["video"].numpy()]
    labels = np.concatenate([b[1].numpy() for b in batches])[:, 0]
    assert paths == [r["path"] for r in rows] and videos == [r["video"] for r in rows]
    assert labels.tolist() == [float(r["label"]) for r in rows]
    assert os.path.isabs(paths[0]) and np.array_equal(batches[0][0][0].numpy(), png_rgb(paths[0]))  # RGB, 0..255


def test_crops_are_resized_to_the_requested_size(manifest):
    images, labels = next(iter(build_dataset(manifest, "val", image_size=48, batch_size=4)))
    assert images.shape == (4, 48, 48, 3) and labels.shape == (4, 1)


def test_augmentation_off_gives_the_stored_pixels(manifest):
    images, paths = first_images(manifest, AugmentConfig.off())
    for image, path in zip(images, paths):
        assert np.array_equal(image, png_rgb(path))


def test_each_training_image_is_its_crop_augmented_with_the_generator_of_seed_and_index(manifest):
    config = AugmentConfig(flip=0.5, jpeg=0.5, blur=0.5, color=0.5)
    images, paths = first_images(manifest, config, seed=5)
    for index, (image, path) in enumerate(zip(images, paths)):
        expected = augment(read_crop(path, SIZE)[0], config, element_rng(5, index))
        assert np.array_equal(image, expected), index
    assert len({image.tobytes() for image in images}) == len(images)


def test_augmentation_and_order_follow_the_seed(manifest):
    a, paths_a = first_images(manifest, AugmentConfig(), seed=3)
    b, paths_b = first_images(manifest, AugmentConfig(), seed=3)
    c, paths_c = first_images(manifest, AugmentConfig(), seed=4)
    assert paths_a == paths_b and np.array_equal(a, b)
    assert paths_a != paths_c or not np.array_equal(a, c)


def test_shards_are_disjoint_and_cover_the_split(manifest):
    def paths(dataset):
        return [p.decode() for _, _, ids in dataset for p in ids["path"].numpy()]

    shards = [
        paths(build_dataset(manifest, "test", SIZE, 5, num_shards=3, shard_index=k, with_ids=True)) for k in range(3)
    ]
    assert sorted(sum(shards, [])) == sorted(r["path"] for r in read_split(manifest, "test"))
    assert not set(shards[0]) & set(shards[1])
    context = tf.distribute.InputContext(num_input_pipelines=3, input_pipeline_id=2, num_replicas_in_sync=3)
    dataset = distributed_dataset_fn(manifest, "test", global_batch_size=15, image_size=SIZE, with_ids=True)(context)
    assert paths(dataset) == shards[2] and next(iter(dataset))[0].shape[0] == 5


def test_clear_errors(manifest, tmp_path):
    reals_only = tmp_path / "manifest.csv"
    lines = open(manifest).read().splitlines()
    reals_only.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.split(",")[1] == "0"]) + "\n")
    with pytest.raises(ValueError, match="cannot balance classes: 4 real and 0 fake"):
        build_dataset(str(reals_only), "train", SIZE, 4, training=True)
    with pytest.raises(ValueError, match="no 'val' rows"):
        build_dataset(str(reals_only), "val", SIZE, 4, num_shards=100, shard_index=99)
    (tmp_path / "other.csv").write_text("file,label\na.png,1\n")
    with pytest.raises(ValueError, match=r"other.csv: not a manifest, missing columns \['path', 'split', 'video'\]"):
        read_manifest(str(tmp_path / "other.csv"))
    with pytest.raises(ValueError, match="split must be"):
        read_split(manifest, "training")
    with pytest.raises(ValueError, match="flip is a probability in \\[0, 1\\], got 1.5"):
        AugmentConfig(flip=1.5)
    with pytest.raises(ValueError, match=r"jpeg_quality is a \(lowest, highest\) pair .*, got \(90, 60\)"):
        AugmentConfig(jpeg_quality=(90, 60))
    with pytest.raises(ValueError, match=r"contrast is in \[0, 1\) .*, got 1.0"):
        AugmentConfig(contrast=1.0)
