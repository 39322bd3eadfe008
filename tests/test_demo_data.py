"""The built-in demo dataset: splits, held-out user faces, pseudo-fakes, determinism, reuse."""

import collections
import os

import cv2
import numpy as np
import pytest

from pel_keras.data.demo_dataset import DemoConfig, build_demo_dataset, package_faces, random_view, source_splits
from pel_keras.data.faces import Face
from pel_keras.data.manifest import read_manifest, read_settings
from pel_keras.testing import data_media

TINY = DemoConfig(size=48, videos=(3, 2, 2), frames=2)


@pytest.fixture(scope="module")
def demo_manifest(tmp_path_factory):
    return build_demo_dataset(str(tmp_path_factory.mktemp("data")), TINY)


def test_counts_labels_and_sources_per_split(demo_manifest):
    rows = read_manifest(demo_manifest)
    counts = collections.Counter((row["split"], row["label"]) for row in rows)
    assert counts == {("train", 0): 3 * 2, ("val", 0): 2 * 2, ("val", 1): 2 * 2, ("test", 0): 2 * 2, ("test", 1): 2 * 2}
    train_sources = {row["source"] for row in rows if row["split"] == "train"}
    assert train_sources == {"astronaut", "grace_hopper"}
    assert {row["source"] for row in rows if row["split"] == "test"} == {
        "astronaut",
        "sbi/astronaut",
        "grace_hopper",
        "sbi/grace_hopper",
    }
    for row in rows:
        image = cv2.imread(os.path.join(os.path.dirname(demo_manifest), row["path"]))
        assert image.shape == (48, 48, 3)
        assert len(row["landmarks"].split()) == 10


def test_the_crop_settings_are_recorded_as_prepare_py_does(demo_manifest):
    settings = read_settings(os.path.dirname(demo_manifest))
    assert settings == {"frames": 2, "size": 48, "margin": TINY.margin, "detector": "yunet"}


def test_fakes_differ_from_their_reals_inside_the_face_only(demo_manifest):
    rows = {(row["video"], row["frame"]): row for row in read_manifest(demo_manifest)}
    folder = os.path.dirname(demo_manifest)
    real = cv2.imread(os.path.join(folder, rows[("real/test_0000", 0)]["path"])).astype(int)
    fake = cv2.imread(os.path.join(folder, rows[("fake/test_0000", 0)]["path"])).astype(int)
    difference = np.abs(real - fake).sum(axis=2)
    assert difference.max() > 0
    centre, border = (
        difference[16:32, 16:32].mean(),
        np.concatenate([difference[:4].ravel(), difference[-4:].ravel()]).mean(),
    )
    assert centre > border


def test_existing_demo_data_is_reused_and_other_settings_are_refused(demo_manifest):
    data_dir = os.path.dirname(os.path.dirname(demo_manifest))
    before = os.path.getmtime(demo_manifest)
    assert build_demo_dataset(data_dir, TINY) == demo_manifest
    assert os.path.getmtime(demo_manifest) == before
    with pytest.raises(ValueError, match="other settings"):
        build_demo_dataset(data_dir, DemoConfig(size=64, videos=(3, 2, 2), frames=2))


def test_user_images_join_and_faceless_ones_are_skipped(tmp_path, capsys):
    from skimage import data

    real_dir = tmp_path / "mine"
    real_dir.mkdir()
    cv2.imwrite(str(real_dir / "me.png"), data.astronaut()[:, ::-1, ::-1])
    cv2.imwrite(str(real_dir / "wall.png"), np.full((64, 64, 3), 128, np.uint8))
    manifest = build_demo_dataset(str(tmp_path / "data"), TINY, real_dir=str(real_dir))
    sources = {row["source"] for row in read_manifest(manifest)}
    assert any(source.endswith("me.png") for source in sources)
    assert "user/wall.png" in capsys.readouterr().out


def test_user_images_follow_the_media_rule_and_a_bomb_is_refused(tmp_path, capsys):
    real_dir = tmp_path / "mine"
    (real_dir / "trip").mkdir(parents=True)
    cv2.imwrite(str(real_dir / "me.jpg"), data_media.faces()[0])
    cv2.imwrite(str(real_dir / "trip" / "0001.tif"), data_media.faces()[1])  # a sub-folder's images count too
    data_media.write_png_bomb(str(real_dir / "bomb.png"))
    assert cv2.imwritemulti(str(real_dir / "clip.gif"), [data_media.frame(0)])
    (real_dir / "notes.txt").write_text("not a photo")
    sources = [source for source, _ in package_faces(str(real_dir))]
    assert sources == ["astronaut", "grace_hopper", "user/me.jpg", os.path.join("user/trip", "0001.tif")]
    printed = capsys.readouterr().out
    assert "bomb.png: 20000x20000 pixels (400 megapixels) is above the limit of 50 megapixels" in printed
    assert "clip.gif skipped: a video" in printed and "notes.txt skipped: not a media file" in printed


def test_a_share_of_the_users_images_is_never_trained_on():
    names = [f"user/photo_{i:03d}.jpg" for i in range(200)]
    held_out = [name for name in names if "train" not in source_splits(name)]
    assert 0.12 < len(held_out) / len(names) < 0.28  # USER_HELD_OUT = 0.2 by a stable hash
    assert all(source_splits(name) == ("val", "test") for name in held_out)
    assert source_splits("astronaut") == source_splits("grace_hopper") == ("train", "val", "test")


def test_random_view_is_deterministic_and_keeps_landmark_order():
    image = np.zeros((200, 200, 3), np.uint8)
    landmarks = np.array([[80, 90], [120, 90], [100, 110], [85, 130], [115, 130]], float)
    face = Face((60, 60, 140, 150), 0.9, landmarks)
    first = random_view(image, face, np.random.default_rng(3), 64, 1.3)
    second = random_view(image, face, np.random.default_rng(3), 64, 1.3)
    np.testing.assert_array_equal(first[0], second[0])
    for seed in range(8):
        _, points = random_view(image, face, np.random.default_rng(seed), 64, 1.3)
        assert points[0, 0] < points[1, 0]  # the subject's right eye stays on the image's left
        assert points[3, 0] < points[4, 0]
