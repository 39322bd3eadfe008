"""Model-level invariants of PEL: the paper's B4 configuration, insertion points, gradients, ablations."""

import sys

import keras
import numpy as np
import pytest
from backends import apply_gradients, loss_and_gradients

import pel_keras
from pel_keras.models.efficientnet_backbones import keras_weights_file, load_backbone
from pel_keras.models.pel import (
    CHANNEL_ATTENTION_STAGES,
    MUTUAL_ENHANCEMENT_STAGES,
    NOISE_ENHANCEMENT_STAGES,
)

SMALL = {"backbone": "efficientnet_b0", "image_size": 64, "weights": None}
# Regression guard: the paper's model, two EfficientNet-B4 streams at 320 px with every module.
B4_TWO_STREAM_PARAMS = 35_428_584


def _images(batch, size, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (batch, size, size, 3)).astype("float32")


def _mean_bce(labels, probabilities):
    return keras.ops.mean(keras.losses.binary_crossentropy(labels, probabilities))


@pytest.fixture(scope="module")
def b4_model():
    keras.utils.set_random_seed(0)
    return pel_keras.build_model(image_size=320, weights=None)


def test_b4_two_stream_at_320_parameter_count_and_output(b4_model):
    assert b4_model.count_params() == B4_TWO_STREAM_PARAMS
    assert b4_model.input_shape == (None, 320, 320, 3)
    assert b4_model.output_shape == (None, 1)
    probability = b4_model(_images(1, 320), training=False)
    assert keras.backend.standardize_dtype(probability.dtype) == "float32"
    assert 0.0 <= float(probability[0, 0]) <= 1.0


def test_b4_streams_have_equal_shapes_at_every_insertion_point(b4_model):
    expected = {1: (160, 24), 2: (80, 32), 3: (40, 56), 4: (20, 112), 5: (20, 160), 6: (10, 272)}
    for stage, (size, channels) in expected.items():
        first_module = "noise_enhancement" if stage in NOISE_ENHANCEMENT_STAGES else "channel_attention"
        rgb = b4_model.get_layer(f"rgb_{first_module}_{stage}").input.shape
        freq = b4_model.get_layer(f"freq_{first_module}_{stage}").input.shape
        assert rgb == freq == (None, size, size, channels), stage
        if stage in MUTUAL_ENHANCEMENT_STAGES:
            shapes = [t.shape for t in b4_model.get_layer(f"mutual_enhancement_{stage}").input]
            assert shapes == [(None, size, size, channels)] * 2
    for stream in ("rgb", "freq"):
        assert b4_model.get_layer(f"{stream}_pool").input.shape == (None, 10, 10, 1792)


def test_modules_sit_at_the_papers_insertion_points(b4_model):
    names = [layer.name for layer in b4_model.layers]
    for stream in ("rgb", "freq"):
        noise = [n for n in names if n.startswith(f"{stream}_noise_enhancement_")]
        attention = [n for n in names if n.startswith(f"{stream}_channel_attention_")]
        assert [int(n.rsplit("_", 1)[1]) for n in noise] == list(NOISE_ENHANCEMENT_STAGES)
        assert [int(n.rsplit("_", 1)[1]) for n in attention] == list(CHANNEL_ATTENTION_STAGES)
    mutual = [int(n.rsplit("_", 1)[1]) for n in names if n.startswith("mutual_enhancement_")]
    assert mutual == list(MUTUAL_ENHANCEMENT_STAGES)
    # Mutual enhancement runs behind the self-enhancement of the same stage.
    for stage in MUTUAL_ENHANCEMENT_STAGES:
        assert names.index(f"mutual_enhancement_{stage}") > names.index(f"freq_channel_attention_{stage}")
    assert names.index("rgb_noise_enhancement_2") < names.index("rgb_channel_attention_2")


def test_every_trainable_weight_gets_a_finite_nonzero_gradient():
    model = pel_keras.build_model(**SMALL, denoiser="multi_median_3_5")
    images = _images(4, 64)
    labels = np.array([[0.0], [1.0], [0.0], [1.0]], "float32")
    _, _, gradients = loss_and_gradients(model, lambda p: _mean_bce(labels, p), images)
    missing = [w.path for w, g in zip(model.trainable_weights, gradients) if g is None]
    assert not missing
    for weight, gradient in zip(model.trainable_weights, gradients):
        gradient = keras.ops.convert_to_numpy(gradient)
        assert np.all(np.isfinite(gradient)), weight.path
        assert np.any(gradient != 0), weight.path


