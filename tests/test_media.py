"""Reading media safely: the pixel limit before decoding (a real decompression bomb), the operating
system's own reason when a file cannot be read, and the one rule for which files are media."""

import json
import logging
import os
import struct
import subprocess
import sys

import cv2
import numpy as np
import pytest

from pel_keras.data.datasets import read_dataset
from pel_keras.data.media_files import MediaError, list_media
from pel_keras.data.video import read_frame, sample_frames
from pel_keras.prediction.inputs import expand_inputs, read_frames
from pel_keras.testing import data_media

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOBODY = 65534
# Runs in a fresh process: reads every path in argv[2:] (after dropping to user nobody when argv[1] is
# "nobody") and prints, per path, the frames read or the error, then the process's peak memory: VmHWM, the
# high-water mark of this program's own memory (getrusage's ru_maxrss would count the forking parent's).
READER = """
import json, os, sys
from pel_keras.data.media_files import MediaError
from pel_keras.data.video import sample_frames
if sys.argv[1] == "nobody":
    os.setegid(65534)
    os.seteuid(65534)
for path in sys.argv[2:]:
    try:
        print(json.dumps([index for index, _ in sample_frames(path, 4)]))
    except MediaError as error:
        print(json.dumps(str(error)))
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024)
"""


def read_in_subprocess(paths, user="root", cwd=None):
    """``([frames read or error message per path], peak resident memory in MB)`` of a fresh process."""
    env = dict(os.environ, PYTHONPATH=REPO)
    done = subprocess.run(
        [sys.executable, "-c", READER, user, *map(str, paths)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *results, peak = done.stdout.splitlines()
    return [json.loads(result) for result in results], int(peak)


def write_gif(path, num_frames=5, size=(160, 120)):
    frames = [data_media.frame(i, size) for i in range(num_frames)]
    assert cv2.imwritemulti(str(path), frames)
    return str(path)


# -- the pixel limit -------------------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header_in_little_memory(tmp_path):
    bomb = data_media.write_png_bomb(str(tmp_path / "bomb.png"))
    small = str(tmp_path / "small.png")
    cv2.imwrite(small, data_media.frame(0))
    (refused, read), peak = read_in_subprocess([bomb, small])
    assert refused.startswith(f"{bomb}: 20000x20000 pixels (400 megapixels) is above the limit of 50 megapixels")
    assert refused.endswith("raise --max_megapixels if you trust this file (decoding takes 3 bytes a pixel)")
    assert read == [0]
    assert peak < 200  # decoding it took 2331 MB (measured with OpenCV 4.13); cv2 and numpy alone take ~40


def test_the_limit_is_a_setting_and_holds_for_every_kind_of_media(tmp_path):
    video = data_media.write_video(str(tmp_path / "clip.avi"), 4, size=(192, 144), codec="MJPG")
    gif = write_gif(tmp_path / "clip.gif")
    (tmp_path / "seq").mkdir()
    for index in range(3):
        cv2.imwrite(str(tmp_path / "seq" / f"{index:04d}.png"), data_media.frame(index))
    for path, size in ((video, "192x144"), (gif, "160x120"), (str(tmp_path / "seq"), "192x144")):
        with pytest.raises(MediaError, match=f"{size} pixels .* above the limit of 0.01 megapixels"):
            sample_frames(path, 4, max_megapixels=0.01)
        assert len(sample_frames(path, 2, max_megapixels=0.03)) == 2
    with pytest.raises(MediaError, match="192x144 pixels"):
        read_frame(video, 1, max_megapixels=0.01)


def test_a_bomb_inside_a_video_name_or_a_frame_folder_is_refused_before_ffmpeg_sees_it(tmp_path):
    disguised = data_media.write_png_bomb(str(tmp_path / "clip.mp4"))
    with pytest.raises(MediaError, match="clip.mp4: 20000x20000 pixels"):
        sample_frames(disguised, 4)
    gif = tmp_path / "huge.gif"  # a GIF declaring a 65535x65535 screen, a few bytes long
    gif.write_bytes(b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0) + b",\0\0\0\0\1\0\1\0\0\2\2D\1\0;")
    with pytest.raises(MediaError, match="huge.gif: 65535x65535 pixels"):
        sample_frames(str(gif), 4)
    (tmp_path / "seq").mkdir()
    cv2.imwrite(str(tmp_path / "seq" / "0000.png"), data_media.frame(0))
    data_media.write_png_bomb(str(tmp_path / "seq" / "0001.png"), 10000, 10000)
    with pytest.raises(MediaError, match="0001.png: 10000x10000 pixels"):
        sample_frames(str(tmp_path / "seq"), 2)


# -- the operating system's own reason -------------------------------------------------------------------


def test_a_file_that_cannot_be_read_is_reported_with_the_reason_and_its_path(tmp_path):
    video = data_media.write_video(str(tmp_path / "denied.mp4"), 3)
    cv2.imwrite(str(tmp_path / "denied.png"), data_media.frame(0))
    data_media.write_video(str(tmp_path / "open.mp4"), 3)
    (tmp_path / "locked").mkdir()
    cv2.imwrite(str(tmp_path / "locked" / "0001.png"), data_media.frame(0))
    for name in ("denied.mp4", "denied.png", "locked"):
        os.chmod(tmp_path / name, 0o600 if os.geteuid() == 0 else 0)
    os.chmod(tmp_path, 0o711)  # user nobody may look names up in it, not list it
    paths = ["denied.mp4", "denied.png", "locked", "open.mp4"]
    if os.geteuid() == 0:  # root reads any file: the reader gives up its rights before reading
        results, _ = read_in_subprocess(paths, "nobody", cwd=tmp_path)
    else:
        results, _ = read_in_subprocess(paths, cwd=tmp_path)
    assert results == [
        "denied.mp4: permission denied",
        "denied.png: permission denied",
        "locked: permission denied",
        [0, 1, 2],
    ]
    assert len(sample_frames(video, 4)) == 3  # the file itself is sound


def test_a_symlink_loop_a_dangling_link_and_a_fifo_say_what_they_are(tmp_path):
    os.symlink("loop.mp4", tmp_path / "loop.mp4")
    os.symlink("gone.png", tmp_path / "dangling.png")
    os.mkfifo(tmp_path / "pipe.mp4")
    expected = {
        "loop.mp4": "too many levels of symbolic links",
        "dangling.png": "no such file or directory",
        "pipe.mp4": "not a regular file",
    }
    for name, reason in expected.items():
        with pytest.raises(MediaError, match=f"{name}: {reason}$"):
            sample_frames(str(tmp_path / name), 4)
    items = expand_inputs([str(tmp_path / "loop.mp4")])
    with pytest.raises(MediaError, match="loop.mp4: too many levels of symbolic links"):
        read_frames(items[0], 4)


# -- which files are media -------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    """A folder of every case: a GIF, a video of an unknown extension, text, hidden files, a linked folder."""
    root = tmp_path / "clips"
    root.mkdir()
    write_gif(root / "anim.gif")
    data_media.write_video(str(root / "clip.mp4"), 3)
    data_media.write_video(str(root / "phone.3gp"), 3)  # a real video, of an extension outside the rule
    cv2.imwrite(str(root / "photo.jpg"), data_media.frame(0))
    (root / "notes.txt").write_text("not media")
    (root / ".DS_Store").write_bytes(b"\0" * 16)
    (root / "._clip.mp4").write_bytes(b"\0" * 16)  # macOS's resource fork beside clip.mp4
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "linked")
    return root


