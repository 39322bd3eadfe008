"""The two training examples of one self-blending unit, as both input pipelines make them (numpy and OpenCV
only; the method: :mod:`pel_keras.data.sbi`).

A *unit* is one real training frame and its partner. An empty partner means "make this frame's
pseudo-fake"; otherwise the partner is a fake frame of the manifest. Each unit yields two examples, the real
then the fake, so real and fake are 1:1 by construction.
"""

import numpy as np

from pel_keras.data.augment import augment, element_rng
from pel_keras.data.example_images import read_crop
from pel_keras.data.manifest import parse_points
from pel_keras.data.sbi import compress_alike, pseudo_fake_pair

# Appended to the path and video id of a pseudo-fake, so that video ids never mix a real video with fakes.
PSEUDO_FAKE_SUFFIX = "#sbi"


def landmark_table(rows):
    """``(N, 10)`` float32 landmarks of ``rows`` (the manifest's crop pixels), NaN where a row has none.

    Raises:
        ValueError: naming the crop, a row's landmarks are neither 5 points nor empty.
    """
    table = []
    for row in rows:
        points = parse_points(row.get("landmarks"))
        if len(points) not in (0, 10):
            raise ValueError(f"{row['path']}: expected 5 landmarks (10 numbers) or none, got {len(points)} numbers")
        table.append(points or [np.nan] * 10)
    return np.asarray(table, np.float32).reshape(-1, 10)


def unit_rows(rows):
    """``(reals, fakes, landmarks)``: the real and the fake rows of ``rows``, and the reals'
    :func:`landmark_table`, the inputs of a stream of units.

    Raises:
        ValueError: ``rows`` hold no real frame, or a real row's landmarks are not 5 points.
    """
    reals = [row for row in rows if row["label"] == 0]
    fakes = [row for row in rows if row["label"] == 1]
    if not reals:
        raise ValueError(f"self-blending needs real training frames; none among these {len(rows)} rows")
    return reals, fakes, landmark_table(reals)


def training_pair(path, landmarks, partner_path, size, sbi_config, augment_config, seed, index):
    """The augmented ``(real, fake)`` images of unit ``index`` of a stream seeded by ``seed``.

    One generator, that of ``(seed, index)`` (:func:`~pel_keras.data.augment.element_rng`), draws the
    pair, then the real image's augmentations, then the fake's: the same seed gives the same bytes.

    Args:
        path: the real frame's crop.
        landmarks: its ``(10,)`` float32 landmarks in stored pixels, NaN when it has none (the mask is then
            the ellipse of :func:`pel_keras.data.sbi.face_region`).
        partner_path: a manifest fake's crop, compressed alike with the real frame
            (:func:`pel_keras.data.sbi.compress_alike`); empty: the fake is the frame's pseudo-fake
            (:func:`pel_keras.data.sbi.pseudo_fake_pair`).
        size: the side of the images (crops stored at another size are resized, landmarks with them).
        sbi_config: the :class:`pel_keras.data.sbi.SBIConfig`.
        augment_config: the :class:`pel_keras.data.augment.AugmentConfig` applied to each image.
        seed, index: the stream's seed and the unit's position in it.

    Returns:
        ``(2, size, size, 3)`` float32 RGB in 0..255: the real, then the fake.

    Raises:
        OSError, ValueError: naming the file, a crop cannot be read or decoded.
    """
    image, scale = read_crop(path, size)
    rng = element_rng(seed, index)
    if partner_path:
        real, fake = compress_alike([image, read_crop(partner_path, size)[0]], rng, sbi_config)
    else:
        points = None if np.isnan(landmarks).any() else np.reshape(landmarks, (5, 2)) * scale
        real, fake = pseudo_fake_pair(image, points, rng, sbi_config)
    return np.stack([augment(real, augment_config, rng), augment(fake, augment_config, rng)])
