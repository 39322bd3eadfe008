"""The image size read from the header alone, checked against what OpenCV and Pillow decode."""

import io
import struct

import cv2
import numpy as np
import pytest
from PIL import Image

from pel_keras.data.image_header import HeaderError, read_image_size
from pel_keras.testing import data_media


def _cv2(extension, image, *params):
    ok, encoded = cv2.imencode(extension, image, list(params))
    assert ok
    return encoded.tobytes()


def _pillow(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def _top_down_bmp(image):
    """A BMP whose rows run top to bottom (negative height), made from OpenCV's bottom-up one."""
    data = bytearray(_cv2(".bmp", image))
    (offset,), (height,) = struct.unpack_from("<I", data, 10), struct.unpack_from("<i", data, 22)
    stride = len(data[offset:]) // height
    rows = [data[offset + i * stride : offset + (i + 1) * stride] for i in range(height)]
    struct.pack_into("<i", data, 22, -height)
    return bytes(data[:offset] + b"".join(reversed(rows)))


def _os2_bmp(image):
    """A BMP with the 12-byte OS/2 core header (16-bit sides), 24-bit rows bottom up."""
    height, width = image.shape[:2]
    stride = (width * 3 + 3) // 4 * 4
    rows = b"".join(image[y].tobytes().ljust(stride, b"\0") for y in reversed(range(height)))
    header = struct.pack("<IHHHH", 12, width, height, 1, 24)
    return b"BM" + struct.pack("<IHHI", 26 + len(rows), 0, 0, 26) + header + rows


def _tiff_16_bit(image):
    """A 16-bit grey TIFF, which Pillow writes big-endian (``MM``)."""
    grey = (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257).astype(">u2")
    return _pillow(Image.frombytes("I;16B", grey.shape[::-1], grey.tobytes()), format="TIFF")


FRAME = data_media.frame(3, size=(97, 61))  # odd sides, so that width and height cannot be swapped unseen
RGBA = Image.fromarray(np.dstack([FRAME[..., ::-1], np.full(FRAME.shape[:2], 200, np.uint8)]))
SAMPLES = {
    "png": ("PNG", _cv2(".png", FRAME)),
    "png 16-bit grey": ("PNG", _cv2(".png", cv2.cvtColor(FRAME, cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257)),
    "png 1-bit": ("PNG", _pillow(Image.fromarray(FRAME[..., 0] > 128), format="PNG")),
    "jpeg": ("JPEG", _cv2(".jpg", FRAME)),
    "jpeg progressive": ("JPEG", _cv2(".jpg", FRAME, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)),
    "jpeg with exif and a 200 KB icc profile": (
        "JPEG",
        _pillow(
            Image.fromarray(FRAME[..., ::-1]), format="JPEG", exif=Image.Exif().tobytes(), icc_profile=bytes(200_000)
        ),
    ),
    "bmp": ("BMP", _cv2(".bmp", FRAME)),
    "bmp top-down": ("BMP", _top_down_bmp(FRAME)),
    "bmp os/2": ("BMP", _os2_bmp(FRAME)),
    "gif": ("GIF", _pillow(Image.fromarray(FRAME[..., ::-1]), format="GIF")),
    "webp lossy": ("WebP", _cv2(".webp", FRAME, cv2.IMWRITE_WEBP_QUALITY, 80)),
    "webp lossless": ("WebP", _cv2(".webp", FRAME, cv2.IMWRITE_WEBP_QUALITY, 101)),
    "webp extended (alpha)": ("WebP", _pillow(RGBA, format="WEBP", quality=80)),
    "tiff": ("TIFF", _cv2(".tif", FRAME)),
    "tiff big-endian": ("TIFF", _tiff_16_bit(FRAME)),
    "bigtiff": ("TIFF", _pillow(Image.fromarray(FRAME[..., ::-1]), format="TIFF", big_tiff=True)),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_the_size_in_the_header_is_the_size_decoded(name):
    kind, data = SAMPLES[name]
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded is not None and decoded.shape[:2] == (61, 97)  # OpenCV reads the sample...
    assert Image.open(io.BytesIO(data)).size == (97, 61)  # ...and so does Pillow
    assert read_image_size(io.BytesIO(data)) == (kind, 97, 61)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_cut_short_header_is_an_error_never_a_wrong_size(name):
    kind, data = SAMPLES[name]
    cuts = sorted({*range(0, 64), *range(64, len(data), max(1, len(data) // 300))})
    for cut in cuts:
        try:
            found = read_image_size(io.BytesIO(data[:cut]))
        except HeaderError as error:
            assert "cut short" in str(error), (cut, error)
            continue
        assert found in (None, (kind, 97, 61)), cut
        assert found is not None or cut < 12, cut  # only a prefix shorter than the signature is unknown


def test_garbage_after_a_signature_is_a_header_error_or_a_size():
    rng = np.random.default_rng(0)
    signatures = [
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"\xff\xd8",
        b"GIF89a",
        b"BM",
        b"II*\0",
        b"MM\0*",
        b"II+\0",
        b"RIFF\0\0\0\0WEBPVP8X",
        b"RIFF\0\0\0\0WEBPVP8L",
    ]
    for signature in signatures:
        for _ in range(200):
            data = signature + rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
            try:
                found = read_image_size(io.BytesIO(data))
            except HeaderError:
                continue
            assert found is not None and all(side >= 0 for side in found[1:])


def test_a_lying_count_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "lies.tif"  # a BigTIFF whose first directory claims 2**40 entries
    path.write_bytes(b"II+\0" + struct.pack("<HHQ", 8, 0, 16) + struct.pack("<Q", 2**40) + bytes(64))
    with open(path, "rb") as f, pytest.raises(HeaderError, match="claims"):
        read_image_size(f)


def test_other_content_is_not_an_image_format_known_here():
    for data in (b"", b"plain text", b"\0\0\0\x18ftypmp42", cv2.imencode(".ppm", FRAME)[1].tobytes()):
        assert read_image_size(io.BytesIO(data)) is None


def test_a_bomb_declares_its_size_in_a_few_bytes(tmp_path):
    path = data_media.write_png_bomb(str(tmp_path / "bomb.png"))
    with open(path, "rb") as f:
        assert read_image_size(f) == ("PNG", 20000, 20000)
    assert (tmp_path / "bomb.png").stat().st_size < 60_000