def test_one_rule_lists_a_gif_skips_unknown_extensions_and_says_so(folder):
    listing = list_media(str(folder))
    assert [os.path.basename(p) for p in listing.media] == ["anim.gif", "clip.mp4", "photo.jpg"]
    assert [(os.path.basename(p), reason.split(" (")[0]) for p, reason in listing.skipped] == [
        ("linked", "a link to a folder"),
        ("notes.txt", "not a media file"),
        ("phone.3gp", "not a media file"),
    ]
    assert "extension .3gp" in dict(listing.skipped)[str(folder / "phone.3gp")]


def test_predict_scores_a_gif_in_a_folder_as_it_does_one_named_directly(folder, caplog):
    with caplog.at_level(logging.WARNING):
        items = expand_inputs([str(folder)])
    assert [(item.name, item.kind) for item in items] == [
        ("anim.gif", "video"),
        ("clip.mp4", "video"),
        ("photo.jpg", "image"),
    ]
    assert f"{folder / 'phone.3gp'}: skipped: not a media file (extension .3gp)" in caplog.text
    assert f"{folder / 'notes.txt'}: skipped" in caplog.text and ".DS_Store" not in caplog.text
    [named] = expand_inputs([str(folder / "anim.gif")])
    assert named.kind == "video"
    in_folder, direct = read_frames(items[0], 3), read_frames(named, 3)
    assert [i for i, _ in in_folder] == [i for i, _ in direct] == [0, 2, 4]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(in_folder, direct))


def test_with_sequences_a_folders_own_images_are_one_sequence_and_nothing_else_is_lost(folder):
    cv2.imwrite(str(folder / "photo2.jpg"), data_media.frame(1))
    items = expand_inputs([str(folder)], sequences=True)
    assert [(item.name, item.kind) for item in items] == [
        ("clips", "frames"),
        (os.path.join("clips", "anim.gif"), "video"),
        (os.path.join("clips", "clip.mp4"), "video"),
    ]
    assert [i for i, _ in read_frames(items[0], 4)] == [0, 1]


def test_a_file_named_directly_is_always_tried(folder):
    [item] = expand_inputs([str(folder / "phone.3gp")])
    assert item.kind == "video" and [i for i, _ in read_frames(item, 4)] == [0, 1, 2]
    os.rename(folder / "photo.jpg", folder / "photo.jfif")
    assert [i for i, _ in sample_frames(str(folder / "photo.jfif"), 4)] == [0]  # tried as a video: one frame


def test_the_folder_dataset_follows_the_same_rule(folder, tmp_path, caplog):
    root = tmp_path / "dataset"
    (root / "fake").mkdir(parents=True)
    os.rename(folder, root / "real")
    with caplog.at_level(logging.WARNING):
        records = read_dataset("folder", str(root))
    assert sorted(r.video for r in records) == ["real/anim.gif", "real/clip.mp4", "real/photo.jpg"]
    assert "phone.3gp: skipped: not a media file" in caplog.text and "linked: skipped" in caplog.text