@pytest.mark.parametrize(
    "options",
    [
        {"streams": "rgb", "self_enhancement": False, "mutual_enhancement": False},
        {"streams": "freq", "self_enhancement": False, "mutual_enhancement": False},
        {"streams": "rgb"},
        {"streams": "freq"},
        {"self_enhancement": False, "mutual_enhancement": False},
        {"mutual_enhancement": False},
        {"self_enhancement": False},
        {"denoiser": "mean3"},
        {"denoiser": "nonlocal_means"},
        {"denoiser": "median5"},
        {"denoiser": "median7"},
        {"denoiser": "multi_median_3_5_7"},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
def test_ablation_variants_build_and_run(options):
    model = pel_keras.build_model(**SMALL, **options)
    output = keras.ops.convert_to_numpy(model(_images(2, 64), training=False))
    assert output.shape == (2, 1)
    assert np.all(np.isfinite(output)) and np.all((output >= 0) & (output <= 1))
    names = [layer.name for layer in model.layers]
    streams = {"rgb": ["rgb"], "freq": ["freq"]}.get(options.get("streams"), ["rgb", "freq"])
    assert sorted(n[: -len("_stage1")] for n in names if n.endswith("_stage1")) == sorted(streams)
    has_mutual = any(n.startswith("mutual_enhancement") for n in names)
    assert has_mutual == options.get("mutual_enhancement", True)
    has_self = any("noise_enhancement" in n or "channel_attention" in n for n in names)
    assert has_self == options.get("self_enhancement", True)


def test_keras_round_trip_of_a_small_model(tmp_path):
    model = pel_keras.build_model(**SMALL)
    images = _images(3, 64)
    path = tmp_path / "pel.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(images)), keras.ops.convert_to_numpy(reloaded(images)), atol=1e-6
    )


def test_mixed_precision_model_outputs_float32_and_trains_one_step():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = pel_keras.build_model(**SMALL)
    assert model.get_layer("freq_stem").get_layer("dct").compute_dtype == "float32"
    assert model.get_layer("rgb_channel_attention_3").compute_dtype == "float16"
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    optimizer.build(model.trainable_weights)
    labels = np.array([[0], [1], [0], [1]], "float32")
    probabilities, scaled, gradients = loss_and_gradients(
        model, lambda p: optimizer.scale_loss(_mean_bce(labels, p)), _images(4, 64)
    )
    assert probabilities.dtype == "float32" and np.isfinite(scaled)
    apply_gradients(optimizer, gradients, model.trainable_variables)
    assert all(np.all(np.isfinite(keras.ops.convert_to_numpy(w))) for w in model.weights)
    assert keras.backend.standardize_dtype(model(_images(2, 64)).dtype) == "float32"


def test_frequency_stream_starts_from_the_rgb_backbone():
    model = pel_keras.build_model(**SMALL)
    rgb_stem_kernel = model.get_layer("rgb_stem").get_layer("stem_conv").get_weights()[0]
    freq_stem = model.get_layer("freq_stem")
    adapted = freq_stem.get_layer("stem_conv").get_weights()[0]
    assert adapted.shape == (3, 3, 64, rgb_stem_kernel.shape[-1])
    # Input channel i of the adapted kernel is RGB channel i mod 3, scaled by 3/64.
    for channel in range(64):
        np.testing.assert_allclose(adapted[:, :, channel], rgb_stem_kernel[:, :, channel % 3] * 3 / 64)
    for stage in range(1, 8):
        rgb_weights = model.get_layer(f"rgb_stage{stage}").get_weights()
        freq_weights = model.get_layer(f"freq_stage{stage}").get_weights()
        for rgb, freq in zip(rgb_weights, freq_weights):
            np.testing.assert_array_equal(rgb, freq)


def test_tiny_backbone_is_b0_scaled_down_by_efficientnets_own_rule():
    b0, tiny = (load_backbone(name, 64, None) for name in ("efficientnet_b0", "efficientnet_tiny"))
    for stage in range(1, 8):
        blocks = {
            model: sorted({layer.name[:7] for layer in model.layers if layer.name.startswith(f"block{stage}")})
            for model in (b0, tiny)
        }
        assert len(blocks[tiny]) == -(-len(blocks[b0]) // 2), stage  # depth 0.5, rounded up
    assert tiny.get_layer("top_conv").filters == 320 and b0.get_layer("top_conv").filters == 1280  # width 0.25
    model = pel_keras.build_model(backbone="efficientnet_tiny", image_size=64, weights=None)
    assert model.count_params() < 500_000 and model.predict(_images(2, 64), verbose=0).shape == (2, 1)


def test_missing_imagenet_weights_name_the_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    expected = tmp_path / "models" / "efficientnetb0_notop.h5"
    assert keras_weights_file("efficientnet_b0") == str(expected)
    with pytest.raises(FileNotFoundError) as error:
        load_backbone("efficientnet_b0", 64, "imagenet")
    assert "efficientnetb0_notop.h5" in str(error.value)
    assert str(tmp_path / "models") in str(error.value)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"backbone": "resnet50"}, "Unknown backbone 'resnet50'"),
        ({"streams": "three"}, "streams must be one of"),
        ({"denoiser": "median4"}, "Unknown denoiser 'median4'"),
        ({"weights": "/tmp/efficientnetb0_notop.h5"}, "weights must be 'imagenet' or None"),
        ({"image_size": 16}, "image_size must be an integer of at least 32, got 16"),
        ({"backbone": "efficientnet_tiny", "weights": "imagenet"}, "efficientnet_tiny has no ImageNet weights"),
    ],
)
def test_invalid_model_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        pel_keras.build_model(**{**SMALL, **options})


def test_the_tiny_backbone_names_the_keras_it_needs_when_the_private_builder_is_gone(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras.src.applications.efficientnet", None)  # import fails as if removed
    with pytest.raises(ImportError, match=rf"Keras {keras.__version__} does not have: install keras==3.15.1"):
        pel_keras.build_model("efficientnet_tiny", image_size=32, weights=None)
