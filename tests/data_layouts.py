"""Small raw datasets in each official layout (REFERENCE §2), made of real video files with real faces.

Every video is a copy of one of a few short clips written once by :mod:`data_media`, so building a
layout costs file copies only.
"""

import json
import os
import shutil

import cv2

from pel_keras.testing import data_media

# One official FF++ pair per split: (train, val, test).
FFPP_PAIRS = (("071", "054"), ("720", "672"), ("953", "974"))


class Clips:
    """A few clips written once: ``face`` (every frame has a face), ``hopper`` (another face),
    ``partly`` (frames 1 and 2 without a face) and ``noface`` (no face at all)."""

    def __init__(self, folder, num_frames=6):
        self.num_frames = num_frames
        self.face = data_media.write_video(os.path.join(folder, "face.mp4"), num_frames)
        self.hopper = data_media.write_video(os.path.join(folder, "hopper.mp4"), num_frames, face=1)
        self.partly = data_media.write_video(os.path.join(folder, "partly.mp4"), num_frames, no_face=(1, 2))
        self.noface = data_media.write_video(os.path.join(folder, "noface.mp4"), num_frames, no_face=range(num_frames))


def put(clip, path):
    """Copies ``clip`` to ``path``, making folders."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(clip, path)
    return path


def make_ffpp(root, clips, compression="c23", methods=("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")):
    """FF++ with the three pairs of :data:`FFPP_PAIRS`: 6 reals and 6 fakes per method."""
    for a, b in FFPP_PAIRS:
        for real in (a, b):
            put(clips.face, os.path.join(root, "original_sequences/youtube", compression, "videos", f"{real}.mp4"))
        for method in methods:
            for fake in (f"{a}_{b}", f"{b}_{a}"):
                put(
                    clips.hopper,
                    os.path.join(root, "manipulated_sequences", method, compression, "videos", f"{fake}.mp4"),
                )
    return root


def make_dfd(root, clips, compression="c23"):
    """DFD: 2 actor videos and 3 DeepFakeDetection videos."""
    for name in ("01__exit_phone_room", "02__kitchen_pan"):
        put(clips.face, os.path.join(root, "original_sequences/actors", compression, "videos", f"{name}.mp4"))
    for name in ("01_02__exit_phone_room__YVGY8LOK", "02_01__kitchen_pan__ABCDEFGH", "01_03__walk__12345678"):
        put(
            clips.hopper,
            os.path.join(root, "manipulated_sequences/DeepFakeDetection", compression, "videos", f"{name}.mp4"),
        )
    return root


# (folder, file, listed in the test list?)
CELEBDF_VIDEOS = (
    ("Celeb-real", "id0_0000.mp4", True),
    ("Celeb-real", "id1_0001.mp4", False),
    ("YouTube-real", "00000.mp4", True),
    ("YouTube-real", "00001.mp4", False),
    ("Celeb-synthesis", "id0_id1_0000.mp4", True),
    ("Celeb-synthesis", "id1_id0_0001.mp4", True),
    ("Celeb-synthesis", "id0_id2_0002.mp4", False),
)


def make_celebdf(root, clips):
    """Celeb-DF v2 with its test list written the official way: flag 1 = real."""
    lines = []
    for folder, name, listed in CELEBDF_VIDEOS:
        put(clips.face if "real" in folder.lower() else clips.hopper, os.path.join(root, folder, name))
        if listed:
            lines.append(f"{0 if folder == 'Celeb-synthesis' else 1} {folder}/{name}")
    with open(os.path.join(root, "List_of_testing_videos.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return root


def make_dfdc(root, clips, originals=("real_a.mp4", "real_b.mp4", "real_c.mp4", "real_d.mp4")):
    """Two training parts (the originals halved; each real with one fake made from it) and the public test
    set's labels.csv."""
    half = len(originals) // 2
    for part_index, part_originals in enumerate((originals[:half], originals[half:])):
        part = os.path.join(root, f"dfdc_train_part_{part_index}")
        metadata = {}
        for original in part_originals:
            fake = "fake_" + original
            put(clips.face, os.path.join(part, original))
            put(clips.hopper, os.path.join(part, fake))
            metadata[original] = {"label": "REAL", "split": "train"}
            metadata[fake] = {"label": "FAKE", "split": "train", "original": original}
        with open(os.path.join(part, "metadata.json"), "w") as f:
            json.dump(metadata, f)
    test = os.path.join(root, "test")
    for name, label in (("t0.mp4", 0), ("t1.mp4", 1), ("t2.mp4", 1)):
        put(clips.face if label == 0 else clips.hopper, os.path.join(test, "videos", name))
    with open(os.path.join(test, "labels.csv"), "w") as f:
        f.write("filename,label\nt0.mp4,0\nt1.mp4,1\nt2.mp4,1\n")
    return root


def make_wilddeepfake(root, sequences_per_folder=3, frames=4, size=96):
    """WildDeepfake: face-image sequences (already face crops) in the four folders, nested one level."""
    for folder in ("real_train", "fake_train", "real_test", "fake_test"):
        face = data_media.faces()[0 if folder.startswith("real") else 1]
        for s in range(sequences_per_folder):
            sequence = os.path.join(root, folder, str(s // 2), str(s))
            os.makedirs(sequence)
            for i in range(frames):
                cv2.imwrite(os.path.join(sequence, f"{i:04d}.png"), cv2.resize(face, (size, size)))
    return root


# (key in dataset.json, label, set): two ids; id 1 has a real and a fake in train and one of each in test.
DFDCP_CLIPS = (
    ("original_videos/1000001/1000001_A_001.mp4", "real", "train"),
    ("method_A/1000001/1000001_A/2000002_1000001_A_001.mp4", "fake", "train"),
    ("method_B/1000001/1000001_B/2000002_1000001_B_002.mp4", "fake", "train"),
    ("original_videos/1000003/1000003_C_001.mp4", "real", "train"),
    ("method_A/1000003/1000003_C/2000004_1000003_C_001.mp4", "fake", "train"),
    ("original_videos/1000005/1000005_D_001.mp4", "real", "test"),
    ("method_B/1000005/1000005_D/2000006_1000005_D_001.mp4", "fake", "test"),
)


def make_dfdcp(root, clips, entries=DFDCP_CLIPS):
    """The DFDC preview: ``method_A/``, ``method_B/``, ``original_videos/`` and ``dataset.json`` (keys are
    paths below the root; label ``real``/``fake``, set ``train``/``test``, as the release writes them)."""
    index = {}
    for key, label, split in entries:
        put(clips.face if label == "real" else clips.hopper, os.path.join(root, key))
        index[key] = {"label": label, "set": split, "augmentations": {}}
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump(index, f)
    return root
