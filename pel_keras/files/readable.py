"""Why a path cannot be read, in words: the true reason and the path, before a library reports every failure
as "not found" or as a bad format (Keras says "File not found" of a folder, a symbolic link loop and a file
it may not read alike).

Each reason is its own ``OSError`` type, so callers keep telling a missing input from a broken one.
"""

import errno
import os
import stat
import zipfile

FILE, FOLDER = "file", "folder"
ZIP_START = b"PK\x03\x04"  # the first bytes of a zip archive (its first entry's header)


def check_readable(path, kind=FILE):
    """Raises an error naming ``path`` and the reason when it cannot be read as a ``kind``.

    Args:
        path: the file or folder.
        kind: :data:`FILE` (a regular file), :data:`FOLDER` or None (either).

    Raises:
        FileNotFoundError: nothing there, or a symbolic link to nothing (its target named).
        PermissionError: this user may not read it, or may not look into a folder on the way to it.
        IsADirectoryError, NotADirectoryError: a folder where a file is expected, or the reverse; a part
            of the path that is a file.
        OSError: symbolic links that lead in a loop; a pipe, device or socket where a file is expected.
    """
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except OSError as error:
        raise _stat_error(path, error) from None
    if stat.S_ISDIR(status.st_mode):
        if kind == FILE:
            raise IsADirectoryError(f"{path} is a folder, not a file")
    elif kind == FOLDER:
        raise NotADirectoryError(f"{path} is a file, not a folder")
    elif not stat.S_ISREG(status.st_mode):
        raise OSError(f"{path} is not a regular file (a pipe, a device or a socket)")
    try:
        if stat.S_ISDIR(status.st_mode):
            os.listdir(path)
        else:
            open(path, "rb").close()
    except PermissionError:
        what = "list this folder" if stat.S_ISDIR(status.st_mode) else "read this file"
        raise PermissionError(f"{path}: permission denied: this user may not {what}") from None


def os_reason(error, path=None):
    """Why the operating system refused ``path``, in words, from the ``OSError`` it raised.

    The one wording of these reasons for every message that names a path (missing dataset files, media,
    model files). A symbolic link to nothing names its target; a link loop, a file in the middle of a
    path and a missing path are told apart from each other.

    Args:
        error: the ``OSError``.
        path: the path the error is about (default: the error's own ``filename``).
    """
    path = os.fspath(path if path is not None else error.filename or "")
    if error.errno == errno.ENOENT:
        if path and os.path.islink(path):
            return f"a symbolic link to {os.readlink(path)}, which does not exist"
        return "no such file or folder"
    if error.errno == errno.ELOOP:
        return "symbolic links that lead in a loop (they never reach a file)"
    if error.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if error.errno == errno.EACCES:
        return "permission denied"
    words = error.strerror or str(error)
    return words[:1].lower() + words[1:]


_STAT_ERRORS = {
    errno.ENOENT: FileNotFoundError,
    errno.EACCES: PermissionError,
    errno.ENOTDIR: NotADirectoryError,
}


def _stat_error(path, error):
    reason = os_reason(error, path)
    if error.errno == errno.EACCES:
        reason += ": this user may not look into a folder on its path"
    return _STAT_ERRORS.get(error.errno, OSError)(f"{path}: {reason}")


def check_keras_file(path):
    """Raises an error naming ``path`` and the reason when it is not a readable, whole ``.keras`` file.

    A ``.keras`` file is a zip archive whose directory sits at its end, so a truncated copy is told apart
    from a file of another kind (text, HDF5).

    Raises:
        OSError: as :func:`check_readable`.
        ValueError: not a zip archive (empty, truncated, text or another format).
    """
    check_readable(path, FILE)
    if zipfile.is_zipfile(path):
        return
    with open(path, "rb") as f:
        head = f.read(256)
    if not head:
        reason = "the file is empty"
    elif head.startswith(ZIP_START):
        reason = (
            "it begins as a zip archive but its end (the archive's directory) is missing: the file is "
            "truncated, e.g. by an interrupted copy or download"
        )
    elif _is_text(head):
        reason = f"it holds text ({head[:40].decode('utf-8', 'replace')!r}...), not a zip archive"
    else:
        reason = f"it is not a zip archive (it begins with {head[:8]!r})"
    raise ValueError(f"{path} is not a .keras file: {reason}")


def _is_text(head):
    try:
        return "\x00" not in head.decode("utf-8")
    except UnicodeDecodeError:
        return False
