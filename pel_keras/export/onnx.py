"""ONNX through tf2onnx, from the SavedModel's ``serving_default`` signature (input ``images``, output
``fake_probability``; dynamic batch).

Opset 17 (REFERENCE §3: 17 converts, 19 does not). Converting the frozen SavedModel signature rather than
``model.export(format="onnx")`` matters: the latter traces a function that captures EfficientNet's
normalization constants, and tf2onnx turns such captures into extra graph inputs that a caller would
have to feed.
"""

import tensorflow as tf

from pel_keras.export.isolated import in_fresh_process
from pel_keras.inference.contract import SIGNATURE_KEY

OPSET = 17


def _convert(saved_model_dir, path, opset):
    from tf2onnx import convert, tf_loader

    graph_def, inputs, outputs, renames = tf_loader.from_saved_model(
        saved_model_dir,
        None,
        None,
        tag=tf.saved_model.SERVING,
        signatures=[SIGNATURE_KEY],
        return_tensors_to_rename=True,
    )
    convert.from_graph_def(
        graph_def, input_names=inputs, output_names=outputs, opset=opset, tensors_to_rename=renames, output_path=path
    )


def write_onnx(saved_model_dir, path, opset=OPSET):
    """Converts the SavedModel at ``saved_model_dir`` to ONNX at ``path`` (in a fresh process, see
    :mod:`pel_keras.export.isolated`); returns the ONNX opset used."""
    in_fresh_process(_convert, str(saved_model_dir), str(path), opset)
    return opset
