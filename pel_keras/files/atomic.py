"""Files replaced whole: written under a temporary name in the same folder, flushed, then renamed.

A reader (or a run resumed after a kill) sees either the old file or the complete new one, never half of
one. The temporary name holds the host and process id and a suffix that no input or output of the project
ends with (``.pel-tmp``), so it cannot collide with a user's file. Whatever stops the writer (an
exception, a full disk) removes the temporary file; a full disk is reported as a :class:`DiskFullError`
naming the folder.

The target may be a folder (a SavedModel): it is written whole under the temporary name, then exchanged
with the folder it replaces in one step (Linux ``renameat2(RENAME_EXCHANGE)``), so that the path names
the old folder or the new one at every moment; the old one is then removed.
"""

import contextlib
import ctypes
import errno
import os
import shutil

TEMPORARY_SUFFIX = ".pel-tmp"
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2  # <fcntl.h>, <linux/fs.h>


class DiskFullError(OSError):
    """The disk holding ``folder`` is full; the file being written was not changed."""

    def __init__(self, folder):
        super().__init__(
            errno.ENOSPC,
            f"no space left on the device holding {folder}: free some space and run "
            "the same command again (finished work is kept)",
            folder,
        )
        self.folder = folder

    def __reduce__(self):  # so that it crosses from a worker process to its pool with the same message
        return DiskFullError, (self.folder,)


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
def reporting_a_full_disk(folder):
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
    reads the format from it). On any exception it is removed and ``path`` is left as it was. The block may
    write a folder there instead of a file; it then replaces the folder ``path`` whole.

    Args:
        path: the file (or folder) to write.
        durable: also flush the file (a folder: its entries) and its folder to the disk (for records that
            vouch for other files).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = temporary_name(path)
    remove_path(temporary)  # a leftover of a killed process that had the same id
    try:
        with reporting_a_full_disk(folder):
            yield temporary
            if durable:
                fsync_path(temporary)
            _replace(temporary, path)
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


def _replace(temporary, path):
    """Renames ``temporary`` over ``path``; a folder over a folder by exchanging the two, then removing the old."""
    if not (os.path.isdir(temporary) and os.path.isdir(path) and not os.path.islink(path)):
        os.replace(temporary, path)
        return
    if not _exchange(temporary, path):
        _swap_by_renames(temporary, path)
    remove_path(temporary)


def _exchange(first, second):
    """Swaps two paths in one step with Linux's ``renameat2``; False where the system or file system lacks it."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), second)


def _swap_by_renames(first, second):
    """Swaps two paths with three renames, where no one-step exchange exists: for an instant ``second`` is
    missing, and a kill in that instant leaves its old content at ``first + ".old"``."""
    aside = first + ".old"
    os.rename(second, aside)
    try:
        os.rename(first, second)
    except BaseException:
        os.rename(aside, second)
        raise
    os.rename(aside, first)


def remove_path(path):
    """Removes a file or a folder with all it holds; nothing when it does not exist."""
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
