"""One crop as a ``tf.train.Example``: how :mod:`pel_keras.data.shards` stores a manifest row and its PNG."""

import tensorflow as tf

FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "path": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
    "video": tf.io.FixedLenFeature([], tf.string),
    "frame": tf.io.FixedLenFeature([], tf.int64),
    "split": tf.io.FixedLenFeature([], tf.string),
    "source": tf.io.FixedLenFeature([], tf.string),
    "box": tf.io.VarLenFeature(tf.float32),
    "landmarks": tf.io.VarLenFeature(tf.float32),
}


def example_bytes(row, png):
    """One manifest row and its crop's PNG bytes as a serialized ``tf.train.Example`` of :data:`FEATURES`
    (features in a fixed order: the same row and bytes give the same record in every process)."""

    def strings(value):
        return tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[value.encode() if isinstance(value, str) else value])
        )

    def integer(value):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))

    def floats(text):
        return tf.train.Feature(float_list=tf.train.FloatList(value=[float(v) for v in (text or "").split()]))

    feature = {name: strings(row[name]) for name in ("path", "video", "split", "source")}
    feature.update(
        image=strings(png),
        label=integer(row["label"]),
        frame=integer(row.get("frame") or 0),
        box=floats(row.get("box")),
        landmarks=floats(row.get("landmarks")),
    )
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(deterministic=True)


def parse_example(serialized):
    """A serialized example as a dict of :data:`FEATURES` (``box`` and ``landmarks`` as dense float vectors)."""
    example = tf.io.parse_single_example(serialized, FEATURES)
    for name in ("box", "landmarks"):
        example[name] = tf.sparse.to_dense(example[name])
    return example
