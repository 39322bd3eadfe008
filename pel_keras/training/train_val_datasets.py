"""The run's data: the prepared dataset's train and val splits, ``--frames`` per video, as dataset functions
for ``strategy.distribute_datasets_from_function`` (each worker reads its own shard).

On TensorFlow the dataset functions build ``tf.data`` pipelines (:mod:`pel_keras.data.pipeline`), from the
record shards where the dataset has them; on the other backends numpy batches
(:mod:`pel_keras.data.array_pipeline`) from the PNG crops, without importing TensorFlow.
"""

import os

import numpy as np

from pel_keras.data.crop_check import check_crops
from pel_keras.data.input_pipelines import backend_pipeline, per_input_pipeline, reads_through_tf_data
from pel_keras.data.manifest import MANIFEST, csv_text, read_split, select_frames
from pel_keras.data.shards import index_path, read_index
from pel_keras.files.atomic import atomic_write

LABEL_NAMES = {0: "real (0)", 1: "fake (1)"}
# landmarks: where --sbi places the blending mask.
RUN_MANIFEST_COLUMNS = ("path", "label", "video", "split", "source", "frame", "landmarks")


def dataset_manifest(config):
    """``DATA_DIR/<train_dataset>/manifest.csv``; a FileNotFoundError naming the flag when it is missing."""
    if not os.path.isdir(config.data_dir):
        raise FileNotFoundError(f"--data_dir: no folder {config.data_dir!r}.")
    path = os.path.join(config.data_dir, config.train_dataset, MANIFEST)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"--train_dataset: {path} does not exist; prepare the dataset with prepare.py "
            f"or check --data_dir and --train_dataset."
        )
    return path


def write_run_manifest(config, path):
    """Writes the train and val rows this run uses (``--frames`` per video, absolute paths) to ``path``.

    Returns:
        ``{"train": rows, "val": rows}`` as the pipeline reads them back from ``path``.

    Raises:
        ValueError: a split lacks a class, naming the manifest: val needs real and fake frames, and so does
            train, except with ``--sbi``, which needs only real ones.
    """
    source = dataset_manifest(config)
    rows = {split: select_frames(read_split(source, split), config.frames) for split in ("train", "val")}
    for split, split_rows in rows.items():
        labels, needed = {row["label"] for row in split_rows}, _needed_labels(config, split)
        if not needed <= labels:
            raise ValueError(
                f"--train_dataset: the {split!r} split of {source} holds labels {sorted(labels)}; this run needs "
                f"{' and '.join(LABEL_NAMES[label] for label in sorted(needed))} images there "
                "(with --sbi the training split needs real images only)."
            )
    selected = [
        {column: row.get(column, "") for column in RUN_MANIFEST_COLUMNS} for split in rows for row in rows[split]
    ]
    atomic_write(path, csv_text(RUN_MANIFEST_COLUMNS, selected))
    return {split: read_split(path, split) for split in rows}


def dataset_shards(config):
    """The shard index of the prepared dataset (``DATA_DIR/<tag>/tfrecord/index.json``) where it has record
    shards, which the run then reads instead of the PNG crops; None without shards, with ``--sbi`` (it
    pairs crops by their PNG files), and on the backends that read numpy batches (the PNG crops, which
    preparation keeps beside the shards)."""
    path = index_path(os.path.dirname(dataset_manifest(config)))
    return path if os.path.isfile(path) and not config.sbi and reads_through_tf_data() else None


def _pipeline_source(config):
    """The arguments that choose where the backend's pipeline reads: the record shards (``tf.data`` only)."""
    return {"records": dataset_shards(config)} if reads_through_tf_data() else {}


def check_run_crops(config, rows, cache):
    """Raises an UnreadableCropsError naming every train or val crop in ``rows`` that is missing or not
    whole, before anything is built (``cache``: see :func:`pel_keras.data.crop_check.check_crops`); with
    record shards, a ValueError naming a shard that is missing or cut short, or a manifest newer than them."""
    records = dataset_shards(config)
    if records:
        read_index(records)
        return
    check_crops([row["path"] for split_rows in rows.values() for row in split_rows], cache, dataset_manifest(config))


def _needed_labels(config, split):
    return {0} if split == "train" and config.sbi else {0, 1}


def epoch_images(config, train_rows):
    """Images in one pass over the training split: each frame once; with ``--sbi`` each real frame and its fake."""
    if config.sbi:
        return 2 * sum(row["label"] == 0 for row in train_rows)
    return len(train_rows)


def train_dataset_fn(config, manifest, seed):
    """Endless, shuffled, balanced and augmented training batches of ``batch_size / replicas`` per replica;
    with ``--sbi``, each real frame followed by its self-blended fake."""
    return per_input_pipeline(
        backend_pipeline(),
        manifest,
        "train",
        config.batch_size,
        image_size=config.image_size,
        training=True,
        augment_config=config.augment_config(),
        seed=seed,
        balance=config.balance,
        sbi=config.sbi_config() if config.sbi else None,
        sbi_only_real=not config.sbi_keep_fakes,
        **_pipeline_source(config),
    )


def val_dataset_fn(config, manifest, paths):
    """One pass over the val split as ``(images, labels, index)``, ``index`` being the row's position in
    ``paths`` (numbers, unlike video names, can be gathered across machines)."""
    batches_fn = per_input_pipeline(
        backend_pipeline(),
        manifest,
        "val",
        config.batch_size,
        image_size=config.image_size,
        with_ids=True,
        **_pipeline_source(config),
    )
    return (_indexed_tf_data if reads_through_tf_data() else _indexed_arrays)(batches_fn, paths)


def _indexed_arrays(batches_fn, paths):
    """``batches_fn`` (numpy batches with ids) with each example's path replaced by its index in ``paths``."""
    position = {path: index for index, path in enumerate(paths)}

    def dataset_fn(input_context):
        return batches_fn(input_context).map(
            lambda images, labels, ids: (images, labels, np.array([position[path] for path in ids["path"]]))
        )

    return dataset_fn


def _indexed_tf_data(batches_fn, paths):
    """:func:`_indexed_arrays` for ``tf.data`` datasets, through a lookup table."""
    import tensorflow as tf  # here: the other backends read numpy batches without it

    def dataset_fn(input_context):
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(paths), tf.range(len(paths), dtype=tf.int64)), -1
        )
        return batches_fn(input_context).map(lambda images, labels, ids: (images, labels, table.lookup(ids["path"])))

    return dataset_fn
