"""The built-in demo dataset: real faces that ship inside installed packages, self-blended fakes.

No licensed data is needed: the real faces are the public-domain photographs in scikit-image
(``data.astronaut()``, Eileen Collins) and matplotlib (``grace_hopper.jpg``), plus any images the user
adds. Each "video" is a random view of one face (scale, shift, rotation, flip, light) followed by a few
frames of small further jitter, cropped like ``prepare.py`` does (YuNet box and landmarks, square crop
with margin). The training split holds only real videos (``train.py --sbi`` makes its fakes on the fly);
validation and test hold real videos and their self-blended pseudo-fakes (:mod:`pel_keras.data.sbi`),
made once with fixed seeds. Validation and test are views and blends never drawn for training. Both
packaged faces appear in every split: with one of them held out, the net trained for a few minutes on the
other reached a held-out AUC near 0.8 (docs/benchmarks.md, "The demo"); a share of the user's own images (``real_dir``,
20% by a hash of the file name) goes to val/test only, as faces training never saw.
"""

import dataclasses
import json
import os
import shutil

import cv2
import matplotlib.cbook
import numpy as np
from skimage import data as skimage_data

from pel_keras.data.datasets.source_records import stable_fraction
from pel_keras.data.decoding import read_image
from pel_keras.data.faces import DEFAULT_MARGIN, Face, crop_face, detect_faces, make_detector
from pel_keras.data.manifest import COLUMNS, MANIFEST, SETTINGS, csv_text
from pel_keras.data.media_files import MediaError, is_image, list_images, list_media
from pel_keras.data.sbi import SBIConfig, pseudo_fake_pair
from pel_keras.files.atomic import atomic_write

DETECTOR = "yunet"
# Share of the user's images kept out of training: the unseen faces of the held-out AUC.
USER_HELD_OUT = 0.2
# YuNet's landmarks, mirrored: right eye <-> left eye, right mouth corner <-> left mouth corner.
MIRRORED_LANDMARKS = (1, 0, 2, 4, 3)


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """How large the demo dataset is.

    Attributes:
        size: side of the face crops in pixels.
        videos: real videos per split, ``(train, val, test)``; val and test add one fake per real. Many
            training views keep a small net from memorising the real frames (with a few hundred it learns
            "not one of these" instead of the blend).
        frames: frames per video.
        margin: crop side over the detected box side, as ``prepare.py --margin``.
        seed: everything drawn follows from it.
    """

    size: int = 96
    videos: tuple = (1000, 50, 100)
    frames: int = 4
    margin: float = DEFAULT_MARGIN
    seed: int = 0

    def __post_init__(self):
        if self.size < 32 or self.frames < 1 or len(self.videos) != 3 or min(self.videos) < 1:
            raise ValueError(f"invalid DemoConfig {self}: size >= 32, frames >= 1, three video counts >= 1")


def _user_images(real_dir):
    """The images below ``real_dir`` (:func:`~pel_keras.data.media_files.list_media`'s media, frame folders
    opened up); what is not read is reported with the reason."""
    listing = list_media(real_dir)
    paths, skipped = [], list(listing.skipped)
    for item in listing.media:
        if os.path.isdir(item):
            paths += list_images(item)
        elif is_image(item):
            paths.append(item)
        else:
            skipped.append((item, "a video; the demo's real faces are photos"))
    for path, reason in skipped:
        print(f"demo data: {path} skipped: {reason}")
    return sorted(paths)


def package_faces(real_dir=None):
    """``[(source, RGB uint8 image)]``: the packaged photographs, then every image under ``real_dir``
    that reads (one that does not, or is above the default pixel limit, is reported and skipped)."""
    hopper = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    faces = [("astronaut", skimage_data.astronaut()), ("grace_hopper", _read_rgb(hopper))]
    if real_dir:
        if not os.path.isdir(real_dir):
            raise FileNotFoundError(f"--real_dir {real_dir}: no such folder")
        for path in _user_images(real_dir):
            try:
                faces.append((f"user/{os.path.relpath(path, real_dir)}", _read_rgb(path)))
            except MediaError as error:
                print(f"demo data: {error}; skipped")
    return faces


def _read_rgb(path):
    return cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)


def source_splits(source):
    """The splits a source may appear in: :data:`USER_HELD_OUT` of the user's images only in val/test."""
    if source.startswith("user/") and stable_fraction(source) < USER_HELD_OUT:
        return ("val", "test")
    return ("train", "val", "test")


