"""``manifest.csv`` -> ``tf.data``: PNG decode, training augmentations, class balance, shuffle, shards.

Elements are ``(images, labels)``: images ``(B, size, size, 3)`` float32 RGB in 0..255 (the model rescales
itself), labels ``(B, 1)`` float32 with 1 = fake. With ``with_ids=True`` a third element
``{"video": (B,) string, "path": (B,) string}`` follows, for video-level scores (use it in your own loop, or
map it away before ``model.predict``: Keras reads a third element as sample weights).

FF++'s training set has four fakes per real (REFERENCE §2); training batches draw real and fake
with equal probability. Augmentations are stateless random ops keyed on ``(seed, element index)``, so a
seeded run yields the same batches however many threads decode.

With ``sbi``, training batches are real frames each followed by a fake made from it on the fly
(Self-Blended Images, :mod:`pel_keras.data.sbi`), so a model can learn from real videos only.
"""

import math

import tensorflow as tf

from pel_keras.data.augment import AugmentConfig
from pel_keras.data.manifest import read_manifest, read_split, rows_by_class
from pel_keras.data.sbi import SBIConfig
from pel_keras.data.sbi_pipeline import PSEUDO_FAKE_SUFFIX, make_pair, sbi_units
from pel_keras.data.shard_pipeline import record_examples

__all__ = ["AugmentConfig", "SBIConfig", "build_dataset", "distributed_dataset_fn", "read_manifest", "read_split"]


