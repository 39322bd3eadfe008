"""Face detection (largest first, RGB/BGR explicit) and the square crop with margin and border padding."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from skimage import data

from pel_keras.data.faces import Face, crop_face, detect_faces, make_detector, square_box
from pel_keras.testing import data_media


@pytest.fixture(scope="module")
def yunet():
    return make_detector("yunet")


def test_yunet_finds_the_astronaut_with_landmarks_in_either_channel_order(yunet):
    rgb = data.astronaut()
    [face] = detect_faces(rgb, yunet, channels="rgb")
    x0, y0, x1, y1 = face.box
    assert 150 < (x0 + x1) / 2 < 260 and 80 < (y0 + y1) / 2 < 160  # her face, not the flag or the helmet
    assert 0.5 < face.score <= 1 and face.landmarks.shape == (5, 2)
    right_eye, left_eye, nose = face.landmarks[:3]
    assert right_eye[0] < nose[0] < left_eye[0] and nose[1] > right_eye[1]
    [same] = detect_faces(np.ascontiguousarray(rgb[..., ::-1]), yunet, channels="bgr")
    assert np.allclose(same.box, face.box)


def test_large_frames_are_detected_at_full_resolution_coordinates(yunet):
    frame = data_media.frame(0)
    [small] = detect_faces(frame, yunet)
    [large] = detect_faces(cv2.resize(frame, None, fx=8, fy=8), make_detector("yunet", max_side=640))
    assert np.allclose(np.array(large.box) / 8, small.box, atol=4)


def test_largest_face_first_and_no_face(yunet):
    canvas = np.full((300, 480, 3), 128, np.uint8)
    astronaut, hopper = data_media.faces()
    canvas[20 : 20 + 92, 20 : 20 + 84] = cv2.resize(astronaut, (84, 92))
    canvas[20 : 20 + 250, 200 : 200 + 230] = cv2.resize(hopper, (230, 250))
    faces = detect_faces(canvas, yunet)
    assert len(faces) == 2 and faces[0].area > faces[1].area and faces[0].box[0] > 200
    assert detect_faces(np.full((120, 160, 3), 90, np.uint8), yunet) == []


def test_haar_and_none_detectors():
    frame = data_media.frame(0, size=(320, 240))
    faces = detect_faces(frame, make_detector("haar"))
    assert faces and faces[0].landmarks is None
    assert 80 < (faces[0].box[0] + faces[0].box[2]) / 2 < 180
    [whole] = detect_faces(frame, make_detector("none"))
    assert whole.box == (0.0, 0.0, 320.0, 240.0) and np.isnan(whole.score)
    with pytest.raises(ValueError, match="unknown face detector 'dsfd'"):
        make_detector("dsfd")


def test_bad_image_is_rejected(yunet):
    with pytest.raises(ValueError, match=r"shape \(10, 10\)"):
        detect_faces(np.zeros((10, 10), np.uint8), yunet)
    with pytest.raises(ValueError, match="channels"):
        detect_faces(np.zeros((10, 10, 3), np.uint8), yunet, channels="gbr")


def test_crop_inside_the_frame_matches_a_plain_resize():
    image = np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)
    face = Face((100, 50, 140, 90), 0.9)  # 40x40 box -> 52x52 square at margin 1.3
    assert square_box(face.box, 1.3) == (94, 44, 52)
    crop, landmarks = crop_face(image, face, size=104, margin=1.3)
    expected = cv2.resize(image[44:96, 94:146], (104, 104), interpolation=cv2.INTER_CUBIC)
    assert crop.shape == (104, 104, 3) and landmarks is None
    assert np.array_equal(crop, expected)


def test_crop_at_the_border_is_padded_not_stretched():
    image = np.full((100, 100, 3), 200, np.uint8)
    crop, _ = crop_face(image, Face((-10, 60, 30, 100), 0.9), size=52, margin=1.3)  # square (-16, 54, 52)
    assert crop.shape == (52, 52, 3)
    assert (crop[:, :16] == 0).all() and (crop[46:, :] == 0).all()  # outside the frame: black
    assert (crop[:44, 18:] == 200).all()  # inside: the frame, at scale 1


def test_crop_maps_landmarks_and_keeps_the_face(yunet):
    frame = data_media.frame(0, size=(320, 240))
    [face] = detect_faces(frame, yunet)
    crop, landmarks = crop_face(frame, face, size=256, margin=1.3)
    [again] = detect_faces(crop, yunet)
    assert np.abs(again.landmarks - landmarks).max() < 256 * 0.05
    left, top, side = square_box(face.box, 1.3)
    assert np.allclose(landmarks, (face.landmarks - (left, top)) * 256 / side)


def test_face_video_and_preparation_modules_load_without_tensorflow():
    code = (
        "import sys, pel_keras.data.faces, pel_keras.data.video, pel_keras.data.prepare; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
