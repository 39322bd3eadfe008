"""Files replaced whole: written under a temporary name in the same folder, flushed, then renamed.

A reader (or a run resumed after a kill) sees either the old file or the complete new one, never half of
one. The temporary name holds the host and process id and a suffix that no input or output of the project
ends with (``.pel-tmp``), so it cannot collide with a user's file. Whatever stops the writer (an
exception, a full disk) removes the temporary file; a full disk is reported as a :class:`DiskFullError`
naming the folder.
"""

import contextlib
import errno
import os
import shutil

TEMPORARY_SUFFIX = ".pel-tmp"


class DiskFullError(OSError):
    """The disk holding ``folder`` is full; the file being written was not changed."""

    def __init__(self, folder):
        super().__init__(errno.ENOSPC, f"no space left on the device holding {folder}: free some space and run "
                         "the same command again (finished work is kept)", folder)
        self.folder = folder

    def __reduce__(self):  # so that it crosses from a worker process to its pool with the same message
        return DiskFullError, (self.folder,)


@contextlib.contextmanager
def reporting_a_full_disk(folder):
    """Turns a full disk (``ENOSPC``) met in the block into a :class:`DiskFullError` naming ``folder``."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.ENOSPC and not isinstance(error, DiskFullError):
            raise DiskFullError(folder) from error
        raise


def temporary_name(path):
    """The temporary name :func:`atomic_output` writes ``path`` under (same folder, same extension)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, extension = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.{os.uname().nodename}-{os.getpid()}{TEMPORARY_SUFFIX}{extension}")


def fsync_path(path):
    """Flushes a file or a folder (its entries) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path, durable=False):
    """Yields a temporary path to write ``path`` through; renames it over ``path`` when the block succeeds.

    The temporary path keeps the extension of ``path`` (``model.save`` wants ``.keras``, ``cv2.imwrite``
    reads the format from it). On any exception it is removed and ``path`` is left as it was.

    Args:
        path: the file to write.
        durable: also flush the file and its folder to the disk (for records that vouch for other files).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = temporary_name(path)
    try:
        with reporting_a_full_disk(folder):
            yield temporary
            if durable:
                fsync_path(temporary)
            os.replace(temporary, path)
            if durable:
                fsync_path(folder)
    except BaseException:
        _remove(temporary)
        raise


def atomic_write(path, content, durable=False):
    """Writes ``content`` (``str`` or ``bytes``) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, durable=durable) as temporary:
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(temporary, mode, **({} if mode == "wb" else {"newline": ""})) as f:
            f.write(content)


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
