"""``manifest.csv`` -> numpy batches, without TensorFlow: the input of the JAX and PyTorch backends.

:func:`build_batches` takes :func:`~pel_keras.data.pipeline.build_dataset`'s arguments (but ``records``: it
reads the PNG crops) and yields the same batches, as numpy arrays: each example's image comes from the same
numpy functions (:func:`pel_keras.data.example_images.example_image` and, with ``sbi``,
:func:`pel_keras.data.sbi_pairs.training_pair`), seeded by ``(seed, element index)``; only the order of a
training stream (shuffling and class draws, seeded numpy generators here) differs from ``tf.data``'s.

Examples are decoded by a pool of threads, each writing its image into its batch's array, a few batches ahead
of the consumer: OpenCV and numpy release the GIL while they work, and threads need no ``fork`` (forking a
process in which JAX already runs its threads is unsafe) and no package beyond numpy and OpenCV. Batches
come in stream order whatever the number of threads, so a seed gives the same batches on any machine.
"""

import collections
import concurrent.futures
import os

import numpy as np

from pel_keras.data.augment import AugmentConfig
from pel_keras.data.example_images import example_image
from pel_keras.data.input_pipelines import pipeline_rows
from pel_keras.data.manifest import rows_by_class
from pel_keras.data.sbi_pairs import PSEUDO_FAKE_SUFFIX, training_pair, unit_rows

PREFETCH = 2  # whole batches being decoded ahead of the one being filled


class ArrayBatches:
    """Batches of numpy arrays, iterable again and again: every ``iter()`` starts the stream from its
    beginning (one pass, or the same endless training stream for the same seed).

    Args:
        start: returns a new iterator over the batches.
        length: the number of batches of one pass; None when endless.
    """

    def __init__(self, start, length=None):
        self._start, self._length = start, length

    def __iter__(self):
        return self._start()

    def __len__(self):
        if self._length is None:
            raise TypeError("an endless training stream has no length")
        return self._length

    def map(self, function):
        """The batches as ``function(*batch)`` gives them (as ``tf.data.Dataset.map`` does)."""
        return ArrayBatches(lambda: (function(*batch) for batch in self._start()), self._length)


class _Job:
    """One unit of work for the thread pool: ``load()`` returns the images of ``examples``, a list of
    ``(label, video, path)``, as a ``(len(examples), size, size, 3)`` float32 array."""

    def __init__(self, load, examples):
        self.load, self.examples = load, examples


class _Batch:
    """A batch being filled: its arrays, the ids of its examples and the jobs writing into it."""

    def __init__(self, batch_size, image_size):
        self.images = np.empty((batch_size, image_size, image_size, 3), np.float32)
        self.labels = np.empty((batch_size, 1), np.float32)
        self.videos, self.paths, self.futures = [], [], []

    @property
    def full(self):
        return len(self.paths) == len(self.labels)

    def add(self, label, video, path):
        """Reserves the next slot for an example; returns its index."""
        slot = len(self.paths)
        self.labels[slot] = label
        self.videos.append(video)
        self.paths.append(path)
        return slot

    def result(self):
        """``(images, labels, {"video", "path"})`` once every job writing into it is done (its error, if any)."""
        for future in self.futures:
            future.result()
        count = len(self.paths)
        ids = {"video": np.array(self.videos, dtype=str), "path": np.array(self.paths, dtype=str)}
        return self.images[:count], self.labels[:count], ids


def _run(job, destinations):
    for (images, slot), image in zip(destinations, job.load()):
        images[slot] = image


def _batched(jobs, batch_size, image_size, drop_remainder, workers):
    """Yields the ``_Batch.result()`` of ``jobs``' examples, in order, decoded by ``workers`` threads."""
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="pel-input") as pool:
        ready, batch = collections.deque(), _Batch(batch_size, image_size)
        try:
            for job in jobs:
                destinations = []
                for example in job.examples:
                    if batch.full:
                        ready.append(batch)
                        batch = _Batch(batch_size, image_size)
                    destinations.append((batch, batch.add(*example)))
                future = pool.submit(_run, job, [(target.images, slot) for target, slot in destinations])
                for target, _ in destinations:
                    target.futures.append(future)
                while len(ready) > PREFETCH:
                    yield ready.popleft().result()
            if batch.paths and (batch.full or not drop_remainder):
                ready.append(batch)
            while ready:
                yield ready.popleft().result()
        finally:  # also when the consumer stops early: drop the work not started
            for waiting in [*ready, batch]:
                for future in waiting.futures:
                    future.cancel()


def _endless(items, rng):
    """``items`` in a new order drawn by ``rng`` every pass, without end."""
    while True:
        for index in rng.permutation(len(items)):
            yield items[index]


def _training_rows(rows, seed, balance):
    """Returns a function that starts the endless training stream of rows: shuffled by ``seed``, each pass
    in a new order; with ``balance``, real and fake drawn 1:1.

    Raises:
        ValueError: a class is missing when balancing.
    """
    if not balance:
        return lambda: _endless(rows, np.random.default_rng([seed, 0]))
    by_class = rows_by_class(rows)

    def start():
        streams = [_endless(part, np.random.default_rng([seed, 1 + label])) for label, part in enumerate(by_class)]
        draws = np.random.default_rng(seed)
        while True:
            yield next(streams[int(draws.random() < 0.5)])

    return start


