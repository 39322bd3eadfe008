"""The crops a run will read, checked before it reads them: each exists and is a whole image.

TensorFlow meets a truncated crop only when a batch needs it, possibly hours into training, and its
message names no file (``Invalid PNG data, size 2702``); a missing crop fails as late. Checking up front
costs a ``stat`` and two small reads per crop, the first and last bytes: a PNG must end with its ``IEND``
chunk and a JPEG with its end-of-image marker, the two ways a file cut short (a killed writer, a full disk,
an interrupted copy) shows; other formats TensorFlow decodes (GIF, BMP, WebP, JPEG XL) are checked by their
signature. Damage inside a file whose ends are intact is not looked for: that needs a full decode.

Crops are checked by threads in parallel, and each crop found whole is remembered in a cache file by path,
size and modification time, so that a resumed run or a second evaluation only ``stat`` s them.
"""

import concurrent.futures
import json
import os
import stat

from pel_keras.files.atomic import atomic_write

CACHE = ".pel-crops-checked.json"
THREADS = 16
CHUNK = 256  # crops per task handed to a thread
TAIL = 64  # bytes read at the end of a file: the end markers may be followed by a little padding
LISTED = 20  # crops named in the error; the rest are counted
# (format, signatures at the start, marker the file must end with or None). TensorFlow's decode_image list.
FORMATS = (
    ("PNG", (b"\x89PNG\r\n\x1a\n",), b"IEND\xaeB`\x82"),
    ("JPEG", (b"\xff\xd8\xff",), b"\xff\xd9"),
    ("GIF", (b"GIF87a", b"GIF89a"), None),
    ("BMP", (b"BM",), None),
    ("WebP", (b"RIFF",), None),
    ("JPEG XL", (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"), None),
)


class UnreadableCropsError(ValueError):
    """Crops a run needs are missing or not whole images; the message names them and the reason for each."""


def crop_problem(path):
    """Why the crop at ``path`` cannot be decoded, or None when it exists and looks whole."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(16)
            tail = os.pread(f.fileno(), TAIL, max(0, size - TAIL))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "a folder, not an image file"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if not size:
        return "empty (0 bytes)"
    for name, signatures, end in FORMATS:
        if head.startswith(signatures):
            if end is not None and end not in tail:
                return f"truncated: the {name} stops after {size} bytes without its end marker"
            return None
    return f"not an image TensorFlow decodes (it starts with {head[:8]!r})"


def check_crops(paths, cache=None, source="the manifest"):
    """Raises :class:`UnreadableCropsError` naming each of ``paths`` that is missing or not whole.

    Args:
        paths: the crops' paths (duplicates are checked once).
        cache: a JSON file remembering the crops found whole (by path, size and modification time), read
            if present and rewritten when this check found new ones; None: no cache.
        source: where the paths are listed (a manifest), for the message.

    Returns:
        How many crops were read (those the cache did not vouch for).
    """
    paths = sorted(set(paths))
    known = _read_cache(cache) if cache else {}
    stamps = dict(_parallel(_stamps, paths))
    unknown = [path for path in paths if stamps[path] is None or known.get(path) != stamps[path]]
    problems = {path: problem for path, problem in _parallel(_problems, unknown) if problem}
    if cache and unknown:
        good = {path: stamps[path] for path in unknown if path not in problems}
        _write_cache(cache, {**{p: s for p, s in known.items() if p not in problems}, **good})
    if problems:
        raise UnreadableCropsError(_message(problems, len(paths), source))
    return len(unknown)


def _stamps(paths):
    """``(path, [size, mtime_ns])`` of each regular file; ``(path, None)`` for anything else."""
    for path in paths:
        try:
            info = os.stat(path)
            yield path, [info.st_size, info.st_mtime_ns] if stat.S_ISREG(info.st_mode) else None
        except OSError:
            yield path, None


def _problems(paths):
    for path in paths:
        yield path, crop_problem(path)


def _parallel(function, paths):
    """``function(chunk)``'s pairs over chunks of ``paths``, run by :data:`THREADS` threads (file reads
    release the interpreter's lock, so the waits overlap)."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        return [pair for pairs in pool.map(lambda chunk: list(function(chunk)), chunks) for pair in pairs]


def _read_cache(path):
    """The cache's ``{path: [size, mtime_ns]}``; empty when it is missing or not one (it is rebuilt)."""
    try:
        with open(path, encoding="utf-8") as f:
            crops = json.load(f)["crops"]
        return crops if isinstance(crops, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_cache(path, crops):
    atomic_write(path, json.dumps({"crops": crops}, separators=(",", ":")) + "\n")


def _message(problems, total, source):
    listed = sorted(problems.items())[:LISTED]
    lines = [f"  {path}: {problem}" for path, problem in listed]
    if len(problems) > LISTED:
        lines.append(f"  ... and {len(problems) - LISTED} more")
    return (
        f"{len(problems)} of {total} crops listed in {source} cannot be read:\n"
        + "\n".join(lines)
        + "\nPrepare them again (prepare.py) or remove their rows from the manifest; nothing was trained or "
        "scored."
    )