def _gaussian_blur(image, sigma, radius):
    """Separable Gaussian blur of an (H, W, 3) float image, reflecting at the borders."""
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    taps = tf.exp(-0.5 * tf.square(x / sigma))
    taps /= tf.reduce_sum(taps)
    padded = tf.pad(image[None], [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    vertical = tf.tile(tf.reshape(taps, [-1, 1, 1, 1]), [1, 1, 3, 1])
    horizontal = tf.tile(tf.reshape(taps, [1, -1, 1, 1]), [1, 1, 3, 1])
    out = tf.nn.depthwise_conv2d(padded, vertical, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(out, horizontal, [1, 1, 1, 1], "VALID")[0]


def _maybe(probability, seed, transform, image):
    """``transform(image)`` with ``probability`` (drawn from ``seed``); no op at all when it is 0."""
    if probability <= 0:
        return image
    apply = tf.random.stateless_uniform([], seed) < probability
    return tf.cond(apply, lambda: transform(image), lambda: image)


def augment(image, config, seed):
    """Applies ``config`` to one (H, W, 3) uint8 image; returns float32 in 0..255.

    ``seed`` is a shape-(2,) int tensor; the same seed gives the same result.
    """
    seeds = tf.random.experimental.stateless_split(seed, 8)
    low, high = config.jpeg_quality
    quality = tf.random.stateless_uniform([], seeds[0], low, high + 1, dtype=tf.int32)
    image = _maybe(config.jpeg, seeds[1], lambda im: tf.image.adjust_jpeg_quality(im, quality), image)
    image = tf.cast(image, tf.float32)
    sigma = tf.random.stateless_uniform([], seeds[2], *config.blur_sigma)
    radius = math.ceil(3 * config.blur_sigma[1])
    image = _maybe(config.blur, seeds[3], lambda im: _gaussian_blur(im, sigma, radius), image)
    offset = tf.random.stateless_uniform([], seeds[4], -config.brightness, config.brightness) * 255.0
    factor = tf.random.stateless_uniform([], seeds[5], 1 - config.contrast, 1 + config.contrast)
    image = _maybe(config.color, seeds[6], lambda im: tf.image.adjust_contrast(im, factor) + offset, image)
    image = _maybe(config.flip, seeds[7], tf.image.flip_left_right, image)
    return tf.clip_by_value(image, 0.0, 255.0)


def load_image(path, size):
    """Reads a PNG (or JPEG) as (size, size, 3) uint8 RGB, resizing only when the stored size differs."""
    return load_image_and_scale(path, size)[0]


def load_image_and_scale(path, size):
    """``(image, scale)``: :func:`load_image` and the ``(x, y)`` factors from stored to returned pixels."""
    return decode_image_and_scale(tf.io.read_file(path), size)


def decode_image_and_scale(encoded, size):
    """:func:`load_image_and_scale` for the bytes of an image file."""
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    stored = tf.shape(image)[:2]
    scale = tf.cast(size, tf.float32) / tf.cast(stored[::-1], tf.float32)
    same = tf.reduce_all(stored == size)
    image = tf.cond(same, lambda: image, lambda: _resize_uint8(image, size))
    return tf.ensure_shape(image, [size, size, 3]), scale


def _resize_uint8(image, size):
    resized = tf.image.resize(image, [size, size], method="bicubic", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


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


def _element_seed(seed, index):
    return tf.stack([tf.cast(seed, tf.int64), index])


def _loaded_examples(examples, image_size, training, config, seed):
    """``(image, label (1,), ids)`` per example ``(path, label, video)`` (the PNG read from ``path``) or
    ``(path, label, video, PNG bytes)``: decoded, resized and, when training, augmented."""

    def load(index, example):
        path, label, video = example[:3]
        encoded = example[3] if len(example) == 4 else tf.io.read_file(path)  # record shards carry the bytes
        image = decode_image_and_scale(encoded, image_size)[0]
        image = augment(image, config, _element_seed(seed, index)) if training else tf.cast(image, tf.float32)
        image = tf.ensure_shape(image, [image_size, image_size, 3])
        return image, tf.reshape(label, [1]), {"video": video, "path": path}

    return examples.enumerate().map(load, num_parallel_calls=tf.data.AUTOTUNE)


def _sbi_examples(rows, image_size, config, seed, sbi, sbi_only_real):
    """Training examples from :func:`sbi_units`: each unit's real (label 0), then its fake (label 1)."""

    def load_pair(index, unit):
        path, video, landmarks, partner_path, partner_video = unit
        image, scale = load_image_and_scale(path, image_size)
        pseudo = tf.equal(partner_path, "")
        partner = tf.cond(pseudo, lambda: tf.zeros([0, 0, 3], tf.uint8), lambda: load_image(partner_path, image_size))
        real, fake = make_pair(image, landmarks * tf.tile(scale, [5]), partner, _element_seed(seed, index), sbi)
        images = tf.stack(
            [
                augment(real, config, _element_seed(seed, 2 * index)),
                augment(fake, config, _element_seed(seed, 2 * index + 1)),
            ]
        )
        ids = {
            "video": tf.stack([video, tf.where(pseudo, video + PSEUDO_FAKE_SUFFIX, partner_video)]),
            "path": tf.stack([path, tf.where(pseudo, path + PSEUDO_FAKE_SUFFIX, partner_path)]),
        }
        return tf.ensure_shape(images, [2, image_size, image_size, 3]), tf.constant([[0.0], [1.0]]), ids

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
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"need 0 <= shard_index < num_shards, got {shard_index} and {num_shards}")
    if sbi is not None and not training:
        raise ValueError("sbi makes pseudo-fakes for training batches only; pass training=True or sbi=None")
    if sbi is not None and records is not None:
        raise ValueError("sbi pairs crops by their PNG files; read the PNG preparation (records=None)")
    rows = read_split(manifests, split)
    rows = rows if records is not None else rows[shard_index::num_shards]  # shards are shared out by file
    if not rows:
        raise ValueError(f"no {split!r} rows in {manifests} (shard {shard_index} of {num_shards})")
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

    def dataset_fn(input_context):
        return build_dataset(
            manifests,
            split,
            batch_size=input_context.get_per_replica_batch_size(global_batch_size),
            num_shards=input_context.num_input_pipelines,
            shard_index=input_context.input_pipeline_id,
            **kwargs,
        )

    return dataset_fn
