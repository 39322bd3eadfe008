"""Latency and throughput of PEL in every export format, next to the machine's matmul peak.

    python benchmarks/export_latency.py                                  # B4, two streams, 320 and 224
    python benchmarks/export_latency.py --backbone=efficientnet_b0 --sizes=128 --runs=5

For each input size: builds the model (weights=None: no ImageNet file offline), writes SavedModel,
TFLite fp32/fp16/int8 (builtin ops; int8 calibrated on the sample face crops) and ONNX with the
pel_keras.export library, then times batch 1 (latency) and batch 8 (throughput) for Keras, SavedModel,
LiteRT (XNNPack, --threads threads) and onnxruntime (--threads threads). Prints the file sizes and, per
row, FLOPs / latency against the measured float32 matmul peak. Where TensorFlow sees a GPU, Keras and
SavedModel are timed on it too (extra rows). A last row per size times one plain backbone stream (no
enhancement modules) as fp32 TFLite: the yardstick for the machine's state during the run.

The machine may be shared: each row gives the fastest and the median wall-clock time and the process CPU
time per call; CPU time / threads is what the call would take on that many dedicated cores.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402

import pel_keras  # noqa: E402
from pel_keras.export.export_report import size_bytes  # noqa: E402
from pel_keras.export.onnx import write_onnx  # noqa: E402
from pel_keras.export.parity import keras_predictor  # noqa: E402
from pel_keras.export.samples import sample_faces  # noqa: E402
from pel_keras.export.savedmodel import write_saved_model  # noqa: E402
from pel_keras.export.tflite import QUANTIZATIONS, write_tflite  # noqa: E402
from pel_keras.inference.predictors import load_predictor  # noqa: E402
from pel_keras.models.complexity import count_flops  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", "efficientnet_b4", "Backbone of both streams.")
flags.DEFINE_string("streams", "two", "two, rgb or freq.")
flags.DEFINE_list("sizes", ["320", "224"], "Input sizes.")
flags.DEFINE_integer("threads", 2, "Threads of every runtime.")
flags.DEFINE_integer("runs", 10, "Timed calls at batch 1 (batch 8: a third of them, at least 2).")
flags.DEFINE_string("keep", None, "Keep the exported files in this folder (default: a temporary one).")


def matmul_peak(threads, size=2048, repeats=10):
    """The best float32 GFLOP/s of a ``size``^3 matrix product over ``repeats`` runs (TensorFlow, ``threads``)."""
    a = tf.random.uniform((size, size))
    tf.linalg.matmul(a, a).numpy()
    best = min(_seconds(lambda: tf.linalg.matmul(a, a).numpy()) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def time_calls(predictor, images, runs):
    """``(fastest s, median s, CPU s)`` per call of ``predictor(images)``, after two warm-up calls."""
    predictor(images), predictor(images)
    walls, cpu_start = [], time.process_time()
    for _ in range(runs):
        walls.append(_seconds(lambda: predictor(images)))
    return min(walls), float(np.median(walls)), (time.process_time() - cpu_start) / runs


def perturbed(model, seed=0):
    """``model`` with every weight scaled by 1 + 1% noise: both streams start from the same weights without
    ImageNet, and the TFLite converter would store identical buffers once, understating file sizes."""
    rng = np.random.default_rng(seed)
    model.set_weights([w * (1 + 0.01 * rng.standard_normal(w.shape)).astype(w.dtype) for w in model.get_weights()])
    return model


def export_all(model, folder, size):
    """Writes every format into ``folder``; returns ``{row name: path}``."""
    saved_model = os.path.join(folder, "saved_model")
    write_saved_model(model, saved_model)
    paths = {"SavedModel": saved_model}
    for quantization in QUANTIZATIONS:
        paths[f"TFLite {quantization}"] = os.path.join(folder, f"pel_{quantization}.tflite")
        calibration = sample_faces(size) if quantization == "int8" else None
        write_tflite(saved_model, paths[f"TFLite {quantization}"], quantization, calibration)
    paths["onnxruntime"] = os.path.join(folder, "pel.onnx")
    write_onnx(saved_model, paths["onnxruntime"])
    return paths


def _on(device, predictor):
    """``predictor`` with its TensorFlow ops placed on ``device``."""

    def call(images):
        with tf.device(device):
            return predictor(images)

    return call


def runtimes(model, paths):
    """``[(row name, device, file or None, predictor)]`` of every runtime to time."""
    tf_devices = ["/CPU:0"] + (["/GPU:0"] if tf.config.list_physical_devices("GPU") else [])
    saved = load_predictor(paths["SavedModel"], trusted=True)  # written by export_all above
    rows = []
    for device in tf_devices:
        label = device.strip("/").split(":")[0]
        rows += [
            ("Keras", label, None, _on(device, keras_predictor(model, "keras"))),
            ("SavedModel", label, paths["SavedModel"], _on(device, saved)),
        ]
    for name, path in paths.items():
        if name != "SavedModel":
            threads = f"CPU, {FLAGS.threads} threads" + (", XNNPack" if name.startswith("TFLite") else "")
            rows.append((name, threads, path, load_predictor(path, num_threads=FLAGS.threads)))
    return rows


def row(size, name, device, path, predictor, flops, peak):
    """One table row: ``predictor`` timed at batch 1 and batch 8 on sample face crops."""
    images = np.resize(sample_faces(size), (8, size, size, 3)).astype(np.float32)
    fastest, median, cpu = time_calls(predictor, images[:1], FLAGS.runs)
    fastest8, _, _ = time_calls(predictor, images, max(2, FLAGS.runs // 3))
    megabytes = f"{size_bytes(path) / 1e6:.1f}" if path else ""
    line = (
        f"| {size} | {name} | {device} | {megabytes} | {fastest * 1e3:.1f} / {median * 1e3:.1f} | "
        f"{cpu * 1e3 / FLAGS.threads:.1f} | {8 / fastest8:.1f} | {flops / fastest / 1e9:.1f} | "
        f"{100 * flops / fastest / 1e9 / peak:.0f}% |"
    )
    print(line, flush=True)
    return line


def one_stream_row(size, folder, peak):
    """The yardstick: one plain backbone stream (no enhancement modules) as fp32 TFLite."""
    model = pel_keras.build_model(
        FLAGS.backbone, image_size=size, streams="rgb", self_enhancement=False, mutual_enhancement=False, weights=None
    )
    saved, path = os.path.join(folder, "one_stream_saved_model"), os.path.join(folder, "one_stream_fp32.tflite")
    write_saved_model(model, saved)
    write_tflite(saved, path)
    predictor = load_predictor(path, num_threads=FLAGS.threads)
    return row(
        size,
        "one stream alone, TFLite fp32",
        f"CPU, {FLAGS.threads} threads, XNNPack",
        path,
        predictor,
        count_flops(model),
        peak,
    )


def benchmark_size(size, peak):
    """Exports the model at ``size`` and times every runtime; returns the table rows."""
    model = perturbed(pel_keras.build_model(FLAGS.backbone, image_size=size, streams=FLAGS.streams, weights=None))
    flops = count_flops(model)
    print(
        f"{FLAGS.backbone} {FLAGS.streams} at {size}: {flops / 1e9:.2f} GFLOPs, {model.count_params():,} parameters",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = os.path.join(FLAGS.keep, str(size)) if FLAGS.keep else scratch
        os.makedirs(folder, exist_ok=True)
        start = time.perf_counter()
        paths = export_all(model, folder, size)
        print(f"exported in {time.perf_counter() - start:.0f} s", flush=True)
        table = [row(size, *runtime, flops, peak) for runtime in runtimes(model, paths)]
        return table + [one_stream_row(size, folder, peak)]


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # TensorFlow's and tf2onnx's conversion chatter
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    peak = matmul_peak(FLAGS.threads)
    print(f"float32 matmul peak (2048^3, TensorFlow, {FLAGS.threads} threads): {peak:.1f} GFLOP/s", flush=True)
    header = [
        "| size | runtime | device | file MB | batch 1: fastest / median ms | CPU ms / thread | "
        "batch 8: images/s | GFLOP/s | of peak |",
        "|" + " --- |" * 9,
    ]
    table = []
    for size in map(int, FLAGS.sizes):
        table += benchmark_size(size, peak)
    print("\n".join(header + table))


if __name__ == "__main__":
    app.run(main)
