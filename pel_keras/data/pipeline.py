"""``manifest.csv`` -> ``tf.data``: PNG decode, training augmentations, class balance, shuffle, shards.
The TensorFlow-free pipeline with the same semantics is :mod:`pel_keras.data.array_pipeline`.

Elements are ``(images, labels)``: images ``(B, size, size, 3)`` float32 RGB in 0..255 (the model rescales
itself), labels ``(B, 1)`` float32 with 1 = fake. With ``with_ids=True`` a third element
``{"video": (B,) string, "path": (B,) string}`` follows, for video-level scores (use it in your own loop, or
map it away before ``model.predict``: Keras reads a third element as sample weights).

FF++'s training set has four fakes per real (REFERENCE §2); training batches draw real and fake
with equal probability. Each example's image (decoding, resizing, augmentations) is made by the numpy
functions both pipelines share (:mod:`pel_keras.data.example_images`, :mod:`pel_keras.data.augment`), called
through ``tf.numpy_function`` with a generator seeded from ``(seed, element index)``, so a seeded run yields
the same batches however many threads decode.

With ``sbi``, training batches are real frames each followed by a fake made from it on the fly
(Self-Blended Images, :mod:`pel_keras.data.sbi`), so a model can learn from real videos only.
"""

import tensorflow as tf

from pel_keras.data.augment import AugmentConfig
from pel_keras.data.example_images import example_image
from pel_keras.data.input_pipelines import per_input_pipeline, pipeline_rows
from pel_keras.data.manifest import read_manifest, read_split, rows_by_class
from pel_keras.data.sbi import SBIConfig
from pel_keras.data.sbi_pairs import PSEUDO_FAKE_SUFFIX
from pel_keras.data.sbi_pipeline import make_pair, sbi_units
from pel_keras.data.shard_pipeline import record_examples

__all__ = ["AugmentConfig", "SBIConfig", "build_dataset", "distributed_dataset_fn", "read_manifest", "read_split"]


def _examples(rows):
    """A dataset of ``(path, label, video)`` from manifest rows."""
    columns = ([r["path"] for r in rows], [float(r["label"]) for r in rows], [r["video"] for r in rows])
    return tf.data.Dataset.from_tensor_slices(columns)


def _training_examples(rows, seed, balance):
    """Endless shuffled ``(path, label, video)``; with ``balance`` real and fake are drawn 1:1."""

    def endless(part, offset):
        return _examples(part).shuffle(len(part), seed=seed + offset, reshuffle_each_iteration=True).repeat()

    if not balance:
        return endless(rows, 0)
    by_class = rows_by_class(rows)
    return tf.data.Dataset.sample_from_datasets(
        [endless(by_class[0], 1), endless(by_class[1], 2)], weights=[0.5, 0.5], seed=seed
    )


def _loaded_examples(examples, image_size, training, config, seed):
    """``(image, label (1,), ids)`` per example ``(path, label, video)`` (the PNG read from ``path``) or
    ``(path, label, video, PNG bytes)``: the image of :func:`pel_keras.data.example_images.example_image`,
    augmented when training, the element's index in ``examples`` seeding its augmentations."""

    def image(encoded, path, index):
        return example_image(encoded, path.decode(), image_size, config if training else None, seed, index)

    def load(index, example):
        path, label, video = example[:3]
        encoded = example[3] if len(example) == 4 else tf.io.read_file(path)  # record shards carry the bytes
        pixels = tf.numpy_function(image, [encoded, path, index], tf.float32, stateful=False)
        return (
            tf.ensure_shape(pixels, [image_size, image_size, 3]),
            tf.reshape(label, [1]),
            {"video": video, "path": path},
        )

    return examples.enumerate().map(load, num_parallel_calls=tf.data.AUTOTUNE)


