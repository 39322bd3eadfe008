"""What gets exported: a run's ``best.keras`` (or any ``.keras`` file) as a float32 Keras model, and
where its training data lives (for int8 calibration, parity images and the crop margin).

A model trained with mixed precision (``mixed_float16`` / ``mixed_bfloat16`` layers) converts to TFLite
with Flex ops (REFERENCE §3), so it is rebuilt from its own config with every layer in float32 and given
the trained weights (stored in float32 anyway): the float32 rebuild is what every exporter sees.

The run's ``config.json`` is read as plain JSON, so export works with any training code that writes it.
"""

import dataclasses
import os

import keras

import pel_keras
from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN
from pel_keras.data.manifest import MANIFEST
from pel_keras.inference.crop_settings import prepared_settings
from pel_keras.run_folder import BEST, prepared_dataset, read_config


@dataclasses.dataclass(frozen=True)
class ExportSource:
    """The model to export and what is known about its training.

    Attributes:
        model: the float32 Keras model.
        model_path: the ``.keras`` file it was loaded from.
        manifest: the training data's ``manifest.csv`` (calibration and parity images), or None.
        margin: the face-crop margin of that data (``prepare.json``), or the default.
        detector: the face detector of that data (``prepare.json``; not ``none``), or the default.
        saved_policy: the dtype policy the file was saved with when it was not float32 (the model was
            then rebuilt in float32), else None.
        original: the model as saved, when it was rebuilt, else None.
    """

    model: keras.Model
    model_path: str
    manifest: str | None
    margin: float
    detector: str
    saved_policy: str | None = None
    original: keras.Model | None = None

    @property
    def image_size(self):
        """``(height, width)`` of the model input."""
        return tuple(self.model.input_shape[1:3])


def training_manifest(config):
    """``DATA_DIR/<train_dataset>/manifest.csv`` of a run's config, or None when it is not there."""
    folder = prepared_dataset(config)
    path = os.path.join(folder, MANIFEST) if folder else ""
    return path if os.path.isfile(path) else None


_HALF = ("float16", "bfloat16")


def _float32_config(config):
    """``config`` with every dtype policy and every half-precision dtype replaced by float32 (the inputs
    of the nested stage models of a mixed-precision model are ``bfloat16``/``float16`` tensors)."""
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy":
            return {**config, "config": {**config["config"], "name": "float32"}}
        return {
            key: "float32" if key == "dtype" and value in _HALF else _float32_config(value)
            for key, value in config.items()
        }
    if isinstance(config, list):
        return [_float32_config(value) for value in config]
    return config


def _policies(model):
    """The names of the dtype policies used by the layers of ``model``, nested models included."""
    names, stack = set(), list(model.layers)
    while stack:
        layer = stack.pop()
        names.add(layer.dtype_policy.name)
        stack += getattr(layer, "layers", [])
    return names


def float32_model(model):
    """``(model, saved_policy)``: ``model`` itself when all its layers are float32, else a float32
    rebuild from its config with its weights, and the policy it had."""
    other = sorted(_policies(model) - {"float32"})
    if not other:
        return model, None
    rebuilt = keras.saving.deserialize_keras_object(_float32_config(keras.saving.serialize_keras_object(model)))
    rebuilt.set_weights(model.get_weights())
    return rebuilt, ",".join(other)


def load_source(workdir=None, model_path=None, manifest=None):
    """The :class:`ExportSource` of a run directory or of a ``.keras`` file.

    Args:
        workdir: a training run (``config.json`` and ``best.keras``); its training data is found
            through ``data_dir`` and ``train_dataset`` in ``config.json``.
        model_path: a ``.keras`` file instead (or to override the run's ``best.keras``).
        manifest: a ``manifest.csv`` for calibration and parity, overriding the run's.

    Raises:
        ValueError: neither ``workdir`` nor ``model_path`` given.
        FileNotFoundError: the run's config, the model or the manifest is missing (named).
    """
    if not workdir and not model_path:
        raise ValueError("give a run directory (--workdir) or a .keras file (--model)")
    config = read_config(workdir) if workdir else {}
    model_path = model_path or os.path.join(workdir, BEST)
    for path in (model_path, manifest):
        if path and not os.path.isfile(path):
            raise FileNotFoundError(f"{path} not found")
    manifest = manifest or training_manifest(config)
    saved = pel_keras.load_model(model_path)
    model, saved_policy = float32_model(saved)
    margin, detector = prepared_settings(os.path.dirname(manifest)) if manifest else (None, None)
    return ExportSource(
        model,
        model_path,
        manifest,
        float(margin or DEFAULT_MARGIN),
        detector or DEFAULT_DETECTOR,
        saved_policy,
        saved if saved_policy else None,
    )
