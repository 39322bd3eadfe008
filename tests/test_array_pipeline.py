"""The TensorFlow-free input pipeline (numpy batches for JAX and PyTorch): the same evaluation batches as
``tf.data``'s, the shared augmentations seeded by (seed, index), class balance, seeds and threads, passes
reshuffled, shards, self-blended pairs, and the file named when a crop cannot be read."""

import collections
import re

import numpy as np
import pytest
from training_data import image

from pel_keras.data.array_pipeline import build_batches
from pel_keras.data.augment import AugmentConfig, augment, element_rng
from pel_keras.data.example_images import read_crop
from pel_keras.data.input_pipelines import InputContext, per_input_pipeline
from pel_keras.data.manifest import COLUMNS, csv_text, read_split
from pel_keras.data.sbi import SBIConfig
from pel_keras.data.sbi_pairs import landmark_table, training_pair
from pel_keras.testing import fixtures

STORED = 40
AUGMENTED = AugmentConfig(flip=0.5, jpeg=0.5, blur=0.5, color=0.5)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """FF++'s 4 fakes per real: per split 4 real and 16 fake videos of 2 frames, stored at 40 pixels."""
    rng, examples = np.random.default_rng(0), []
    for split in ("train", "val", "test"):
        for v in range(20):
            label = int(v >= 4)
            for frame in (0, 10):
                row = {"label": label, "video": f"{split}_{v:02d}", "split": split, "source": "toy", "frame": frame}
                examples.append((row, image(rng, STORED, label)))
    return fixtures.write_prepared(str(tmp_path_factory.mktemp("toy")), examples)


def paths_of(batches):
    return [str(path) for batch in batches for path in batch[2]["path"]]


def take(batches, count):
    iterator = iter(batches)
    return [next(iterator) for _ in range(count)]


@pytest.mark.parametrize("size", [STORED, 32])
def test_evaluation_batches_equal_those_of_tf_data(manifest, size):
    pytest.importorskip("tensorflow")
    from pel_keras.data.pipeline import build_dataset

    ours = list(build_batches(manifest, "test", size, 7, with_ids=True))
    theirs = list(build_dataset(manifest, "test", size, 7, with_ids=True).as_numpy_iterator())
    assert [len(b[1]) for b in ours] == [7] * 5 + [5] == [len(b[1]) for b in theirs]  # 40 rows: last batch kept
    for (images, labels, ids), (tf_images, tf_labels, tf_ids) in zip(ours, theirs):
        assert images.dtype == tf_images.dtype == np.float32 and images.shape[1:] == (size, size, 3)
        assert np.array_equal(images, tf_images) and np.array_equal(labels, tf_labels)
        for key in ("video", "path"):
            assert ids[key].tolist() == [value.decode() for value in tf_ids[key]]
    assert paths_of(ours) == [row["path"] for row in read_split(manifest, "test")]


def test_each_training_image_is_its_crop_augmented_with_the_generator_of_seed_and_index(manifest):
    batches = take(
        build_batches(manifest, "train", 32, 8, training=True, augment_config=AUGMENTED, seed=5, with_ids=True), 3
    )
    for index, (picture, path) in enumerate(zip(np.concatenate([b[0] for b in batches]), paths_of(batches))):
        expected = augment(read_crop(path, 32)[0], AUGMENTED, element_rng(5, index))
        assert np.array_equal(picture, expected), index
    assert len({picture.tobytes() for b in batches for picture in b[0]}) == 24


def test_training_draws_real_and_fake_one_to_one_unless_told_otherwise(manifest):
    def fake_share(**kwargs):
        batches = take(
            build_batches(manifest, "train", 16, 16, training=True, augment_config=AugmentConfig.off(), **kwargs), 30
        )
        assert all(labels.shape == (16, 1) and labels.dtype == np.float32 for _, labels in batches)
        return np.mean([labels for _, labels in batches])

    assert collections.Counter(row["label"] for row in read_split(manifest, "train")) == {0: 8, 1: 32}
    assert abs(fake_share(seed=1) - 0.5) < 0.06  # 480 draws
    assert abs(fake_share(seed=1, balance=False) - 0.8) < 0.06  # the manifest's 4:1


def test_same_seed_same_batches_with_any_threads_other_seed_other_batches(manifest):
    def first(seed, workers):
        return take(
            build_batches(manifest, "train", 32, 8, training=True, seed=seed, workers=workers, with_ids=True), 3
        )

    one, four, other = first(3, 1), first(3, 4), first(4, 4)
    for a, b in zip(one, four):
        assert (
            np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2]["path"].tolist() == b[2]["path"].tolist()
        )
    assert paths_of(one) != paths_of(other)
    assert not any(np.array_equal(a[0], c[0]) for a, c in zip(one, other))


