"""One predictor for every artifact the project writes, so export and quantization cost is measured on the
same data as the trained model (issue: ``evaluate.py --model=PATH``).

``load_predictor(path)`` returns a ``Predictor``: images ``(B, H, W, 3)`` float32 RGB 0..255 -> fake
probabilities ``(B,)`` float32, whatever the runtime: Keras (``.keras``), TensorFlow (SavedModel folder,
``serving_default`` signature), LiteRT (``.tflite``, float or int8-quantized input/output) or onnxruntime
(``.onnx``). A model fixed at one batch size is fed in chunks of that size.

Runtimes are imported when a model of their kind is loaded, so a LiteRT or ONNX predictor needs no
TensorFlow import beyond what the caller already made.

Model files run no code of their own unless the caller trusts them (``trusted=True``, ``--trust_model``):
a SavedModel runs the TensorFlow graph stored in it, which may hold any TensorFlow operation (writing and
reading files among them), and a ``.tflite`` with custom or Flex operators asks for code from outside
LiteRT's builtin kernels; both are refused by default. A ``.keras`` file is loaded in Keras safe mode (no
Python code from the file), a builtin-only ``.tflite`` runs LiteRT's own kernels, and an ``.onnx`` file runs
only the operators compiled into onnxruntime (it cannot bring or register code of its own, and onnxruntime
keeps its external weight files inside the model's folder): those load without it.
"""

import dataclasses
import os
from collections.abc import Callable

import numpy as np

from pel_keras.files.readable import check_keras_file, check_readable

TRUST_MODEL_HELP = (
    "Also load a model that runs code of its own: a SavedModel folder (its TensorFlow graph can read and write "
    "files) or a .tflite with custom or Flex operators. Only for files from a source you trust."
)

TRUST_FLAG = "--trust_model"


class ModelError(ValueError):
    """A model file or folder that cannot serve as a predictor; the message names it."""


class UntrustedModelError(ModelError):
    """A model that runs code of its own, refused because the caller did not say they trust it."""


@dataclasses.dataclass(frozen=True)
class Predictor:
    """Callable ``images (B, H, W, 3) -> probabilities (B,)`` around one loaded model.

    Attributes:
        path: the model file or folder, named in every error.
        run: the runtime call, float32 batch -> raw output of any shape holding B values.
        input_shape: the model's ``(H, W, C)``, None where a dimension is dynamic.
    """

    path: str
    run: Callable[[np.ndarray], np.ndarray]
    input_shape: tuple

    def __call__(self, images):
        images = np.asarray(images, dtype=np.float32)
        expected = (None, *self.input_shape)
        if images.ndim != 4 or any(e is not None and e != d for e, d in zip(expected, images.shape)):
            wanted = ", ".join("any" if d is None else str(d) for d in self.input_shape)
            raise ModelError(f"{self.path} takes images of shape (B, {wanted}); got {images.shape}")
        if images.shape[0] == 0:
            return np.zeros(0, np.float32)
        probabilities = np.asarray(self.run(images), dtype=np.float32).reshape(-1)
        if probabilities.size != images.shape[0]:
            raise ModelError(
                f"{self.path} returned {probabilities.size} values for {images.shape[0]} images; "
                "expected one fake probability per image"
            )
        if not np.all((probabilities >= -1e-6) & (probabilities <= 1 + 1e-6)):
            raise ModelError(
                f"{self.path} returned values outside [0, 1] or NaN (min {probabilities.min()}, max "
                f"{probabilities.max()}): not probabilities; does the model end in a sigmoid?"
            )
        return probabilities


def _dims(shape):
    """A shape with every dynamic dimension (None, -1, symbolic name) as None."""
    return tuple(d if isinstance(d, (int, np.integer)) and d > 0 else None for d in shape)


def _in_chunks(invoke, size):
    """Feeds a model fixed at batch ``size``: chunks of ``size``, the last one padded by repeating its last image."""

    def run(images):
        outputs = []
        for start in range(0, len(images), size):
            chunk = images[start : start + size]
            padded = np.concatenate([chunk, np.repeat(chunk[-1:], size - len(chunk), axis=0)])
            outputs.append(np.asarray(invoke(padded)).reshape(size, -1)[: len(chunk)])
        return np.concatenate(outputs)

    return run


def _batched(invoke, shape):
    return (invoke if shape[0] is None else _in_chunks(invoke, shape[0])), shape[1:]


def _single_io(path, inputs, outputs):
    if inputs != 1 or outputs != 1:
        raise ModelError(f"{path}: expected one input and one output; found {inputs} and {outputs}")


def _load_keras(path):
    import pel_keras  # its load_model registers the PEL layers a saved PEL model is made of

    model = pel_keras.load_model(path)
    return model.predict_on_batch, _dims(model.input_shape[1:])


def _load_saved_model(path):
    try:
        import tensorflow as tf
    except ImportError:  # a JAX or PyTorch host: the other formats need no TensorFlow
        raise ModelError(
            f"{path}: a SavedModel runs on TensorFlow, which is not installed here; score the run's .keras model "
            "(any Keras backend), or its .tflite or .onnx export"
        ) from None

    loaded = tf.saved_model.load(path)
    if "serving_default" not in loaded.signatures:
        raise ModelError(f"{path}: no 'serving_default' signature; found {sorted(loaded.signatures)}")
    signature = loaded.signatures["serving_default"]
    inputs = signature.structured_input_signature[1]
    _single_io(path, len(inputs), len(signature.structured_outputs))
    ((name, spec),) = inputs.items()

    def invoke(images):  # reaching the signature through `loaded` keeps the restored object alive
        outputs = loaded.signatures["serving_default"](**{name: tf.constant(images, spec.dtype)})
        return next(iter(outputs.values())).numpy()

    return _batched(invoke, _dims(spec.shape))


