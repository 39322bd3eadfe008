"""What gets exported: the float32 rebuild of mixed-precision models, and clear errors before any conversion."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from pel_keras.export.all_formats import export_model
from pel_keras.export.source import float32_model, load_source
from pel_keras.layers import ChannelAttention, NoiseEnhancement

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _small_model():
    """Conv, PEL modules, and a nested model cut out at a tensor of the compute dtype, as the PEL stages are."""
    images = keras.Input((16, 16, 3), name="images")
    features = keras.layers.Conv2D(8, 3, padding="same")(keras.layers.Rescaling(1 / 64)(images))
    cut = keras.Input((16, 16, 8), dtype=keras.mixed_precision.global_policy().compute_dtype)
    stage = keras.Model(cut, ChannelAttention(2)(NoiseEnhancement("median3")(cut)), name="stage")
    x = keras.layers.GlobalAveragePooling2D()(stage(features))
    return keras.Model(images, keras.layers.Dense(1, activation="sigmoid", dtype="float32")(x))


def _policies(model):
    return {layer.dtype_policy.name for layer in model.layers}


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_model_is_rebuilt_in_float32_with_its_weights(policy):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(1)
    mixed = _small_model()
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(1)
    twin = _small_model()  # the same network built in float32
    twin.set_weights(mixed.get_weights())
    rebuilt, saved_policy = float32_model(mixed)
    assert saved_policy == policy and _policies(rebuilt) == {"float32"}
    assert all(w.dtype in ("float32", "int64") for w in rebuilt.weights)
    for new, old in zip(rebuilt.get_weights(), mixed.get_weights()):
        np.testing.assert_array_equal(new, old)
    images = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 3)).astype(np.float32)
    expected = twin.predict(images, verbose=0)
    assert np.abs(mixed.predict(images, verbose=0) - expected).max() > 1e-5  # half precision shows ...
    np.testing.assert_allclose(rebuilt.predict(images, verbose=0), expected, atol=1e-6)  # ... and is gone


def test_float32_model_is_exported_as_it_is():
    model = _small_model()
    assert float32_model(model) == (model, None)


def test_missing_run_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_source(workdir=str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"data_dir": "nowhere", "train_dataset": "toy"}))
    with pytest.raises(FileNotFoundError, match="best.keras"):
        load_source(workdir=str(tmp_path))
    with pytest.raises(ValueError, match="--workdir"):
        load_source()


def test_int8_without_training_data_stops_before_any_conversion(tmp_path):
    path = str(tmp_path / "model.keras")
    _small_model().save(path)
    source = load_source(model_path=path)
    assert source.manifest is None and source.margin == 1.3
    with pytest.raises(ValueError, match="int8 calibration needs face crops"):
        export_model(source, str(tmp_path / "out"), formats=("tflite",), quantizations=("int8",))
    assert not os.listdir(tmp_path / "out")
    with pytest.raises(ValueError, match="unknown format"):
        export_model(source, str(tmp_path / "out"), formats=("tflite", "coreml"))


def test_command_exits_2_naming_the_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "export/export.py", f"--workdir={tmp_path}"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 2 and "config.json not found" in result.stderr
