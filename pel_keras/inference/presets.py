"""Presets: a trained model with what it takes to use it right, found from a SOURCE and checked before loading.

A preset is a folder (``export/export.py --preset=DIR``, :func:`pel_keras.export.preset.save_preset`)::

    DIR/model.keras     the model in Keras' own format, loaded in Keras safe mode
    DIR/metadata.json   input size, crop margin and face detector, frames per video, threshold, label meaning,
                        versions, protocol cards, and the sha256 of every other file
    DIR/README.md       its model card in the Hugging Face format

A SOURCE names a preset: a local folder, ``hf://owner/name[@revision]`` (the Hugging Face Hub through
``huggingface_hub.snapshot_download``, so its cache, ``HF_HOME``/``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE`` apply)
or ``kaggle://owner/model/keras/variant[/version]`` (Kaggle Models through ``kagglehub``). Every file that
``metadata.json`` lists is checked against its sha256 before anything is loaded. Plain Python (no Keras, no
TensorFlow): the tools resolve a SOURCE here and load ``model.keras`` as any model file.
"""

import json
import os

from pel_keras.files.digest import file_digest

MODEL_FILE, METADATA_FILE, CARD_FILE = "model.keras", "metadata.json", "README.md"
FORMAT, FORMAT_VERSION = "pel_keras preset", 1
HF_SCHEME, KAGGLE_SCHEME = "hf://", "kaggle://"
SOURCE_HELP = "a preset folder, hf://owner/name[@revision] or kaggle://owner/model/keras/variant[/version]"


class PresetError(ValueError):
    """A preset that cannot be used; the message names the source or file and the problem."""


def file_entries(folder, names):
    """``{name: {"sha256", "bytes"}}`` of the files ``names`` in ``folder``, for ``metadata.json``."""
    return {
        name: {"sha256": file_digest(os.path.join(folder, name)), "bytes": os.path.getsize(os.path.join(folder, name))}
        for name in names
    }


def is_preset(path):
    """Whether ``path`` is a remote preset SOURCE or a folder holding ``metadata.json``."""
    path = os.fspath(path)
    return path.startswith((HF_SCHEME, KAGGLE_SCHEME)) or os.path.isfile(os.path.join(path, METADATA_FILE))


def read_metadata(folder):
    """The preset's ``metadata.json``, as a dict.

    Raises:
        PresetError: missing, not JSON, or not a preset's metadata (the file named).
    """
    path = os.path.join(folder, METADATA_FILE)
    try:
        with open(path, encoding="utf-8") as file:
            metadata = json.load(file)
    except FileNotFoundError:
        raise PresetError(
            f"{folder}: not a preset (no {METADATA_FILE}); make one with export/export.py --preset"
        ) from None
    except (OSError, ValueError) as error:
        raise PresetError(f"{path}: cannot read the preset's metadata ({error})") from error
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise PresetError(f'{path}: not the metadata of a pel_keras preset (no "format": "{FORMAT}")')
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise PresetError(
            f"{path}: preset format {metadata['format_version']} is newer than this pel_keras reads "
            f"({FORMAT_VERSION}); upgrade pel_keras"
        )
    return metadata


def verify(folder):
    """The metadata of the preset in ``folder``, once every file it lists matches its sha256.

    Raises:
        PresetError: the metadata is unreadable, lists no ``model.keras``, names a file outside the folder, or a
            listed file is missing or differs from its sha256 (the file named; nothing was loaded).
    """
    metadata = read_metadata(folder)
    files = metadata.get("files")
    if not isinstance(files, dict) or MODEL_FILE not in files:
        raise PresetError(f"{os.path.join(folder, METADATA_FILE)}: lists no checksum of {MODEL_FILE}")
    for name, entry in files.items():
        path = os.path.join(folder, name)
        if os.path.basename(name) != name or name in (".", "..", METADATA_FILE):
            raise PresetError(f"{os.path.join(folder, METADATA_FILE)}: lists {name!r}, not a file of the preset")
        if not os.path.isfile(path):
            raise PresetError(f"{path}: missing from the preset; nothing was loaded")
        actual = file_digest(path)
        if actual != entry.get("sha256"):
            raise PresetError(
                f"{path}: its sha256 {actual} differs from the one in {METADATA_FILE} ({entry.get('sha256')}): "
                "the file was changed or damaged after the preset was made; nothing was loaded"
            )
    return metadata


def _hub_folder(reference):
    """The local snapshot of ``owner/name[@revision]`` on the Hugging Face Hub (downloaded or from the cache)."""
    try:
        import huggingface_hub
    except ImportError:
        raise PresetError(
            f"{HF_SCHEME}{reference}: needs the huggingface_hub package (pip install huggingface_hub)"
        ) from None
    repo_id, _, revision = reference.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PresetError(f"{HF_SCHEME}{reference}: expected hf://owner/name[@revision]")
    try:
        return huggingface_hub.snapshot_download(repo_id=repo_id, revision=revision or None, library_name="pel_keras")
    except Exception as error:  # offline without a cached copy, unknown repository, network errors
        raise PresetError(f"{HF_SCHEME}{reference}: cannot get the preset: {type(error).__name__}: {error}") from error


def _kaggle_folder(handle):
    """The local copy of the Kaggle Models ``handle`` (downloaded or from kagglehub's cache)."""
    try:
        import kagglehub
    except ImportError:
        raise PresetError(
            f"{KAGGLE_SCHEME}{handle}: loading from Kaggle Models needs the kagglehub package (pip install kagglehub)"
        ) from None
    try:
        return kagglehub.model_download(handle)
    except Exception as error:  # kagglehub's own errors, network errors
        raise PresetError(f"{KAGGLE_SCHEME}{handle}: cannot get the preset: {type(error).__name__}: {error}") from error


def preset_folder(source):
    """``(local folder, metadata)`` of the preset SOURCE, its files checked (see :func:`verify`).

    Raises:
        PresetError: the source cannot be fetched, is not a preset, or a file fails its check (named).
    """
    source = os.fspath(source)
    if source.startswith(HF_SCHEME):
        folder = _hub_folder(source.removeprefix(HF_SCHEME))
    elif source.startswith(KAGGLE_SCHEME):
        folder = _kaggle_folder(source.removeprefix(KAGGLE_SCHEME))
    elif os.path.isdir(source):
        folder = source
    else:
        raise PresetError(f"{source}: no such preset folder; expected {SOURCE_HELP}")
    return folder, verify(folder)


def resolve_model(source):
    """The model file a tool loads for ``source``: a preset's checked ``model.keras``, any other path as given.

    Raises:
        PresetError: ``source`` is a preset that cannot be fetched or fails its checks.
    """
    if not source or not is_preset(source):
        return source
    folder, _ = preset_folder(source)
    return os.path.join(folder, MODEL_FILE)
