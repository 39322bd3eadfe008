"""Who writes a preparation's output folder, and how a video's crops get into it.

- One writer per shard: a run holds ``.pel-lock-shard-K-of-N`` for its whole length, so the shards
  ``1/N .. N/N`` of one job can write the folder at once, while a second run of the same shard, or a run
  of another sharding (``1/1`` beside ``2/3``: their videos overlap), is refused with a message naming
  the process that writes it. A run killed with ``kill -9`` holds nothing: the next one starts at once.
- The files every shard rewrites (``manifest.csv``, ``failures.csv``, ``prepare.json``) are read and
  written under a short lock, one shard at a time, so the last shard to end sees every stored outcome.
- Workers write a video's crops into a staging folder of their shard, ``.pel-tmp/shard-K-of-N/`` beside
  ``crops/`` (no video id can name it), and flush them to the disk; the run's own process then renames
  the folder to ``crops/<video id>`` and only then stores the video's record. A record therefore always
  vouches for crops that are on the disk, and no worker ever deletes or replaces a finished crop folder.
"""

import contextlib
import os
import re
import shutil

from pel_keras.data import manifest
from pel_keras.files.atomic import TEMPORARY_SUFFIX, fsync_path, reporting_a_full_disk
from pel_keras.files.locks import LOCK_FILE, FolderLockedError, folder_lock

SHARD_LOCK = re.compile(re.escape(LOCK_FILE) + r"-shard-(\d+)-of-(\d+)")


def _shard_name(shard):
    return "shard-{}-of-{}".format(*shard)


@contextlib.contextmanager
def writer_lock(out_dir, shard):
    """Holds the lock of ``shard`` ``(k, n)`` of ``out_dir`` for the block.

    Raises:
        FolderLockedError: a live process writes the same shard, or any shard of another ``n``.
    """
    k, n = shard
    with folder_lock(out_dir, f"{LOCK_FILE}-{_shard_name(shard)}"):
        # Taken before looking at the others: of two runs that start together, the later to look sees the first.
        for name in sorted(os.listdir(out_dir)):
            match = SHARD_LOCK.fullmatch(name)
            if match and int(match[2]) != n:
                try:
                    with folder_lock(out_dir, name):
                        pass
                except FolderLockedError as error:
                    raise FolderLockedError(
                        f"{error} Runs that write one folder at once must be shards of one "
                        f"split into N parts; this one is --shard={k}/{n}."
                    ) from None
        yield


def shared_files(out_dir):
    """A context manager holding the short lock of the files every shard rewrites (waits its turn)."""
    return folder_lock(out_dir, f"{LOCK_FILE}-shared", wait=True)


@contextlib.contextmanager
def staging(out_dir, shard):
    """Yields this shard's staging folder, emptied of what a killed run left; removes it after the block."""
    folder = staging_folder(out_dir, shard)
    shutil.rmtree(folder, ignore_errors=True)
    with reporting_a_full_disk(out_dir):
        os.makedirs(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def staging_folder(out_dir, shard):
    """Where the workers of ``shard`` write crops before they are put in place."""
    return os.path.join(out_dir, TEMPORARY_SUFFIX, _shard_name(shard))


def put_in_place(out_dir, video, outcome, staged):
    """Renames the ``staged`` crop folder (None when there are no crops) to ``crops/<video>``, then stores
    ``outcome`` as the video's record, both flushed to the disk in that order.

    A crop folder already there belongs to no trusted record (an interrupted run's, or one whose crops
    are incomplete) and is replaced.
    """
    final = os.path.join(out_dir, "crops", video)
    with reporting_a_full_disk(out_dir):
        if os.path.lexists(final):
            shutil.rmtree(final)
        if staged is not None:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.rename(staged, final)
            fsync_path(os.path.dirname(final))
    manifest.save_record(out_dir, video, outcome, durable=True)
