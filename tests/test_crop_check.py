"""The up-front crop check (pel_keras.data.crop_check): a crop cut short or missing is named with its reason,
as TensorFlow's decoder would fail on it; crops found whole are remembered, so a second check reads none."""

import json
import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

from pel_keras.data.crop_check import CACHE, UnreadableCropsError, check_crops, crop_problem


def write_crop(path, extension=".png", seed=0):
    image = np.random.default_rng(seed).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    path = str(path) + extension
    assert cv2.imwrite(path, image)
    return path


def tensorflow_decodes(path):
    try:
        tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return True
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError):
        return False


@pytest.mark.parametrize("extension", [".png", ".jpg"])
def test_every_cut_that_tensorflow_cannot_decode_is_found(tmp_path, extension):
    whole = write_crop(tmp_path / "whole", extension)
    data = open(whole, "rb").read()
    assert crop_problem(whole) is None and tensorflow_decodes(whole)
    undecodable = 0
    for length in [1, 8, 100, len(data) // 3, len(data) // 2, len(data) - 100, len(data) - 13, len(data) - 2]:
        cut = tmp_path / f"cut_{length}{extension}"
        cut.write_bytes(data[:length])
        if not tensorflow_decodes(str(cut)):
            undecodable += 1
            assert crop_problem(str(cut)) is not None, length
        assert crop_problem(str(cut)) is not None, length  # a file cut short is broken even where TF copes
    assert undecodable >= 5  # the reference does fail on most cuts: the test is not vacuous


def test_each_problem_gets_its_reason(tmp_path):
    png = write_crop(tmp_path / "a")
    (tmp_path / "cut.png").write_bytes(open(png, "rb").read()[:2702])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image\n")
    (tmp_path / "folder.png").mkdir()
    assert crop_problem(str(tmp_path / "cut.png")) == "truncated: the PNG stops after 2702 bytes without its end marker"
    assert crop_problem(str(tmp_path / "missing.png")) == "missing"
    assert crop_problem(str(tmp_path / "empty.png")) == "empty (0 bytes)"
    assert crop_problem(str(tmp_path / "text.png")) == "not an image TensorFlow decodes (it starts with b'not an i')"
    assert crop_problem(str(tmp_path / "folder.png")) == "a folder, not an image file"
    for name in ("cut.png", "missing.png", "empty.png", "text.png"):
        assert not tensorflow_decodes(str(tmp_path / name))


def test_the_error_names_each_bad_crop_and_the_manifest(tmp_path):
    crops = [write_crop(tmp_path / f"{i:02d}", seed=i) for i in range(30)]
    for path in crops[5:28]:
        os.truncate(path, 500)
    with pytest.raises(UnreadableCropsError) as error:
        check_crops(crops + [str(tmp_path / "gone.png")], source="DATA/x/manifest.csv")
    message = str(error.value)
    assert message.startswith("24 of 31 crops listed in DATA/x/manifest.csv cannot be read:\n")
    assert f"  {crops[5]}: truncated: the PNG stops after 500 bytes" in message
    assert f"  {tmp_path / 'gone.png'}: missing" not in message  # sorted: the 20 named come first, then a count
    assert "  ... and 4 more" in message and crops[4] not in message


def test_crops_found_whole_are_not_read_again_until_they_change(tmp_path):
    crops = [write_crop(tmp_path / f"{i:02d}", seed=i) for i in range(10)]
    cache = str(tmp_path / "run" / CACHE)
    assert check_crops(crops, cache) == 10
    assert check_crops(crops, cache) == 0
    os.truncate(crops[3], 300)  # a new size: read again, and found
    with pytest.raises(UnreadableCropsError, match="1 of 10 crops"):
        check_crops(crops, cache)
    assert sorted(json.load(open(cache))["crops"]) == sorted(crops[:3] + crops[4:])
    write_crop(tmp_path / "03", seed=3)
    assert check_crops(crops, cache) == 1
    open(cache, "w").write("{broken")  # a damaged cache is only a cache: everything is read again
    assert check_crops(crops, cache) == 10
