"""The digest of a file's bytes, read in blocks (a model or a shard need not fit in memory twice)."""

import hashlib


def file_digest(path, algorithm="sha256"):
    """The hex digest of the bytes of ``path`` by ``algorithm`` (a :mod:`hashlib` name: ``sha256``, ``sha1``)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