def test_training_is_endless_and_every_pass_is_a_new_order_of_the_rows(manifest):
    rows = sorted(row["path"] for row in read_split(manifest, "train"))
    batches = build_batches(
        manifest, "train", 16, 8, training=True, balance=False, augment_config=AugmentConfig.off(), with_ids=True
    )
    with pytest.raises(TypeError, match="endless"):
        len(batches)
    drawn = paths_of(take(batches, 25))  # five passes over 40 rows
    passes = [drawn[start : start + len(rows)] for start in range(0, len(drawn), len(rows))]
    assert all(sorted(part) == rows for part in passes)
    assert len({tuple(part) for part in passes}) == 5
    assert paths_of(take(batches, 5)) == drawn[:40]  # iterating again starts the same stream


def test_shards_are_disjoint_cover_the_split_and_batch_a_share_of_the_global_batch(manifest):
    shards = [
        paths_of(build_batches(manifest, "test", STORED, 5, num_shards=3, shard_index=k, with_ids=True))
        for k in range(3)
    ]
    assert sorted(sum(shards, [])) == sorted(row["path"] for row in read_split(manifest, "test"))
    assert not set(shards[0]) & set(shards[1]) and not set(shards[1]) & set(shards[2])
    dataset_fn = per_input_pipeline(build_batches, manifest, "test", 15, image_size=STORED, with_ids=True)
    batches = dataset_fn(InputContext(num_input_pipelines=3, input_pipeline_id=2))
    assert paths_of(batches) == shards[2] and len(next(iter(batches))[1]) == 5
    train = take(build_batches(manifest, "train", 16, 4, training=True, num_shards=2, shard_index=1, with_ids=True), 20)
    assert set(paths_of(train)) == {row["path"] for row in read_split(manifest, "train")[1::2]}
    with pytest.raises(ValueError, match="does not split evenly over 2 input pipelines"):
        InputContext(num_input_pipelines=2).get_per_replica_batch_size(15)


def test_self_blended_units_are_the_shared_numpy_pairs(manifest):
    sbi, rows = SBIConfig(), {row["path"]: row for row in read_split(manifest, "train")}
    kwargs = {"training": True, "augment_config": AUGMENTED, "sbi": sbi, "seed": 7, "with_ids": True}
    for only_real in (True, False):
        batches = take(build_batches(manifest, "train", 32, 8, sbi_only_real=only_real, **kwargs), 6)
        assert all(labels[:, 0].tolist() == [0, 1] * 4 for _, labels, _ in batches)
        images, paths = np.concatenate([b[0] for b in batches]), paths_of(batches)
        videos = [str(video) for b in batches for video in b[2]["video"]]
        for unit in range(len(paths) // 2):
            real, fake, video = paths[2 * unit], paths[2 * unit + 1], videos[2 * unit]
            assert rows[real]["label"] == 0
            partner = "" if fake.endswith("#sbi") else fake
            if partner:
                assert rows[fake]["label"] == 1 and videos[2 * unit + 1] == rows[fake]["video"]
            else:
                assert (fake, videos[2 * unit + 1]) == (real + "#sbi", video + "#sbi")
            [landmarks] = landmark_table([rows[real]])
            expected = training_pair(real, landmarks, partner, 32, sbi, AUGMENTED, 7, unit)
            assert np.array_equal(images[2 * unit : 2 * unit + 2], expected), unit
        partnered = sum(not path.endswith("#sbi") for path in paths[1::2])
        assert partnered == 0 if only_real else 0.3 < partnered / 24 < 0.7


def test_a_crop_that_cannot_be_read_is_named(manifest, tmp_path):
    [first, second] = read_split(manifest, "test")[:2]
    gone, cut = str(tmp_path / "gone.png"), str(tmp_path / "cut.png")
    with open(cut, "wb") as file:
        file.write(open(second["path"], "rb").read()[:100])
    for path, error, message in [
        (gone, FileNotFoundError, f"No such file or directory: '{gone}'"),
        (cut, ValueError, f"{cut}: not a readable image"),
    ]:
        (tmp_path / "manifest.csv").write_text(csv_text(COLUMNS, [first, dict(second, path=path)]))
        with pytest.raises(error, match=re.escape(message)):
            list(build_batches(str(tmp_path / "manifest.csv"), "test", STORED, 4))


def test_clear_errors(manifest, tmp_path):
    lines = open(manifest).read().splitlines()
    reals_only = tmp_path / "manifest.csv"
    reals_only.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.split(",")[1] == "0"]) + "\n")
    with pytest.raises(ValueError, match="cannot balance classes: 8 real and 0 fake"):
        build_batches(str(reals_only), "train", STORED, 4, training=True)
    with pytest.raises(ValueError, match="no 'val' rows"):
        build_batches(manifest, "val", STORED, 4, num_shards=100, shard_index=99)
    with pytest.raises(ValueError, match="sbi makes pseudo-fakes for training batches only"):
        build_batches(manifest, "test", STORED, 4, sbi=SBIConfig())
    fakes_only = tmp_path / "fakes.csv"
    fakes_only.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.split(",")[1] == "1"]) + "\n")
    with pytest.raises(ValueError, match="self-blending needs real training frames; none among these 32 rows"):
        build_batches(str(fakes_only), "train", STORED, 4, training=True, sbi=SBIConfig())
