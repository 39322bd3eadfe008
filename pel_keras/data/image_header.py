"""The pixel size of an image, read from its header alone, before anything is decoded (pure Python).

A 48 KB PNG can declare 20000x20000 pixels and take gigabytes to decode (a decompression bomb); the size
in its header says so in a few bytes. Formats: PNG (and APNG), JPEG, BMP, GIF, WebP (lossy, lossless,
extended) and TIFF (classic and BigTIFF), recognised by their content, not their file name.

This module must not import TensorFlow: the edge predictor reuses it.
"""

import struct

FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WebP", "TIFF")
# JPEG markers that start a frame (SOF0-SOF15 less DHT, JPG and DAC), whose header holds the size.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# JPEG markers that stand alone, without a length: TEM, RST0-RST7, SOI.
_JPEG_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8), 0xD8])
_TIFF_WIDTH, _TIFF_HEIGHT = 256, 257
# More than any real header reads at once (a TIFF directory of 65535 BigTIFF entries is 1.3 MB): a larger
# count is a lie that must not become an allocation.
_LONGEST_READ = 2**21


class HeaderError(ValueError):
    """A file that starts like a known image format but whose header is cut short or inconsistent."""


def _read(file, size, offset=None):
    if size > _LONGEST_READ:
        raise HeaderError(f"its header claims {size} bytes of fields")
    try:
        if offset is not None:
            file.seek(offset)
        data = file.read(size)
    except (OverflowError, OSError):  # an offset no file can reach
        raise HeaderError("its header points past any file's end") from None
    if len(data) < size:
        raise HeaderError("its header is cut short")
    return data


def _png(file, head):
    if len(head) < 24:
        raise HeaderError("its PNG header is cut short")
    if head[12:16] != b"IHDR":
        raise HeaderError("a PNG whose first chunk is not IHDR")
    return struct.unpack(">II", head[16:24])


def _gif(file, head):
    return struct.unpack("<HH", head[6:10])


def _bmp(file, head):
    (dib_size,) = struct.unpack("<I", head[14:18])
    if dib_size == 12:  # OS/2 BITMAPCOREHEADER: unsigned 16-bit sides
        return struct.unpack("<HH", head[18:22])
    width, height = struct.unpack("<ii", head[18:26])
    return abs(width), abs(height)  # a negative height is a top-down bitmap


def _webp(file, head):
    if len(head) < 30:
        raise HeaderError("its WebP header is cut short")
    chunk = head[12:16]
    if chunk == b"VP8 ":  # lossy: 14-bit sides after the frame tag and the start code 9d 01 2a
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14 bits of width - 1 and 14 of height - 1
        (bits,) = struct.unpack("<I", head[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: the canvas, 24 bits of width - 1 and of height - 1
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    raise HeaderError(f"a WebP whose first chunk {chunk!r} is not VP8, VP8L or VP8X")


def _jpeg(file, head):
    offset = 2
    while True:
        marker = _read(file, 2, offset)
        while marker[1] == 0xFF:  # fill bytes before a marker
            offset += 1
            marker = _read(file, 2, offset)
        if marker[0] != 0xFF or marker[1] == 0xD9:
            raise HeaderError("a JPEG with no frame header (SOF) before its data")
        offset += 2
        if marker[1] in _JPEG_STANDALONE:
            continue
        (length,) = struct.unpack(">H", _read(file, 2, offset))
        if marker[1] in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", _read(file, 4, offset + 3))
            if height == 0:
                raise HeaderError("a JPEG whose height is given only after its data (DNL marker)")
            return width, height
        offset += length


def _tiff(file, head):
    order = "<" if head[:2] == b"II" else ">"
    (version,) = struct.unpack(order + "H", head[2:4])
    if version == 43:  # BigTIFF: 8-byte offsets and counts, 20-byte entries
        count_format, (ifd,) = "Q", struct.unpack(order + "Q", head[8:16])
    else:
        count_format, (ifd,) = "H", struct.unpack(order + "I", head[4:8])
    # An entry: tag (2 bytes), field type (2), value count and value (4 bytes each, 8 in a BigTIFF).
    count_size, field_size = struct.calcsize(count_format), 8 if version == 43 else 4
    entry_size = 4 + 2 * field_size
    (count,) = struct.unpack(order + count_format, _read(file, count_size, ifd))
    entries = _read(file, count * entry_size, ifd + count_size)
    sides = {}
    for start in range(0, len(entries), entry_size):
        tag, kind = struct.unpack(order + "HH", entries[start : start + 4])
        if tag in (_TIFF_WIDTH, _TIFF_HEIGHT):
            # SHORT (3), LONG (4) or LONG8 (16), stored left-justified in the entry's value field
            value_format = {3: "H", 4: "I", 16: "Q"}.get(kind)
            if value_format is None or struct.calcsize(value_format) > field_size:
                raise HeaderError(f"a TIFF whose image size has field type {kind}")
            sides[tag] = struct.unpack_from(order + value_format, entries, start + 4 + field_size)[0]
    if len(sides) < 2:
        raise HeaderError("a TIFF whose first image has no width or height")
    return sides[_TIFF_WIDTH], sides[_TIFF_HEIGHT]


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG", _png),
    (b"\xff\xd8", "JPEG", _jpeg),
    (b"GIF87a", "GIF", _gif),
    (b"GIF89a", "GIF", _gif),
    (b"BM", "BMP", _bmp),
    (b"II*\x00", "TIFF", _tiff),
    (b"MM\x00*", "TIFF", _tiff),
    (b"II+\x00", "TIFF", _tiff),
    (b"MM\x00+", "TIFF", _tiff),
)


def read_image_size(file):
    """The format and pixel size of the image in ``file``, from its header alone.

    Args:
        file: a binary file object, at its start (it is read and seeked, never far).

    Returns:
        ``(format, width, height)``, ``format`` one of :data:`FORMATS`; None when the file does not start
        like any of them (a video, another image format, text).

    Raises:
        HeaderError: the file starts like one of :data:`FORMATS` but its header is cut short or invalid.
    """
    head = file.read(32)
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    found = ("WebP", _webp) if webp else next(((n, f) for s, n, f in _SIGNATURES if head.startswith(s)), None)
    if found is None:
        return None
    name, parse = found
    try:
        width, height = parse(file, head)
    except struct.error:  # a slice of ``head`` shorter than its fields
        raise HeaderError(f"its {name} header is cut short") from None
    return name, width, height
