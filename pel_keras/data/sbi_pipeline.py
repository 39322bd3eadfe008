"""Self-blended pseudo-fakes in ``tf.data`` (the method: :mod:`pel_keras.data.sbi`): the stream of training
units and the numpy step that turns a unit into a (real, fake) pair.

A *unit* is one real training frame and its partner. An empty partner means "make this frame's
pseudo-fake"; otherwise the partner is a fake frame of the manifest. :func:`build_dataset
<pel_keras.data.pipeline.build_dataset>` turns every unit into two examples, the real then the fake, so
real and fake are 1:1 by construction and a pair shares a batch when the batch size is even.
"""

import numpy as np
import tensorflow as tf

from pel_keras.data.manifest import parse_points
from pel_keras.data.sbi import compress_alike, pseudo_fake_pair

# Appended to the path and video id of a pseudo-fake, so that video ids never mix a real video with fakes.
PSEUDO_FAKE_SUFFIX = "#sbi"


def _landmark_table(rows):
    """``(N, 10)`` float32 landmarks of ``rows`` (the manifest's crop pixels), NaN where a row has none."""
    table = []
    for row in rows:
        points = parse_points(row.get("landmarks"))
        if len(points) not in (0, 10):
            raise ValueError(f"{row['path']}: expected 5 landmarks (10 numbers) or none, got {len(points)} numbers")
        table.append(points or [np.nan] * 10)
    return np.asarray(table, np.float32).reshape(-1, 10)


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
    reals = [row for row in rows if row["label"] == 0]
    fakes = [row for row in rows if row["label"] == 1]
    if not reals:
        raise ValueError(f"self-blending needs real training frames; none among these {len(rows)} rows")
    units = _endless(([r["path"] for r in reals], [r["video"] for r in reals], _landmark_table(reals)), seed + 1)
    partners = tf.data.Dataset.from_tensors((tf.constant(""), tf.constant(""))).repeat()
    if fakes and not only_real:
        manifest_fakes = _endless(([r["path"] for r in fakes], [r["video"] for r in fakes]), seed + 2)
        partners = tf.data.Dataset.sample_from_datasets([partners, manifest_fakes], [0.5, 0.5], seed=seed)
    return tf.data.Dataset.zip(units, partners).map(lambda unit, partner: (*unit, *partner))


def make_pair(image, landmarks, partner, seed, config):
    """The ``(real, fake)`` uint8 images of one unit, through ``tf.numpy_function``.

    Args:
        image: ``(S, S, 3)`` uint8 RGB real frame.
        landmarks: ``(10,)`` float32 landmarks in ``image``'s pixels, NaN when there are none (the mask is
            then the ellipse of :func:`pel_keras.data.sbi.face_region`).
        partner: the fake's ``(S, S, 3)`` uint8 image, or an empty ``(0, 0, 3)`` one to make the pseudo-fake.
        seed: ``(2,)`` int64 tensor seeding the numpy generator: the same seed gives the same bytes.
        config: the :class:`pel_keras.data.sbi.SBIConfig`.

    Returns:
        ``(real, fake)``, both compressed alike (:func:`pel_keras.data.sbi.compress_alike`).
    """

    def pair(image, landmarks, partner, seed):
        rng = np.random.default_rng(seed.astype(np.uint64))
        if partner.size:
            return tuple(compress_alike([image, partner], rng, config))
        points = None if np.isnan(landmarks).any() else landmarks.reshape(5, 2)
        return pseudo_fake_pair(image, points, rng, config)

    real, fake = tf.numpy_function(pair, [image, landmarks, partner, seed], [tf.uint8, tf.uint8], stateful=False)
    return tf.ensure_shape(real, image.shape), tf.ensure_shape(fake, image.shape)
