"""The frames an evaluation scores: one prepared dataset's split, as batches of
``(images, labels, video ids, paths)`` in manifest order (what ``runner.score_batches`` takes)."""

import dataclasses
import os
import tempfile

from pel_keras.data.crop_check import check_crops
from pel_keras.data.input_pipelines import backend_pipeline
from pel_keras.data.manifest import MANIFEST, csv_text, read_split, select_frames
from pel_keras.evaluation.outputs import Skipped
from pel_keras.files.atomic import atomic_write

_COLUMNS = ("path", "label", "video", "split")


@dataclasses.dataclass(frozen=True)
class TestSet:
    """The rows (absolute paths) of one split of a prepared dataset, after the frames-per-video cap;
    ``instead_of`` names the dataset asked for when this one, another compression of it, stands in for it."""

    dataset: str
    manifest: str
    split: str
    rows: tuple
    instead_of: str | None = None


def manifest_path(data_dir, dataset):
    return os.path.join(data_dir, dataset, MANIFEST)


def find_test_set(data_dir, dataset, split, frames=0, crop_cache=None):
    """The ``TestSet`` of ``dataset``, or ``Skipped`` with the reason when it is not prepared or lacks ``split``.

    Args:
        frames: at most this many frames per video, at equal intervals in frame order; 0 keeps all.
        crop_cache: the cache file of :func:`pel_keras.data.crop_check.check_crops` (None: none).

    Raises:
        UnreadableCropsError: a ValueError naming each frame of the set that is missing or not whole.
    """
    manifest = manifest_path(data_dir, dataset)
    if not os.path.isfile(manifest):
        return Skipped(dataset, f"not prepared: {manifest} not found")
    rows = read_split(manifest, split)
    if not rows:
        return Skipped(dataset, f"no {split!r} frames in {manifest}")
    rows = tuple(select_frames(rows, frames) if frames else rows)
    check_crops([row["path"] for row in rows], crop_cache, manifest)
    return TestSet(dataset, manifest, split, rows)


def frame_batches(test_set, image_size, batch_size):
    """The batches ``(images, labels, video ids, paths)`` over ``test_set.rows``, in their order, once: a
    ``tf.data.Dataset`` on TensorFlow, numpy batches on the other backends (no TensorFlow; the same values).

    Images are ``(B, image_size, image_size, 3)`` float32 RGB 0..255 (resized when stored at another size).
    """
    with tempfile.TemporaryDirectory() as folder:  # the pipeline reads its manifest once, here
        manifest = os.path.join(folder, MANIFEST)
        atomic_write(manifest, csv_text(_COLUMNS, [{c: row[c] for c in _COLUMNS} for row in test_set.rows]))
        batches = backend_pipeline()(manifest, test_set.split, image_size, batch_size, with_ids=True)
    return batches.map(lambda images, labels, ids: (images, labels, ids["video"], ids["path"]))
