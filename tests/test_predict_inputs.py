"""What predict.py takes as inputs (folders, frame sequences, missing files) and how it reports a result."""

import os

import cv2
import pytest

from pel_keras.data.video import MediaError
from pel_keras.prediction.inputs import expand_inputs, read_frames
from pel_keras.prediction.results import NO_FACE, OK, FaceScore, FrameResult, InputResult, lines
from pel_keras.testing import data_media


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "clips"
    for directory in ("sub", "seq", "empty"):
        (root / directory).mkdir(parents=True)
    data_media.write_video(str(root / "a.mp4"), num_frames=3)
    data_media.write_video(str(root / "sub" / "b.avi"), num_frames=3, codec="MJPG")
    for path in (root / "img.png", root / "seq" / "0001.png", root / "seq" / "0002.png"):
        cv2.imwrite(str(path), data_media.frame(0))
    (root / "notes.txt").write_text("not media")
    return root


def test_a_folder_gives_its_videos_images_and_frame_sequences(folder):
    items = expand_inputs([str(folder)])
    assert [(item.name, item.kind) for item in items] == [
        ("a.mp4", "video"),
        ("img.png", "image"),
        ("seq", "frames"),
        (os.path.join("sub", "b.avi"), "video"),
    ]
    assert [len(read_frames(item, 2)) for item in items] == [2, 1, 2, 2]


def test_sequences_flag_reads_a_folder_of_images_as_one_video(folder):
    assert [(i.name, i.kind) for i in expand_inputs([str(folder / "seq")])] == [
        ("0001.png", "image"),
        ("0002.png", "image"),
    ]
    [item] = expand_inputs([str(folder / "seq")], sequences=True)
    assert (item.kind, [index for index, _ in read_frames(item, 5)]) == ("frames", [0, 1])


def test_names_are_unique_and_repeated_inputs_are_scored_once(tmp_path):
    for parent in ("x", "y"):
        (tmp_path / parent).mkdir()
        cv2.imwrite(str(tmp_path / parent / "same.png"), data_media.frame(0))
    paths = [str(tmp_path / "x" / "same.png"), str(tmp_path / "y" / "same.png"), str(tmp_path / "x" / "same.png")]
    assert [item.name for item in expand_inputs(paths)] == [
        os.path.join("x", "same.png"),
        os.path.join("y", "same.png"),
    ]
    assert [item.name for item in expand_inputs(paths[:1])] == ["same.png"]


def test_missing_inputs_and_empty_folders_fail_alone_with_a_reason(folder, tmp_path):
    missing, empty = expand_inputs([str(tmp_path / "gone.mp4"), str(folder / "empty")])
    with pytest.raises(MediaError, match="gone.mp4: no such file or folder"):
        read_frames(missing, 4)
    with pytest.raises(MediaError, match="empty: no videos or images in this folder"):
        read_frames(empty, 4)


def test_score_uses_the_largest_face_and_the_threshold_is_strict():
    def face(probability):
        return FaceScore((0.0, 0.0, 10.0, 10.0), None, probability)

    frames = [FrameResult(0, [face(0.2), face(0.9)]), FrameResult(5, []), FrameResult(9, [face(0.8)])]
    result = InputResult("clip.mp4", "video", OK, frames=frames, threshold=0.5)
    assert (result.score, result.verdict) == (0.5, "real")
    assert InputResult("clip.mp4", "video", OK, frames=frames, threshold=0.4999).verdict == "fake"
    summary = result.to_dict()
    assert (summary["frames_sampled"], summary["frames_with_face"], summary["faces"]) == (3, 2, 3)
    assert lines(result)[1:] == [
        "    frame      0: 0.2000, 0.9000",
        "    frame      5: no face",
        "    frame      9: 0.8000",
    ]
    empty = InputResult("blank.png", "image", NO_FACE, "no face found", [FrameResult(0, [])])
    assert (empty.score, empty.verdict, lines(empty)) == (None, None, ["blank.png: no score (no_face): no face found"])
