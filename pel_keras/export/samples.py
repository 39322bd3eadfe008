"""Real face crops for int8 calibration and parity checks (random noise alone hides quantization errors).

- :func:`sample_faces`: the two public-domain portraits that ship in packages (scikit-image's astronaut,
  matplotlib's Grace Hopper), faces found and cropped with the project's own face functions.
- :func:`manifest_images`: crops of a prepared dataset, decoded and resized by the training pipeline.
"""

import numpy as np

from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, crop_face, detect_faces, make_detector
from pel_keras.data.manifest import read_split
from pel_keras.data.portraits import package_portraits


def sample_faces(size, margin=DEFAULT_MARGIN):
    """``(8, size, size, 3)`` float32 RGB 0..255: both portraits' faces (YuNet), cropped with ``margin``
    and with 1.5 x ``margin``, each as is and mirrored."""
    detector = make_detector(DEFAULT_DETECTOR)
    crops = []
    for _, portrait in package_portraits():
        faces = detect_faces(portrait, detector, channels="rgb")
        if not faces:
            raise RuntimeError("YuNet found no face in a sample portrait; is the yuface wheel intact?")
        for scale in (1.0, 1.5):
            crop, _ = crop_face(portrait, faces[0], size, margin * scale)
            crops += [crop, crop[:, ::-1]]
    return np.stack(crops).astype(np.float32)


def manifest_images(manifest, split, size, count, seed=0):
    """Up to ``count`` crops of ``split`` in ``manifest``, real and fake 1:1 when both exist.

    Images come from :func:`pel_keras.data.pipeline.build_dataset` without augmentation (the decoding and
    resizing of training and evaluation), drawn at random with ``seed``.

    Returns:
        ``(images (N, size, size, 3) float32 RGB 0..255, labels (N,) int)``.

    Raises:
        ValueError: ``split`` has no rows in ``manifest``.
    """
    from pel_keras.data.pipeline import AugmentConfig, build_dataset

    rows = read_split(manifest, split)
    if not rows:
        raise ValueError(f"{manifest} has no {split!r} rows to draw images from")
    both = len({row["label"] for row in rows}) == 2
    count = min(count, len(rows))
    dataset = build_dataset(
        manifest,
        split,
        image_size=size,
        batch_size=count,
        training=True,
        augment_config=AugmentConfig.off(),
        seed=seed,
        balance=both,
    )
    images, labels = next(iter(dataset))
    return images.numpy(), labels.numpy().reshape(-1).astype(int)
