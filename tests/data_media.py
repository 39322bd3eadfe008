"""Real test media for the data tests: frames and video files made from the public-domain face photos
that ship in packages (scikit-image's astronaut, matplotlib's grace_hopper.jpg)."""

import functools
import os

import cv2
import imageio_ffmpeg
import matplotlib.cbook
import numpy as np
from skimage import data


@functools.cache
def faces():
    """Two BGR head-and-shoulders crops: Eileen Collins and Grace Hopper."""
    astronaut = data.astronaut()[10:240, 120:330, ::-1]
    hopper = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[60:420, 110:440]
    return np.ascontiguousarray(astronaut), np.ascontiguousarray(hopper)


def frame(index, size=(192, 144), face=0, with_face=True):
    """One BGR frame ``size`` (w, h): a textured background and, unless ``with_face`` is false, a face
    that drifts with ``index``."""
    width, height = size
    rng = np.random.default_rng(index)
    image = cv2.GaussianBlur(rng.integers(60, 200, (height, width, 3), dtype=np.uint8), (0, 0), 3)
    if with_face:
        head = cv2.resize(faces()[face], (int(height * 0.7), int(height * 0.8)))
        x, y = width // 4 + index % 8, height // 10 + index % 4
        image[y:y + head.shape[0], x:x + head.shape[1]] = head
    return image


def write_video(path, num_frames=8, size=(192, 144), face=0, no_face=(), codec="mp4v"):
    """Writes a real video with OpenCV (``mp4v``: MPEG-4 part 2); frames in ``no_face`` hold no face."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 25, size)
    for i in range(num_frames):
        writer.write(frame(i, size, face, with_face=i not in no_face))
    writer.release()
    return path


def write_h264(path, frames, fps=30):
    """Writes BGR ``frames`` as an H.264 (yuv420p) mp4 through imageio-ffmpeg, its index (moov) first,
    so that a truncated copy still claims every frame."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=fps, codec="libx264",
                                         pix_fmt_out="yuv420p", macro_block_size=1, ffmpeg_log_level="error",
                                         output_params=["-movflags", "+faststart"])
    writer.send(None)
    for image in frames:
        writer.send(np.ascontiguousarray(image[..., ::-1]))
    writer.close()
    return path
