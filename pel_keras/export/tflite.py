"""TFLite conversion with TFLite builtin ops only (no Select TF ops), so files run in ``ai_edge_litert``.

The conversion starts from the SavedModel of :mod:`pel_keras.export.savedmodel`, so each ``.tflite``
carries its ``serving_default`` signature (input ``images``, output ``fake_probability``).

Quantizations:
- ``fp32``: float32 throughout.
- ``fp16``: float16 weights (half the file), dequantized on load; computes in float32.
- ``int8``: full-integer: int8 weights and activations, calibrated on a representative set of face crops;
  ``TFLITE_BUILTINS_INT8`` makes the conversion fail rather than leave a float op behind. Input and output
  stay float32 (one QUANTIZE after the input, one DEQUANTIZE before the output), so every file keeps the
  same app contract.
"""

import collections

import numpy as np
import tensorflow as tf

from pel_keras.export.isolated import in_fresh_process
from pel_keras.inference.contract import SIGNATURE_KEY

QUANTIZATIONS = ("fp32", "fp16", "int8")


def _representative_dataset(images):
    """The converter's calibration generator: one ``(1, H, W, 3)`` float32 image at a time."""

    def generate():
        for image in images:
            yield [np.asarray(image, np.float32)[None]]

    return generate


def convert_tflite(saved_model_dir, quantization="fp32", calibration_images=None):
    """Converts the SavedModel at ``saved_model_dir`` to a TFLite flatbuffer (bytes).

    Args:
        saved_model_dir: a folder written by :func:`pel_keras.export.savedmodel.write_saved_model`.
        quantization: one of :data:`QUANTIZATIONS`.
        calibration_images: for ``int8``: ``(N, H, W, 3)`` float32 RGB 0..255 face crops (a few hundred
            from the training data cover the activation ranges).

    Raises:
        ValueError: unknown quantization, or int8 without calibration images.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir), signature_keys=[SIGNATURE_KEY])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        if calibration_images is None or len(calibration_images) == 0:
            raise ValueError("int8 quantization needs calibration images (the run's training data or a manifest)")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative_dataset(calibration_images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


def _write(saved_model_dir, path, quantization, calibration_images):
    with open(path, "wb") as f:
        f.write(convert_tflite(saved_model_dir, quantization, calibration_images))


def write_tflite(saved_model_dir, path, quantization="fp32", calibration_images=None):
    """:func:`convert_tflite` into the file ``path``, in a fresh process (see :mod:`pel_keras.export.isolated`)."""
    in_fresh_process(_write, str(saved_model_dir), str(path), quantization, calibration_images)


def io_details(path):
    """The input and output tensors of a ``.tflite`` file as the app sees them (name, shape, dtype and, for
    integer tensors, the quantization scale and zero point) and how many of its tensors have each dtype."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    signature = interpreter.get_signature_runner(SIGNATURE_KEY)

    def describe(details):
        return {name: _describe_tensor(detail) for name, detail in details.items()}

    dtypes = collections.Counter(np.dtype(t["dtype"]).name for t in interpreter.get_tensor_details())
    return {
        "inputs": describe(signature.get_input_details()),
        "outputs": describe(signature.get_output_details()),
        "tensor_dtypes": dict(sorted(dtypes.items())),
    }


def _describe_tensor(detail):
    integer = np.issubdtype(detail["dtype"], np.integer)
    scale, zero_point = detail["quantization"]
    return {
        "shape": [int(d) for d in detail["shape_signature"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": {"scale": float(scale), "zero_point": int(zero_point)} if integer else None,
    }
