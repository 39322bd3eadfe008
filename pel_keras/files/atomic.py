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


def is_disk_full(error):
    """Whether ``error`` reports a full disk: ``ENOSPC`` as an OSError, or as TensorFlow reports it (a
    ``ResourceExhaustedError`` carrying the system's message, from checkpoints and summary writers)."""
    return getattr(error, "errno", None) == errno.ENOSPC or os.strerror(errno.ENOSPC) in str(error)


@contextlib.contextmanager
def reporting_full_disk(folder):
    """Turns a full disk met inside the block into a :class:`DiskFullError` naming ``folder``."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as error:
        if is_disk_full(error):
            raise DiskFullError(folder) from error
        raise


@contextlib.contextmanager
def atomic_output(path, durable=False):
    """Yields a temporary path to write ``path`` through; renames it over ``path`` when the block succeeds.

    The temporary path keeps the extension of ``path`` (``model.save`` wants ``.keras``, ``cv2.imwrite``
    reads the format from it). On any exception it is removed and ``path`` is left as it was; a full disk
    is raised as a :class:`DiskFullError` naming the folder.

    Args:
        path: the file to write.
        durable: also flush the file and its folder to the disk (for records that vouch for other files).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = temporary_name(path)
    try:
        with reporting_full_disk(folder):
            yield temporary
            if durable:
                fsync_path(temporary)
            os.replace(temporary, path)
            if durable:
                fsync_path(folder)
    except BaseException:
        remove_path(temporary)
        raise


def atomic_write(path, content, durable=False):
    """Writes ``content`` (``str`` or ``bytes``) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, durable=durable) as temporary:
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(temporary, mode, **({} if mode == "wb" else {"newline": ""})) as f:
            f.write(content)


def remove_path(path):
    """Removes a file or a folder with all it holds; nothing when it does not exist."""
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