def _quantize(images, detail):
    """Float images into the tensor's dtype, applying its (scale, zero point) when it is an integer type."""
    if not np.issubdtype(detail["dtype"], np.integer):
        return images.astype(detail["dtype"])
    scale, zero_point = detail["quantization"]
    limits = np.iinfo(detail["dtype"])
    return np.clip(np.round(images / scale + zero_point), limits.min, limits.max).astype(detail["dtype"])


def _dequantize(values, detail):
    if not np.issubdtype(detail["dtype"], np.integer):
        return values
    scale, zero_point = detail["quantization"]
    return (values.astype(np.float32) - zero_point) * scale


def _load_tflite(path, num_threads):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    _single_io(path, len(inputs), len(outputs))
    (source,), (target,) = inputs, outputs
    for role, detail in (("input", source), ("output", target)):
        if np.issubdtype(detail["dtype"], np.integer) and detail["quantization"][0] == 0:
            raise ModelError(f"{path}: integer {role} without quantization parameters")
    interpreter.allocate_tensors()

    def invoke(images):
        if tuple(interpreter.get_input_details()[0]["shape"]) != images.shape:
            interpreter.resize_tensor_input(source["index"], images.shape)
            interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], _quantize(images, source))
        interpreter.invoke()
        return _dequantize(interpreter.get_tensor(target["index"]), target)

    return _batched(invoke, _dims(source["shape_signature"]))


def _load_onnx(path, num_threads):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = num_threads or 0  # 0: onnxruntime's default, one thread per core
    # The Azure provider exists to send inputs to remote endpoints; scoring a face never needs it.
    providers = [name for name in onnxruntime.get_available_providers() if name != "AzureExecutionProvider"]
    session = onnxruntime.InferenceSession(path, options, providers=providers)
    inputs = session.get_inputs()
    _single_io(path, len(inputs), len(session.get_outputs()))

    def invoke(images):
        return session.run(None, {inputs[0].name: images})[0]

    return _batched(invoke, _dims(inputs[0].shape))


_LOADERS = {".keras": _load_keras, ".tflite": _load_tflite, ".onnx": _load_onnx}
_THREADED = (_load_tflite, _load_onnx)  # TensorFlow's threads are process-wide (tf.config.threading)


def _loader(path):
    """The loader of the model at ``path``, once the path is known to be readable as that kind of model."""
    check_readable(path, kind=None)
    extension = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        if extension in _LOADERS:
            raise ModelError(f"{path} is a folder, not a {extension} file")
        try:
            check_readable(os.path.join(path, "saved_model.pb"))
        except FileNotFoundError:
            raise ModelError(f"{path} is a folder without saved_model.pb, so not a SavedModel") from None
        return _load_saved_model
    loader = _LOADERS.get(extension)
    if loader is None:
        raise ModelError(f"{path}: unknown model type; expected .keras, .tflite, .onnx or a SavedModel folder")
    if loader is _load_keras:
        check_keras_file(path)
    return loader


def _refuse_untrusted(path, loader):
    """Raises ``UntrustedModelError`` when the model at ``path`` would run code of its own."""
    if loader is _load_saved_model:
        why = (
            "a SavedModel runs the TensorFlow graph stored in it, and a graph can hold any TensorFlow operation, "
            "writing and reading files among them"
        )
    elif loader is _load_tflite:
        from pel_keras.inference.tflite_ops import custom_operators

        names = custom_operators(path)
        if not names:
            return
        why = (
            f"it uses operators that are not LiteRT builtins ({', '.join(names)}): custom and Flex (TensorFlow) "
            "operators run code from outside LiteRT's own kernels"
        )
    else:
        return
    raise UntrustedModelError(
        f"{path}: {why}. Loading it lets the file do whatever that code does, so it is refused "
        f"unless you trust where it came from: pass {TRUST_FLAG} (trusted=True in the library)"
    )


def load_predictor(path, num_threads=None, trusted=False):
    """Loads ``path`` (``.keras``, SavedModel folder, ``.tflite`` or ``.onnx``) as a ``Predictor``.

    Args:
        path: the model file or folder.
        num_threads: the threads of LiteRT (default 1) and onnxruntime (default one per core); TensorFlow and
            Keras take theirs from ``tf.config.threading``, set once per process.
        trusted: also load models that run code of their own (a SavedModel, a ``.tflite`` with custom or Flex
            operators); only for files whose origin you trust.

    Raises:
        FileNotFoundError: nothing at ``path`` (or a symbolic link to nothing); the message says which.
        UntrustedModelError: a model that runs code of its own, without ``trusted``.
        ModelError: unknown type, a folder that is not a SavedModel, a path that cannot be read (permission,
            symbolic link loop, a folder where a file is expected), a truncated or foreign ``.keras``, or a file
            its runtime cannot load; the message names the path and the reason.
    """
    path = os.fspath(path)
    try:
        loader = _loader(path)
    except (FileNotFoundError, ModelError):
        raise
    except (OSError, ValueError) as error:  # the path's true reason, named: a ModelError for the callers
        raise ModelError(str(error)) from None
    if not trusted:
        _refuse_untrusted(path, loader)
    try:
        run, input_shape = loader(path, num_threads) if loader in _THREADED else loader(path)
    except ModelError:
        raise
    except Exception as error:  # each runtime has its own exception types; name the file for all of them
        raise ModelError(f"{path}: could not load: {type(error).__name__}: {error}") from error
    return Predictor(path, run, input_shape)
