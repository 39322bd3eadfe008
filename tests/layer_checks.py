"""Shared checks for custom layers, after keras' own ``run_layer_test``: config round trip, symbolic and
eager calls, one ``fit`` step, and a ``.keras`` save/load that reproduces the outputs."""

import keras
import numpy as np


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def run_layer_basics(layer_class, init_kwargs, input_shapes, tmp_path, output_shapes=None):
    """Runs the basic layer checks.

    ``input_shapes`` is one shape or a list of shapes (batch first); ``output_shapes`` likewise, by
    default the input shapes (the PEL modules preserve shapes).
    """
    multi = isinstance(input_shapes, list)
    shapes = input_shapes if multi else [input_shapes]
    expected = shapes if output_shapes is None else _as_list_of_shapes(output_shapes)
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.0, 2.0, shape).astype("float32") for shape in shapes]
    layer_input = arrays if multi else arrays[0]

    layer = layer_class(**init_kwargs)
    config = layer.get_config()
    clone = layer_class.from_config(config)
    assert clone.get_config() == config

    eager = _as_list(layer(layer_input))
    assert len(eager) == len(expected)
    for output, shape in zip(eager, expected):
        assert tuple(output.shape) == tuple(shape)
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(output)))

    symbolic_inputs = [keras.Input(shape[1:]) for shape in shapes]
    symbolic = _as_list(layer_class(**init_kwargs)(symbolic_inputs if multi else symbolic_inputs[0]))
    for output, shape in zip(symbolic, expected):
        assert tuple(output.shape[1:]) == tuple(shape[1:])

    model = _wrap(layer_class(**init_kwargs), symbolic_inputs, multi)
    model.compile(optimizer="adam", loss="mse")
    model.fit(layer_input, np.ones((shapes[0][0], 1), "float32"), epochs=1, verbose=0)
    path = tmp_path / f"{layer_class.__name__}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(layer_input)),
        keras.ops.convert_to_numpy(reloaded(layer_input)),
        rtol=1e-6,
        atol=1e-6,
    )


def _as_list_of_shapes(shapes):
    return shapes if isinstance(shapes, list) else [shapes]


def _wrap(layer, inputs, multi):
    """A model ``inputs -> layer -> pooled scalar`` so that ``fit`` has a loss to minimise."""
    outputs = _as_list(layer(inputs if multi else inputs[0]))
    pooled = [keras.layers.GlobalAveragePooling2D()(output) for output in outputs]
    joined = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate()(pooled)
    return keras.Model(inputs if multi else inputs[0], keras.layers.Dense(1)(joined))
