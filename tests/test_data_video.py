"""Frame sampling: equal intervals over the frames that really decode; clear errors for bad files."""

import os

import cv2
import numpy as np
import pytest

from pel_keras.data.video import MediaError, sample_frames, sample_indices
from pel_keras.testing import data_media


def nearest_written(frame, written):
    return int(np.argmin([np.abs(frame.astype(int) - w).mean() for w in written]))


def test_sample_indices():
    assert sample_indices(10, 4) == [0, 3, 6, 9]
    assert sample_indices(300, 32)[:3] == [0, 10, 19] and sample_indices(300, 32)[-1] == 299
    assert sample_indices(3, 50) == [0, 1, 2]
    assert sample_indices(0, 5) == []
    with pytest.raises(ValueError, match="got 0"):
        sample_indices(10, 0)


def test_h264_frames_are_the_ones_asked_for(tmp_path):
    written = [data_media.frame(i) for i in range(30)]
    path = data_media.write_h264(str(tmp_path / "v.mp4"), written)
    sampled = sample_frames(path, 4)
    assert [i for i, _ in sampled] == [0, 10, 19, 29]
    assert [nearest_written(f, written) for _, f in sampled] == [0, 10, 19, 29]
    assert sampled[0][1].shape == (144, 192, 3) and sampled[0][1].dtype == np.uint8


def test_truncated_video_samples_over_what_decodes(tmp_path):
    written = [data_media.frame(i) for i in range(40)]
    path = data_media.write_h264(str(tmp_path / "v.mp4"), written)
    with open(path, "rb") as f:
        head = f.read(os.path.getsize(path) // 2)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(head)
    capture = cv2.VideoCapture(str(truncated))
    claimed, decoded = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0
    while capture.grab():
        decoded += 1
    assert claimed == 40 and 2 < decoded < 40  # the container overstates
    sampled = sample_frames(str(truncated), 5)
    assert [i for i, _ in sampled] == sample_indices(decoded, 5)
    assert [nearest_written(f, written) for _, f in sampled] == sample_indices(decoded, 5)


def test_short_video_gives_what_it_has(tmp_path):
    path = data_media.write_video(str(tmp_path / "short.avi"), 3, codec="MJPG")
    assert [i for i, _ in sample_frames(path, 50)] == [0, 1, 2]


def test_image_sequence_and_single_image(tmp_path):
    for i in range(6):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), data_media.frame(i))
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / "999.png").write_text("not a png either")  # unreadable: left out before sampling
    sampled = sample_frames(str(tmp_path), 3)
    assert [i for i, _ in sampled] == [0, 2, 5]
    assert np.array_equal(sampled[1][1], data_media.frame(2))
    [(index, image)] = sample_frames(str(tmp_path / "003.png"), 3)
    assert index == 0 and np.array_equal(image, data_media.frame(3))


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty file"), (b"\x00garbage" * 100, "cannot open"), (b"plain text, not a video\n", "cannot open")],
)
def test_bad_files_raise_media_error_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=f"bad.mp4: .*{reason}"):
        sample_frames(str(path), 4)


def test_missing_and_undecodable_inputs(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        sample_frames(str(tmp_path / "nope.mp4"), 4)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(MediaError, match="broken.jpg: a JPEG with no frame header"):
        sample_frames(str(tmp_path / "broken.jpg"), 4)
    encoded = cv2.imencode(".png", data_media.frame(0))[1].tobytes()
    (tmp_path / "cut.png").write_bytes(encoded[: len(encoded) // 3])  # its header is whole, its data are not
    with pytest.raises(MediaError, match="cut.png: cannot be decoded as an image"):
        sample_frames(str(tmp_path / "cut.png"), 4)
    (tmp_path / "empty").mkdir()
    with pytest.raises(MediaError, match="no readable image"):
        sample_frames(str(tmp_path / "empty"), 4)