def _sbi_examples(rows, image_size, config, seed, sbi, sbi_only_real):
    """Training examples from :func:`sbi_units`: each unit's real (label 0), then its fake (label 1)."""

    def load_pair(index, unit):
        path, video, landmarks, partner_path, partner_video = unit
        images = make_pair(path, landmarks, partner_path, index, image_size, sbi, config, seed)
        pseudo = tf.equal(partner_path, "")
        ids = {
            "video": tf.stack([video, tf.where(pseudo, video + PSEUDO_FAKE_SUFFIX, partner_video)]),
            "path": tf.stack([path, tf.where(pseudo, path + PSEUDO_FAKE_SUFFIX, partner_path)]),
        }
        return images, tf.constant([[0.0], [1.0]]), ids

    units = sbi_units(rows, seed, sbi_only_real)
    return units.enumerate().map(load_pair, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def build_dataset(
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
    records=None,
):
    """A ``tf.data.Dataset`` of face-crop batches from one or more ``manifest.csv`` files.

    Args:
        manifests: a manifest path or a list of them (rows of all are pooled).
        split: ``train``, ``val`` or ``test``.
        image_size: side of the images yielded (crops stored at another size are resized).
        batch_size: examples per batch yielded by this dataset, i.e. per worker (see
            :func:`distributed_dataset_fn` to start from a global batch).
        training: when true: augmentation, 1:1 class balance (if ``balance``), seeded shuffling,
            endless repetition, and the last partial batch dropped. When false: manifest order, one
            pass, no augmentation, the last partial batch kept.
        augment_config: :class:`AugmentConfig` (default ``AugmentConfig()``); ignored when not training.
        seed: seeds shuffling, class sampling, augmentation and self-blending.
        num_shards, shard_index: this worker's share, every ``num_shards``-th example of the split
            from ``shard_index`` on (taken before shuffling, so shards are disjoint).
        with_ids: also yield ``{"video", "path"}`` strings per example (a pseudo-fake's are its real
            frame's with ``#sbi`` appended).
        balance: with ``training``, draw real and fake 1:1 (without ``sbi``).
        sbi: a :class:`pel_keras.data.sbi.SBIConfig` to train with self-blended pseudo-fakes (training
            only): every real frame drawn yields itself (label 0) and then a fake (label 1), so real and
            fake are 1:1 by construction and ``balance`` does not apply. ``None``: off.
        sbi_only_real: with ``sbi``, train on the real frames only, every fake being a pseudo-fake (SBI's
            setting); when false, the manifest's fakes are kept: half the real frames, drawn by ``seed``,
            are paired with a fake of the manifest instead of their pseudo-fake.
        records: the shard index (``DATA_DIR/<tag>/tfrecord/index.json``, see :mod:`pel_keras.data.shards`)
            of the preparation the manifests' rows come from: the crops are read from its TFRecord shards,
            not from the PNG files, and workers share them out by file
            (:mod:`pel_keras.data.shard_pipeline`); not with ``sbi``. ``None``: the PNG files.

    Returns:
        A dataset of ``(images, labels)`` or ``(images, labels, {"video": ..., "path": ...})``.

    Raises:
        ValueError: the split is empty in these manifests (or in this shard), a class is missing
            when balancing, ``sbi`` is set without ``training``, without real frames or with ``records``,
            or the shards of ``records`` are not those of the manifest.
    """
    rows = pipeline_rows(manifests, split, training, num_shards, shard_index, sbi, records)
    config = augment_config or AugmentConfig()
    if sbi is not None:
        dataset = _sbi_examples(rows, image_size, config, seed, sbi, sbi_only_real)
    elif records is not None:
        examples = record_examples(records, rows, split, training, seed, balance, num_shards, shard_index)
        dataset = _loaded_examples(examples, image_size, training, config, seed)
    else:
        examples = _training_examples(rows, seed, balance) if training else _examples(rows)
        dataset = _loaded_examples(examples, image_size, training, config, seed)
    dataset = dataset.batch(batch_size, drop_remainder=training)
    if not with_ids:
        dataset = dataset.map(lambda images, labels, ids: (images, labels))
    options = tf.data.Options()
    if num_shards > 1:  # sharded here: keep tf.distribute from sharding again
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def distributed_dataset_fn(manifests, split, global_batch_size, **kwargs):
    """A function for ``strategy.distribute_datasets_from_function``: each input pipeline reads its own
    shard and batches ``global_batch_size / num_replicas_in_sync`` examples.

    ``kwargs`` go to :func:`build_dataset` (not ``batch_size``, ``num_shards``, ``shard_index``).
    """
    return per_input_pipeline(build_dataset, manifests, split, global_batch_size, **kwargs)
