"""The model stays exportable: TFLite with builtin ops only, run in ai_edge_litert (no Flex delegate)."""

import keras
import numpy as np
import pytest

import pel_keras
from pel_keras import layers
from pel_keras.layers.denoisers import DENOISERS
from pel_keras.testing.test_case import TestCase


class TestModelExport(TestCase):
    def test_small_model_runs_in_litert_with_builtin_ops_and_matches_keras(self):
        model = pel_keras.build_model("efficientnet_b0", image_size=64, weights=None)
        batches = [
            np.random.default_rng(batch).uniform(0, 255, (batch, 64, 64, 3)).astype("float32") for batch in (1, 3)
        ]
        self.run_litert_export_test(model, batches, atol=1e-4)

    @pytest.mark.parametrize("denoiser", sorted(DENOISERS))
    def test_every_denoiser_converts_to_builtins_and_matches_keras(self, denoiser):
        features = keras.Input((12, 12, 8))
        enhanced = layers.NoiseEnhancement(denoiser)(features)
        (mutual,) = layers.MutualEnhancement()([layers.ChannelAttention(2)(enhanced)])
        inputs = np.random.default_rng(0).normal(size=(2, 12, 12, 8)).astype("float32")
        self.run_litert_export_test(keras.Model(features, mutual), [inputs])

    def test_saved_keras_model_reloads_through_pel_keras_load_model(self):
        model = pel_keras.build_model("efficientnet_b0", image_size=64, weights=None, streams="freq")
        images = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
        self.run_model_saving_test(model, images)
