"""Real test media for the data tests: frames and video files made from the public-domain face photos
that ship in packages (scikit-image's astronaut, matplotlib's grace_hopper.jpg)."""

import functools
import os
import struct
import zlib

import cv2
import imageio_ffmpeg
import numpy as np

from pel_keras.data.portraits import package_portraits


@functools.cache
def portraits():
    """The two BGR portraits, whole: Eileen Collins (512 x 512 pixels) and Grace Hopper (600 high, 512 wide)."""
    return tuple(np.ascontiguousarray(image[..., ::-1]) for _, image in package_portraits())


@functools.cache
def faces():
    """Two BGR head-and-shoulders crops of :func:`portraits`: Eileen Collins and Grace Hopper."""
    astronaut, hopper = portraits()
    return np.ascontiguousarray(astronaut[10:240, 120:330]), np.ascontiguousarray(hopper[60:420, 110:440])


def frame(index, size=(192, 144), face=0, with_face=True):
    """One BGR frame ``size`` (w, h): a textured background and, unless ``with_face`` is false, a face
    that drifts with ``index``."""
    width, height = size
    rng = np.random.default_rng(index)
    image = cv2.GaussianBlur(rng.integers(60, 200, (height, width, 3), dtype=np.uint8), (0, 0), 3)
    if with_face:
        head = cv2.resize(faces()[face], (int(height * 0.7), int(height * 0.8)))
        x, y = width // 4 + index % 8, height // 10 + index % 4
        image[y : y + head.shape[0], x : x + head.shape[1]] = head
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
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-movflags", "+faststart"],
    )
    writer.send(None)
    for image in frames:
        writer.send(np.ascontiguousarray(image[..., ::-1]))
    writer.close()
    return path


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png_bomb(path, width=20000, height=20000):
    """Writes a real, valid PNG of ``width`` x ``height`` black pixels (1 bit each), compressed as it is
    written, so that neither this process nor the file holds the image: 20000x20000 is ~48 KB on disk and
    1.2 GB once decoded to 8-bit BGR."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter type 0, then the row's bits
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey, deflate, no interlace
    with open(path, "wb") as f:
        f.write(
            b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")
        )
    return path
