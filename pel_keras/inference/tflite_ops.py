"""The operators a ``.tflite`` file asks for that are not LiteRT builtins (custom and Flex operators).

A builtin operator runs one of LiteRT's own kernels. A custom one names code that the runtime must be given
from elsewhere: a registered library, or TensorFlow itself for the Flex (``Select TF ops``) operators, which
can run any TensorFlow operation, file reads and writes among them. The file is read with the flatbuffer
schema that ships with ``ai_edge_litert`` (no TensorFlow).
"""

from ai_edge_litert import schema_py_generated as schema


def custom_operators(path):
    """The sorted names of the custom and Flex operators of the ``.tflite`` file ``path`` (empty: builtins only).

    Returns None when the file is not a TFLite flatbuffer (LiteRT then reports what is wrong with it).
    """
    with open(path, "rb") as f:
        buffer = bytearray(f.read())
    if len(buffer) < 8 or not schema.Model.ModelBufferHasIdentifier(buffer, 0):
        return None
    model = schema.Model.GetRootAs(buffer, 0)
    names = set()
    for index in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(index)
        # Files from before the 127-operator limit keep the code in the deprecated byte field only.
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == schema.BuiltinOperator.CUSTOM:
            names.add((code.CustomCode() or b"").decode("utf-8", "replace") or "(unnamed)")
    return sorted(names)
