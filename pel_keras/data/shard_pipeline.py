"""Examples from TFRecord shards (:mod:`pel_keras.data.shards`) for :func:`pel_keras.data.pipeline.build_dataset`.

The manifest rows still choose the examples: a record is kept when its crop's path (made absolute the way
:func:`pel_keras.data.manifest.read_split` makes it) is one of the rows', so ``--frames`` per video and any
subset of a manifest read the same examples from shards as from the PNG folder.

Training reads each class from its own shards: the files in a seeded order reshuffled every pass, up to
:data:`CYCLE` of them at once, then a seeded shuffle buffer of :data:`SHUFFLE_BUFFER` examples per class. One
pass (not training) reads the split's real shards, then its fake ones, each in file order. Workers of
``tf.distribute`` get whole files (every ``num_shards``-th shard of each class); where a class has fewer files
than workers, every worker reads them all and keeps every ``num_shards``-th example instead.
"""

import os

import tensorflow as tf

from pel_keras.data.manifest import rows_by_class
from pel_keras.data.shards import read_index, split_files
from pel_keras.data.tfrecord_example import parse_example

SHUFFLE_BUFFER = 1000  # examples per class (~150 MB of 320x320 PNG crops)
CYCLE = 16  # shard files read at once when training


def record_examples(index_file, rows, split, training, seed, balance, num_shards, shard_index):
    """A dataset of ``(path, label, video, PNG bytes)`` for the ``rows`` of ``split`` from the shards of
    ``index_file``; endless, shuffled and (with ``balance``) drawn 1:1 by class when ``training``.

    Raises:
        ValueError: the index or a shard is wrong (see :func:`pel_keras.data.shards.read_index`), or a class
            is missing when balancing.
    """
    index = read_index(index_file)
    folder = os.path.dirname(os.path.dirname(os.path.abspath(index_file)))
    paths = [row["path"] for row in rows]
    wanted = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(paths), tf.range(len(paths), dtype=tf.int64)), -1
    )

    def keyed(serialized):
        example = parse_example(serialized)
        path = tf.strings.join([folder, example["path"]], separator=os.sep)
        return path, tf.cast(example["label"], tf.float32), example["video"], example["image"]

    def stream(labels, offset):
        files = split_files(index, split, labels)
        by_file = len(files) >= num_shards
        files = files[shard_index::num_shards] if by_file else files
        dataset = tf.data.Dataset.from_tensor_slices(tf.constant(files, tf.string))
        if training:
            dataset = dataset.shuffle(len(files), seed=seed + offset, reshuffle_each_iteration=True).repeat()
        if training:
            dataset = dataset.interleave(
                tf.data.TFRecordDataset,
                cycle_length=min(CYCLE, len(files)),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
        else:
            dataset = dataset.flat_map(tf.data.TFRecordDataset)
        dataset = dataset.map(keyed, num_parallel_calls=tf.data.AUTOTUNE)
        dataset = dataset.filter(lambda path, label, video, image: wanted.lookup(path) >= 0)
        dataset = dataset if by_file else dataset.shard(num_shards, shard_index)
        if training:
            dataset = dataset.shuffle(SHUFFLE_BUFFER, seed=seed + offset, reshuffle_each_iteration=True)
        return dataset

    if not training:
        return stream((0,), 0).concatenate(stream((1,), 0))
    if not balance:
        return stream((0, 1), 0)
    rows_by_class(rows)
    return tf.data.Dataset.sample_from_datasets([stream((0,), 1), stream((1,), 2)], weights=[0.5, 0.5], seed=seed)