def _example_jobs(rows, image_size, config, seed):
    """One job per row of ``rows`` (an iterable): its image, element ``index`` of the stream."""
    for index, row in enumerate(rows):

        def load(path=row["path"], index=index):
            with open(path, "rb") as file:
                return example_image(file.read(), path, image_size, config, seed, index)[None]

        yield _Job(load, [(float(row["label"]), row["video"], row["path"])])


def _sbi_units(rows, seed, only_real):
    """Returns a function that starts the endless stream of self-blending units ``(real row, its landmarks,
    partner row or None)``: every real row in an order shuffled by ``seed``; with ``only_real``, or without
    fakes, no partner (the fake is the frame's pseudo-fake), else a manifest fake for half the units, drawn
    by ``seed`` (as :func:`pel_keras.data.sbi_pipeline.sbi_units` draws them).

    Raises:
        ValueError: ``rows`` hold no real frame, or a row's landmarks are not 5 points.
    """
    reals, fakes, landmarks = unit_rows(rows)

    def start():
        partners = None
        if fakes and not only_real:
            partners = _endless(fakes, np.random.default_rng([seed, 2]))
        draws = np.random.default_rng(seed)
        for index in _endless(range(len(reals)), np.random.default_rng([seed, 1])):
            yield reals[index], landmarks[index], next(partners) if partners and draws.random() < 0.5 else None

    return start


def _pair_jobs(units, image_size, sbi, config, seed):
    """One job per unit: its real image (label 0), then its fake (label 1), unit ``index`` of the stream."""
    for index, (real, landmarks, partner) in enumerate(units):
        partner_path = partner["path"] if partner else ""

        def load(path=real["path"], landmarks=landmarks, partner_path=partner_path, index=index):
            return training_pair(path, landmarks, partner_path, image_size, sbi, config, seed, index)

        fake = partner or {"video": real["video"] + PSEUDO_FAKE_SUFFIX, "path": real["path"] + PSEUDO_FAKE_SUFFIX}
        yield _Job(load, [(0.0, real["video"], real["path"]), (1.0, fake["video"], fake["path"])])


def _job_stream(rows, image_size, training, config, seed, balance, sbi, sbi_only_real):
    """Returns a function that starts the stream of jobs of :func:`build_batches` (whose arguments these are),
    after the checks that need the rows.

    Raises:
        ValueError: a class is missing when balancing; with ``sbi``, no real frame or landmarks that are not
            5 points.
    """
    if sbi is not None:
        units = _sbi_units(rows, seed, sbi_only_real)
        return lambda: _pair_jobs(units(), image_size, sbi, config, seed)
    if training:
        ordered = _training_rows(rows, seed, balance)
        return lambda: _example_jobs(ordered(), image_size, config, seed)
    return lambda: _example_jobs(rows, image_size, None, seed)


def _default_workers():
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def build_batches(
    manifests,
    split,
    image_size=320,
    batch_size=32,
    training=False,
    augment_config=None,
    seed=0,
    num_shards=1,
    shard_index=0,
    with_ids=False,
    balance=True,
    sbi=None,
    sbi_only_real=True,
    workers=None,
):
    """Batches of face crops from one or more ``manifest.csv`` files, as numpy arrays.

    Args:
        manifests, split, image_size, batch_size, training, augment_config, seed, num_shards, shard_index,
        with_ids, balance, sbi, sbi_only_real: as :func:`pel_keras.data.pipeline.build_dataset` takes them
            (the same semantics: augmentation, 1:1 classes, seeded shuffling reshuffled every pass, endless
            and the last partial batch dropped when training; manifest order, one pass, the last partial
            batch kept otherwise; shards taken before shuffling; self-blended pairs).
        workers: threads decoding; default: the CPU cores this process may use.

    Returns:
        An :class:`ArrayBatches` of ``(images, labels)`` or ``(images, labels, {"video", "path"})``: images
        ``(B, image_size, image_size, 3)`` float32 RGB 0..255, labels ``(B, 1)`` float32 (1 = fake), ids
        ``(B,)`` str arrays. Iterating raises the OSError or ValueError of a crop that cannot be read or
        decoded, naming its file.

    Raises:
        ValueError: as :func:`~pel_keras.data.pipeline.build_dataset` raises them.
    """
    rows = pipeline_rows(manifests, split, training, num_shards, shard_index, sbi)
    config = augment_config or AugmentConfig()
    jobs = _job_stream(rows, image_size, training, config, seed, balance, sbi, sbi_only_real)
    workers = workers or _default_workers()
    batches = ArrayBatches(
        lambda: _batched(jobs(), batch_size, image_size, training, workers),
        None if training else -(-len(rows) // batch_size),
    )
    return batches if with_ids else batches.map(lambda images, labels, ids: (images, labels))
