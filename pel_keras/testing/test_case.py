"""The shared checks for PEL's layers and models, after keras-hub's ``TestCase``: a layer test (serialization
round trip, build with the expected weight counts, symbolic and eager calls, a ``fit`` step, a ``.keras``
round trip), a model saving test and a LiteRT export test (TFLite builtins only, run without TensorFlow's
Flex delegate).

A pytest class derives from :class:`TestCase` and calls the checks from its test methods::

    class TestChannelAttention(TestCase):
        def test_layer(self):
            self.run_layer_test(ChannelAttention, {"reduction": 2}, images, (2, 9, 10, 6), 4)
"""

import json
import os
import tempfile

import keras
import numpy as np

import pel_keras


class TestCase:
    """Base class of the layer and model tests; its ``run_*`` methods raise ``AssertionError`` on failure."""

    def run_serialization_test(self, instance):
        """Checks that ``get_config``/``from_config`` and ``serialize_keras_object``/``deserialize_keras_object``
        (through JSON, as a ``.keras`` file stores it) give back an object of the same class and config.

        Args:
            instance: a layer or model.
        """
        config = _json(instance.get_config())
        revived = type(instance).from_config(instance.get_config())
        assert _json(revived.get_config()) == config, "get_config -> from_config changed the config"
        serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(instance)))
        revived = keras.saving.deserialize_keras_object(serialized)
        assert type(revived) is type(instance), f"deserialized as {type(revived).__name__}"
        assert _json(revived.get_config()) == config, "serialize -> deserialize changed the config"

    def run_layer_test(
        self,
        cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        run_training_check=True,
    ):
        """Runs the basic checks of a layer.

        Args:
            cls: the layer class.
            init_kwargs: its constructor's arguments.
            input_data: one float32 array (batch first) or a list of them (a layer of several inputs).
            expected_output_shape: the output's shape, or a list of shapes (a layer of several outputs).
            expected_num_trainable_weights: how many trainable weights the built layer has.
            expected_num_non_trainable_weights: how many non-trainable weights it has.
            run_training_check: also fit a model around the layer for one epoch, save it as ``.keras``, load
                it back and check that the outputs are unchanged.
        """
        self.run_serialization_test(cls(**init_kwargs))
        multi = isinstance(input_data, list)
        expected = [tuple(shape) for shape in _as_list(expected_output_shape)]

        symbolic_inputs = [keras.Input(array.shape[1:], batch_size=array.shape[0]) for array in _as_list(input_data)]
        layer = cls(**init_kwargs)
        symbolic = _as_list(layer(symbolic_inputs if multi else symbolic_inputs[0]))
        assert layer.built
        assert len(layer.trainable_weights) == expected_num_trainable_weights, (
            f"{len(layer.trainable_weights)} trainable weights: {[w.path for w in layer.trainable_weights]}"
        )
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
            f"{len(layer.non_trainable_weights)} non-trainable weights: {[w.path for w in layer.non_trainable_weights]}"
        )
        assert [tuple(output.shape) for output in symbolic] == expected, "symbolic output shapes"

        layer = cls(**init_kwargs)
        eager = _as_list(layer(input_data))
        assert [tuple(output.shape) for output in eager] == expected, "eager output shapes"
        for output in eager:
            assert keras.backend.standardize_dtype(output.dtype) == layer.compute_dtype, "output dtype"
            assert np.all(np.isfinite(keras.ops.convert_to_numpy(output))), "non-finite output"

        if run_training_check:
            model = _pooled_model(cls(**init_kwargs), symbolic_inputs, multi)
            model.compile(optimizer="adam", loss="mse")
            model.fit(input_data, np.ones((expected[0][0], 1), "float32"), epochs=1, verbose=0)
            self.run_model_saving_test(model, input_data)

    def run_model_saving_test(self, model, input_data, atol=1e-6):
        """Saves ``model`` as a ``.keras`` file, loads it back with :func:`pel_keras.load_model` and checks
        the class and the outputs on ``input_data``.

        Args:
            model: a built Keras model.
            input_data: what to call it on.
            atol: the outputs' tolerance (absolute and relative).

        Returns:
            The loaded model.
        """
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            restored = pel_keras.load_model(path)
        assert type(restored) is type(model), f"loaded as {type(restored).__name__}"
        for before, after in zip(_as_list(model(input_data)), _as_list(restored(input_data))):
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(after), keras.ops.convert_to_numpy(before), rtol=atol, atol=atol
            )
        return restored

    def run_litert_export_test(self, model, input_batches, atol=1e-5):
        """Converts ``model`` to TFLite with builtin operators only and checks that LiteRT (``ai_edge_litert``,
        the ``export`` extra) gives the Keras outputs on each batch, resizing its input to each batch's size.

        Args:
            model: a Keras model of one input and one output.
            input_batches: float32 arrays, batch first, of one or several batch sizes.
            atol: the tolerance on the outputs.

        Returns:
            The TFLite flatbuffer (bytes).
        """
        import tensorflow as tf
        from ai_edge_litert.interpreter import Interpreter

        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        flatbuffer = converter.convert()
        interpreter = Interpreter(model_content=flatbuffer, num_threads=2)
        index = interpreter.get_input_details()[0]["index"]
        for images in input_batches:
            interpreter.resize_tensor_input(index, images.shape)
            interpreter.allocate_tensors()
            interpreter.set_tensor(index, images)
            interpreter.invoke()
            lite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
            np.testing.assert_allclose(lite, model.predict(images, verbose=0), atol=atol)
        return flatbuffer


def _json(config):
    return json.dumps(config, sort_keys=True, default=str)


def _as_list(value):
    """``value`` as a list: a list or tuple of arrays or shapes as it is, one array or shape (a tuple of ints)
    in a list."""
    return list(value) if isinstance(value, (list, tuple)) and not isinstance(value[0], int) else [value]


def _pooled_model(layer, inputs, multi):
    """A model ``inputs -> layer -> pooled -> Dense(1)`` so that ``fit`` has a scalar to fit."""
    outputs = _as_list(layer(inputs if multi else inputs[0]))
    pooled = [keras.layers.GlobalAveragePooling2D()(output) for output in outputs]
    joined = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate()(pooled)
    return keras.Model(inputs if multi else inputs[0], keras.layers.Dense(1)(joined))
