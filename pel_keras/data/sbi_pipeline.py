"""Self-blended pseudo-fakes in ``tf.data`` (the method: :mod:`pel_keras.data.sbi`): the stream of training
units, and each unit's two examples made by :func:`pel_keras.data.sbi_pairs.training_pair` through
``tf.numpy_function``.

A *unit* is one real training frame and its partner (see :mod:`pel_keras.data.sbi_pairs`). :func:`build_dataset
<pel_keras.data.pipeline.build_dataset>` turns every unit into two examples, the real then the fake, so
real and fake are 1:1 by construction and a pair shares a batch when the batch size is even.
"""

import tensorflow as tf

from pel_keras.data.sbi_pairs import training_pair, unit_rows


def _endless(columns, seed):
    dataset = tf.data.Dataset.from_tensor_slices(columns)
    return dataset.shuffle(len(columns[0]), seed=seed, reshuffle_each_iteration=True).repeat()


def sbi_units(rows, seed, only_real):
    """Endless shuffled units ``(path, video, landmarks (10,), partner_path, partner_video)``.

    Every real row is drawn as a unit's real frame, in an order shuffled by ``seed``. With ``only_real``,
    or when ``rows`` hold no fake, every partner is empty (the unit's fake is the frame's pseudo-fake);
    otherwise half the partners, drawn by ``seed``, are fake rows of the manifest.

    Raises:
        ValueError: ``rows`` hold no real frame, or a row's landmarks are not 5 points.
    """
    reals, fakes, landmarks = unit_rows(rows)
    units = _endless(([r["path"] for r in reals], [r["video"] for r in reals], landmarks), seed + 1)
    partners = tf.data.Dataset.from_tensors((tf.constant(""), tf.constant(""))).repeat()
    if fakes and not only_real:
        manifest_fakes = _endless(([r["path"] for r in fakes], [r["video"] for r in fakes]), seed + 2)
        partners = tf.data.Dataset.sample_from_datasets([partners, manifest_fakes], [0.5, 0.5], seed=seed)
    return tf.data.Dataset.zip(units, partners).map(lambda unit, partner: (*unit, *partner))


def make_pair(path, landmarks, partner_path, index, size, sbi_config, augment_config, seed):
    """The augmented ``(2, size, size, 3)`` float32 real and fake images of one unit: those of
    :func:`pel_keras.data.sbi_pairs.training_pair` (see it for the arguments), through ``tf.numpy_function``."""

    def pair(path, landmarks, partner_path, index):
        return training_pair(
            path.decode(), landmarks, partner_path.decode(), size, sbi_config, augment_config, seed, index
        )

    images = tf.numpy_function(pair, [path, landmarks, partner_path, index], tf.float32, stateful=False)
    return tf.ensure_shape(images, [2, size, size, 3])
