"""``manifest.csv`` -> ``tf.data``: PNG decode, training augmentations, class balance, shuffle, shards.

Elements are ``(images, labels)``: images ``(B, size, size, 3)`` float32 RGB in 0..255 (the model rescales
itself), labels ``(B, 1)`` float32 with 1 = fake. With ``with_ids=True`` a third element
``{"video": (B,) string, "path": (B,) string}`` follows, for video-level scores (use it in your own loop, or
map it away before ``model.predict``: Keras reads a third element as sample weights).

FF++'s training set has four fakes per real (REFERENCE §2); training batches draw real and fake
with equal probability. Augmentations are stateless random ops keyed on ``(seed, element index)``, so a
seeded run yields the same batches however many threads decode.
"""

import dataclasses
import math

import tensorflow as tf

from pel_keras.data.manifest import read_manifest, read_split

__all__ = ["AugmentConfig", "build_dataset", "distributed_dataset_fn", "read_manifest", "read_split"]


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Training augmentations; each is applied to an image independently with its probability
    (0 turns it off). ``AugmentConfig.off()`` turns all off.

    Attributes:
        flip: probability of a horizontal flip.
        jpeg: probability of JPEG re-compression at a quality drawn from ``jpeg_quality`` (inclusive).
        blur: probability of a Gaussian blur with sigma drawn from ``blur_sigma`` (pixels).
        color: probability of a brightness/contrast change: an offset of up to ``brightness`` x 255 and a
            contrast factor within ``1 +- contrast``.
    """

    flip: float = 0.5
    jpeg: float = 0.3
    jpeg_quality: tuple = (60, 100)
    blur: float = 0.1
    blur_sigma: tuple = (0.1, 2.0)
    color: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1

    def __post_init__(self):
        for name in ("flip", "jpeg", "blur", "color"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a probability in [0, 1], got {getattr(self, name)}")
        low, high = self.jpeg_quality
        if not 0 <= low <= high <= 100 or not 0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(f"need 0 <= jpeg_quality[0] <= jpeg_quality[1] <= 100 and 0 < blur_sigma[0] <= "
                             f"blur_sigma[1], got jpeg_quality={self.jpeg_quality} blur_sigma={self.blur_sigma}")

    @classmethod
    def off(cls):
        return cls(flip=0.0, jpeg=0.0, blur=0.0, color=0.0)


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
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    same = tf.reduce_all(tf.shape(image)[:2] == size)
    image = tf.cond(same, lambda: image, lambda: _resize_uint8(image, size))
    return tf.ensure_shape(image, [size, size, 3])


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
    by_class = [[r for r in rows if r["label"] == label] for label in (0, 1)]
    if not all(by_class):
        raise ValueError(f"cannot balance classes: {len(by_class[0])} real and {len(by_class[1])} fake examples")
    return tf.data.Dataset.sample_from_datasets(
        [endless(by_class[0], 1), endless(by_class[1], 2)], weights=[0.5, 0.5], seed=seed
    )


def build_dataset(manifests, split, image_size=320, batch_size=32, training=False, augment_config=None,
                  seed=0, num_shards=1, shard_index=0, with_ids=False, balance=True):
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
        seed: seeds shuffling, class sampling and augmentation.
        num_shards, shard_index: this worker's share, every ``num_shards``-th example of the split
            from ``shard_index`` on (taken before shuffling, so shards are disjoint).
        with_ids: also yield ``{"video", "path"}`` strings per example.
        balance: with ``training``, draw real and fake 1:1.

    Returns:
        A dataset of ``(images, labels)`` or ``(images, labels, {"video": ..., "path": ...})``.

    Raises:
        ValueError: the split is empty in these manifests (or in this shard), or a class is missing
            when balancing.
    """
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"need 0 <= shard_index < num_shards, got {shard_index} and {num_shards}")
    rows = read_split(manifests, split)[shard_index::num_shards]
    if not rows:
        raise ValueError(f"no {split!r} rows in {manifests} (shard {shard_index} of {num_shards})")
    config = augment_config or AugmentConfig()
    examples = _training_examples(rows, seed, balance) if training else _examples(rows)

    def load(index, example):
        path, label, video = example
        image = load_image(path, image_size)
        if training:
            image = augment(image, config, tf.stack([tf.cast(seed, tf.int64), index]))
        else:
            image = tf.cast(image, tf.float32)
        image = tf.ensure_shape(image, [image_size, image_size, 3])
        return image, tf.reshape(label, [1]), {"video": video, "path": path}

    dataset = examples.enumerate().map(load, num_parallel_calls=tf.data.AUTOTUNE)
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
            manifests, split, batch_size=input_context.get_per_replica_batch_size(global_batch_size),
            num_shards=input_context.num_input_pipelines, shard_index=input_context.input_pipeline_id, **kwargs
        )

    return dataset_fn