def random_view(image, face, rng, size, margin, strength=1.0):
    """A jittered square crop of ``face``: rotation, scale, shift, flip and light, scaled by ``strength``.

    Returns ``(crop, landmarks)`` in crop pixels, landmarks in YuNet's order even when flipped.
    """
    centre = np.mean(np.reshape(face.box, (2, 2)), axis=0)
    rotation = cv2.getRotationMatrix2D(tuple(centre), rng.uniform(-10, 10) * strength, 1.0)
    rotated = cv2.warpAffine(image, rotation, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    points = np.hstack([face.landmarks, np.ones((len(face.landmarks), 1))]) @ rotation.T
    width = face.box[2] - face.box[0]
    shift = rng.uniform(-0.06, 0.06, 2) * width * strength
    box = np.asarray(face.box, float) + np.tile(shift, 2)
    jittered = Face(tuple(box), face.score, points)
    crop, landmarks = crop_face(rotated, jittered, size, margin * (1 + rng.uniform(-0.1, 0.1) * strength))
    if rng.random() < 0.5:
        crop, landmarks = crop[:, ::-1], np.stack([size - 1 - landmarks[:, 0], landmarks[:, 1]], 1)
        landmarks = landmarks[list(MIRRORED_LANDMARKS)]
    gain, offset = 1 + rng.uniform(-0.15, 0.15) * strength, rng.uniform(-15, 15) * strength
    crop = np.clip(crop.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(crop), landmarks


def _frames(crop, landmarks, rng, count):
    """The frames of one video: the view, then small shifts and light changes of it."""
    frames = [(crop, landmarks)]
    for _ in range(count - 1):
        dx, dy = rng.uniform(-2, 2, 2)
        moved = cv2.warpAffine(
            crop, np.float32([[1, 0, dx], [0, 1, dy]]), crop.shape[1::-1], borderMode=cv2.BORDER_REFLECT
        )
        moved = np.clip(moved.astype(np.float32) + rng.uniform(-4, 4), 0, 255).astype(np.uint8)
        frames.append((moved, landmarks + (dx, dy)))
    return frames


def _row(video, index, label, split, source, landmarks):
    return {
        "path": f"crops/{video}/{index:06d}.png",
        "label": label,
        "video": video,
        "split": split,
        "source": source,
        "frame": index,
        "score": "",
        "box": "",
        "landmarks": " ".join(f"{v:.1f}" for v in np.ravel(landmarks)),
    }


def _write_video(out_dir, video, frames, label, split, source):
    os.makedirs(os.path.join(out_dir, "crops", video), exist_ok=True)
    rows = []
    for index, (crop, landmarks) in enumerate(frames):
        row = _row(video, index, label, split, source, landmarks)
        if not cv2.imwrite(os.path.join(out_dir, row["path"]), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {os.path.join(out_dir, row['path'])}")
        rows.append(row)
    return rows


def _detected(faces):
    """``{source: (image, largest face)}``; a user image without a face is reported and skipped."""
    detector = make_detector(DETECTOR)
    found, skipped = {}, []
    for source, image in faces:
        detections = detect_faces(image, detector, channels="rgb")
        if detections and detections[0].landmarks is not None:
            found[source] = (image, detections[0])
        else:
            skipped.append(source)
    return found, skipped


def _split_rows(out_dir, found, split, count, config, sbi):
    sources = [source for source in found if split in source_splits(source)]
    if not sources:
        raise ValueError(f"no face source can go into the {split} split")
    rows = []
    split_index = ("train", "val", "test").index(split)
    for number in range(count):
        source = sources[number % len(sources)]
        image, face = found[source]
        rng = np.random.default_rng([config.seed, split_index, number])
        frames = _frames(*random_view(image, face, rng, config.size, config.margin), rng, config.frames)
        name = f"{split}_{number:04d}"
        if split == "train":
            rows += _write_video(out_dir, f"real/{name}", frames, 0, split, source)
            continue
        pair_seed = rng.integers(2**32)
        pairs = [pseudo_fake_pair(crop, points, np.random.default_rng(pair_seed), sbi) for crop, points in frames]
        rows += _write_video(
            out_dir, f"real/{name}", [(r, p) for (r, _), (_, p) in zip(pairs, frames)], 0, split, source
        )
        rows += _write_video(
            out_dir, f"fake/{name}", [(f, p) for (_, f), (_, p) in zip(pairs, frames)], 1, split, f"sbi/{source}"
        )
    return rows


def build_demo_dataset(data_dir, config=DemoConfig(), real_dir=None, tag="demo", sbi=SBIConfig()):
    """Writes ``data_dir/<tag>/`` (PNG crops, ``manifest.csv``, ``prepare.json``) unless it exists with this config.

    ``sbi`` makes the validation and test fakes; train with the same settings (``train.py --sbi_*``).

    Returns the manifest's path. Built in a temporary folder and renamed, so an interrupted build
    leaves nothing half-written; a finished one is reused when the config (and ``real_dir``) match.
    """
    out_dir = os.path.join(data_dir, tag)
    settings = {**dataclasses.asdict(config), "real_dir": real_dir, "sbi": dataclasses.asdict(sbi)}
    settings_path = os.path.join(out_dir, "demo_config.json")
    if os.path.exists(settings_path):
        with open(settings_path) as f:
            if json.load(f) == json.loads(json.dumps(settings)):
                return os.path.join(out_dir, MANIFEST)
        raise ValueError(
            f"{out_dir} holds a demo dataset built with other settings; remove it or choose another --data_dir"
        )
    found, skipped = _detected(package_faces(real_dir))
    for source in skipped:
        print(f"demo data: no face with landmarks found in {source}; skipped")
    partial = out_dir + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    rows = []
    for split, count in zip(("train", "val", "test"), config.videos):
        rows += _split_rows(partial, found, split, count, config, sbi)
    atomic_write(os.path.join(partial, MANIFEST), csv_text(COLUMNS, rows))
    atomic_write(os.path.join(partial, "demo_config.json"), json.dumps(settings, indent=1))
    crops = {"frames": config.frames, "size": config.size, "margin": config.margin, "detector": DETECTOR}
    atomic_write(os.path.join(partial, SETTINGS), json.dumps(crops, indent=2))  # as prepare.py records its crops
    os.replace(partial, out_dir)
    return os.path.join(out_dir, MANIFEST)
