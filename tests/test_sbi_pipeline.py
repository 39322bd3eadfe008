"""``build_dataset(..., sbi=...)`` on a manifest prepared from real videos (YuNet landmarks in the manifest):
pairs and labels, the blend confined to the face at any image size, the manifest-fake option, seeds,
the shared JPEG step, shards."""

import dataclasses
import math

import cv2
import data_layouts
import numpy as np
import pytest

from pel_keras.data.manifest import parse_points
from pel_keras.data.pipeline import AugmentConfig, SBIConfig, build_dataset, read_split
from pel_keras.data.prepare import PrepareConfig, prepare
from pel_keras.data.sbi import face_region, pseudo_fake_pair

STORED = 64
NO_JPEG = SBIConfig(jpeg=0.0)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """FF++ layout with one method: 4 real and 4 fake training crops of 64 pixels, with landmarks."""
    tmp = tmp_path_factory.mktemp("ffpp")
    raw = data_layouts.make_ffpp(tmp / "raw", data_layouts.Clips(tmp / "clips", num_frames=4), methods=("Deepfakes",))
    prepare(
        PrepareConfig(
            dataset="ffpp",
            input=str(raw),
            output=str(tmp / "out"),
            frames=2,
            size=STORED,
            methods=("Deepfakes",),
            workers=1,
        )
    )
    return str(tmp / "out" / "ffpp_c23" / "manifest.csv")


def batches(manifest, count=1, size=STORED, batch=8, **kwargs):
    """``count`` training batches as numpy ``(images, labels, paths, videos)``."""
    kwargs = {"augment_config": AugmentConfig.off(), "sbi": NO_JPEG, **kwargs}
    dataset = build_dataset(manifest, "train", size, batch, training=True, with_ids=True, **kwargs)

    def strings(tensor):
        return [value.decode() for value in tensor.numpy()]

    return [
        (x.numpy(), y.numpy()[:, 0], strings(ids["path"]), strings(ids["video"])) for x, y, ids in dataset.take(count)
    ]


def png_rgb(path, size=STORED):
    image = cv2.imread(path)[..., ::-1]
    return image if size == STORED else cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("size", [STORED, 96])
def test_each_real_frame_is_followed_by_its_pseudo_fake_blended_inside_the_face(manifest, size):
    rows = {row["path"]: row for row in read_split(manifest, "train")}
    [(images, labels, paths, videos)] = batches(manifest, size=size)
    assert images.shape == (8, size, size, 3) and labels.tolist() == [0, 1] * 4
    config, scale = NO_JPEG, size / STORED
    reach = math.ceil(config.warp * size) + 1 + math.ceil(config.mask_blur[1] * size / 2)
    for real, fake, path, fake_path, video, fake_video in zip(
        images[::2], images[1::2], paths[::2], paths[1::2], videos[::2], videos[1::2]
    ):
        assert rows[path]["label"] == 0 and fake_path == path + "#sbi" and fake_video == video + "#sbi"
        if size == STORED:
            assert np.array_equal(real, png_rgb(path))
        landmarks = np.reshape(parse_points(rows[path]["landmarks"]), (5, 2)) * scale
        region = face_region(real.shape, landmarks)
        near_face = cv2.dilate(region, np.ones((2 * reach + 1,) * 2, np.uint8)) > 0
        changed = np.abs(fake - real).max(axis=2) > 0
        assert changed[region > 0].mean() > 0.3 and not changed[~near_face].any()


def test_labels_are_one_to_one_and_manifest_fakes_are_kept_only_when_asked(manifest):
    fakes = {row["path"] for row in read_split(manifest, "train") if row["label"] == 1}
    for only_real in (True, False):
        drawn = batches(manifest, count=12, sbi_only_real=only_real)
        assert all(labels.tolist() == [0, 1] * 4 for _, labels, _, _ in drawn)
        fake_paths = [path for _, _, paths, _ in drawn for path in paths[1::2]]
        from_manifest = [path for path in fake_paths if not path.endswith("#sbi")]
        assert set(from_manifest) <= fakes
        if only_real:
            assert not from_manifest
        else:  # half the units, by the seed: 48 draws
            assert 0.3 < len(from_manifest) / len(fake_paths) < 0.7


def test_same_seed_same_batches_other_seed_other_batches(manifest):
    augmented = {"augment_config": AugmentConfig(), "sbi": SBIConfig()}
    first, again, other = (batches(manifest, count=2, seed=seed, **augmented) for seed in (3, 3, 4))
    for (a, b), (_, c) in zip(zip(first, again), zip(first, other)):
        assert np.array_equal(a[0], b[0]) and a[2] == b[2]
        assert not np.array_equal(a[0], c[0])


def test_each_pair_is_the_numpy_pair_seeded_by_seed_and_unit_index(manifest):
    config = dataclasses.replace(NO_JPEG, jpeg=1.0, jpeg_quality=(40, 60))
    rows = {row["path"]: row for row in read_split(manifest, "train")}
    [(images, _, paths, _)] = batches(manifest, seed=7, sbi=config)
    for index, path in enumerate(paths[::2]):
        landmarks = np.reshape(parse_points(rows[path]["landmarks"]), (5, 2)).astype(np.float32)
        real, fake = pseudo_fake_pair(png_rgb(path), landmarks, np.random.default_rng([7, index]), config)
        assert np.array_equal(images[2 * index], real) and np.array_equal(images[2 * index + 1], fake)
        assert not np.array_equal(real, png_rgb(path))  # compressed: real frames too


def jpeg(image, quality):
    _, encoded = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]


def test_manifest_fakes_are_compressed_like_their_real(manifest):
    config = dataclasses.replace(NO_JPEG, jpeg=1.0, jpeg_quality=(30, 30))
    checked = 0
    for images, _, paths, _ in batches(manifest, count=3, sbi=config, sbi_only_real=False):
        for index in range(0, 8, 2):
            if not paths[index + 1].endswith("#sbi"):
                assert np.array_equal(images[index], jpeg(png_rgb(paths[index]), 30))
                assert np.array_equal(images[index + 1], jpeg(png_rgb(paths[index + 1]), 30))
                checked += 1
    assert checked >= 3


def test_shards_draw_their_own_real_frames(manifest):
    rows = read_split(manifest, "train")
    for shard in range(2):
        reals = {row["path"] for row in rows[shard::2] if row["label"] == 0}
        drawn = batches(manifest, count=4, num_shards=2, shard_index=shard)
        assert reals and {path for _, _, paths, _ in drawn for path in paths[::2]} == reals


def test_clear_errors(manifest, tmp_path):
    with pytest.raises(ValueError, match="sbi makes pseudo-fakes for training batches only"):
        build_dataset(manifest, "test", STORED, 4, sbi=SBIConfig())
    lines = open(manifest).read().splitlines()
    fakes_only = tmp_path / "manifest.csv"
    fakes_only.write_text("\n".join([lines[0]] + [line for line in lines[1:] if line.split(",")[1] == "1"]) + "\n")
    with pytest.raises(ValueError, match="self-blending needs real training frames; none among these 4 rows"):
        build_dataset(str(fakes_only), "train", STORED, 4, training=True, sbi=SBIConfig())
