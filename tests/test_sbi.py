"""Self-blended pseudo-fakes (numpy + OpenCV) on the two public-domain faces, detected and cropped with the
project's YuNet functions: the face region, the mask's extent, the blend, the shared JPEG step, seeds."""

import dataclasses
import math

import cv2
import numpy as np
import pytest

from pel_keras.data.faces import crop_face, detect_faces, make_detector
from pel_keras.data.sbi import SBIConfig, blend_mask, compress_alike, face_region, pseudo_fake_pair, self_blend
from pel_keras.testing import data_media

SIZE = 128
SEEDS = range(8)


@pytest.fixture(scope="module")
def faces():
    """``(rgb crop, landmarks (5, 2), detected box in crop pixels)`` for Eileen Collins and Grace Hopper."""
    detector = make_detector("yunet")
    result = []
    for bgr in data_media.faces():
        face = detect_faces(bgr, detector)[0]
        crop, landmarks = crop_face(bgr, face, SIZE)
        x0, y0, x1, y1 = face.box
        corners = crop_face(bgr, dataclasses.replace(face, landmarks=np.array([[x0, y0], [x1, y1]])), SIZE)[1]
        result.append((np.ascontiguousarray(crop[..., ::-1]), landmarks, tuple(corners.ravel())))
    return result


def box_mask(box, grow=0):
    x0, y0, x1, y1 = np.round(box).astype(int)
    mask = np.zeros((SIZE, SIZE), bool)
    mask[max(0, y0 - grow) : y1 + grow + 1, max(0, x0 - grow) : x1 + grow + 1] = True
    return mask


def reach(config):
    """How far the mask may extend beyond the face region: the largest warp, one pixel of bilinear
    interpolation, half the largest blur kernel."""
    return math.ceil(config.warp * SIZE) + 1 + math.ceil(config.mask_blur[1] * SIZE / 2)


def dilated(region, radius):
    return cv2.dilate(region, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0


def test_landmark_region_covers_the_face_inside_the_detected_box(faces):
    for image, landmarks, box in faces:
        region = face_region(image.shape, landmarks).astype(bool)
        inside = box_mask(box, grow=2)
        assert not (region & ~inside).any()  # from mid-forehead to the chin, within YuNet's box
        assert region.sum() > 0.55 * box_mask(box).sum()
        columns, rows = np.round(landmarks).astype(int).T
        assert region[rows, columns].all()


def ellipse(centre, axes):
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    return ((xs - centre[0]) / axes[0]) ** 2 + ((ys - centre[1]) / axes[1]) ** 2 <= 1


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_region_without_landmarks_is_an_ellipse_in_the_box_or_the_crops_centre(faces):
    image, landmarks, box = faces[0]
    x0, y0, x1, y1 = box
    expected = ellipse(((x0 + x1) / 2, (y0 + y1) / 2), ((x1 - x0) / 2, (y1 - y0) / 2))
    assert iou(face_region(image.shape, None, box).astype(bool), expected) > 0.95
    degenerate = np.repeat(landmarks[:1], 5, axis=0)  # one point: no hull, the box decides
    assert np.array_equal(face_region(image.shape, degenerate, box), face_region(image.shape, None, box))
    centre = face_region(image.shape, None, None, margin=1.6).astype(bool)
    assert iou(centre, ellipse((SIZE / 2, SIZE / 2), (SIZE / 3.2, SIZE / 3.2))) > 0.95


def test_mask_vanishes_beyond_the_region_dilated_by_warp_and_blur(faces):
    config = SBIConfig()
    for image, landmarks, box in faces:
        for landmarks_or_none in (landmarks, None):
            region = face_region(image.shape, landmarks_or_none, box)
            outside = ~dilated(region, reach(config))
            for seed in SEEDS:
                mask = blend_mask(image.shape, landmarks_or_none, box, np.random.default_rng(seed), config)
                assert mask.dtype == np.float32 and mask.shape == (SIZE, SIZE)
                assert (mask[outside] == 0).all() and outside.sum() > SIZE * SIZE / 4
                ratio = mask.max()
                assert min(abs(ratio - r) for r in config.blend_ratios) < 1e-5
                nose = np.round(landmarks[2]).astype(int)
                assert mask[nose[1], nose[0]] == pytest.approx(ratio, abs=1e-5)


def test_fake_equals_real_outside_the_mask_and_differs_inside(faces):
    for image, landmarks, _ in faces:
        for seed in SEEDS:
            fake, mask = self_blend(image, landmarks, np.random.default_rng(seed))
            assert fake.dtype == np.uint8 and fake.shape == image.shape
            assert np.array_equal(fake[mask == 0], image[mask == 0])
            difference = np.abs(fake.astype(int) - image.astype(int)).mean(axis=2)
            assert difference[mask > 0.2].mean() > 1.0


def test_without_jitter_the_blend_gives_back_the_real(faces):
    still = SBIConfig(rgb_shift=0, hsv_shift=0, brightness_contrast=0, scale=(1, 1), shift=0)
    image, landmarks, _ = faces[1]
    fake, mask = self_blend(image, landmarks, np.random.default_rng(0), still)
    assert mask.max() > 0 and np.array_equal(fake, image)


def test_same_seed_same_bytes_other_seed_other_bytes(faces):
    image, landmarks, _ = faces[0]
    config = SBIConfig(jpeg=1.0)
    a, b, c = (pseudo_fake_pair(image, landmarks, np.random.default_rng(seed), config) for seed in (5, 5, 6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    masks = [self_blend(image, None, np.random.default_rng(seed))[1] for seed in (5, 5, 6)]
    assert np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[0], masks[2])


def jpeg(image, quality):
    _, encoded = cv2.imencode(".jpg", image[..., ::-1].copy(), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]


def test_the_pair_is_compressed_alike(faces):
    image, landmarks, _ = faces[1]
    always = SBIConfig(jpeg=1.0, jpeg_quality=(50, 50))
    uncompressed, _ = self_blend(image, landmarks, np.random.default_rng(3), always)
    real, fake = pseudo_fake_pair(image, landmarks, np.random.default_rng(3), always)
    assert np.array_equal(real, jpeg(image, 50)) and np.array_equal(fake, jpeg(uncompressed, 50))
    assert not np.array_equal(real, image)
    never = dataclasses.replace(always, jpeg=0.0)
    real, fake = pseudo_fake_pair(image, landmarks, np.random.default_rng(3), never)
    assert np.array_equal(real, image) and np.array_equal(fake, uncompressed)
    qualities = {70, 71, 72}
    for seed in SEEDS:  # one quality for both images, from the configured range
        pair = compress_alike([image, image], np.random.default_rng(seed), SBIConfig(jpeg=1.0, jpeg_quality=(70, 72)))
        assert np.array_equal(pair[0], pair[1]) and any(np.array_equal(pair[0], jpeg(image, q)) for q in qualities)


def test_invalid_settings_and_images_are_refused():
    with pytest.raises(ValueError, match=r"jpeg is a probability in \[0, 1\], got 2"):
        SBIConfig(jpeg=2)
    with pytest.raises(ValueError, match=r"invalid SBIConfig.blend_ratios: \(0.0, 1.0\)"):
        SBIConfig(blend_ratios=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"invalid SBIConfig.scale: \(1.1, 0.9\)"):
        SBIConfig(scale=(1.1, 0.9))
    with pytest.raises(ValueError, match="expected an \\(H, W, 3\\) uint8 RGB image, got shape \\(8, 8\\)"):
        self_blend(np.zeros((8, 8), np.uint8), None, np.random.default_rng(0))
