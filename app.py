"""A local web app: drop videos or photos, see the verdict, the score per frame and where the model looks.

    python app.py --model=runs/demo/best.keras
    python app.py --model=RUN/export/pel_fp32.tflite --port=8080 --threshold=0.7

Serves a page on http://127.0.0.1:7860 (printed at start; only this machine can reach it unless --host says
otherwise) that scores each uploaded file as ``predict.py`` does, with the same flags, and an API endpoint
``score`` that returns what ``predict.py FILE --json`` writes. Heatmaps need the ``.keras`` model. Stops with
Ctrl+C; exit status 2 when the model or a flag is bad. docs/app.md describes the page, the API and the limits.
"""

import os
import shutil
import signal
import socket
import sys
import tempfile
import threading

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry, no version check: nothing leaves

from absl import app, flags  # noqa: E402

from pel_keras import cli  # noqa: E402
from pel_keras.data.decoding import DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_FLOOR, MAX_MEGAPIXELS_HELP  # noqa: E402
from pel_keras.data.faces import DETECTORS  # noqa: E402
from pel_keras.inference.crop_settings import DETECTOR_HELP, MARGIN_HELP, crop_settings  # noqa: E402
from pel_keras.inference.predictors import TRUST_MODEL_HELP, ModelError  # noqa: E402
from pel_keras.inference.presets import SOURCE_HELP, resolve_model  # noqa: E402
from pel_keras.prediction.predict import PredictConfig  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "model", None, f"RUN/best.keras (heatmaps), a SavedModel folder, a .tflite or an .onnx file, or {SOURCE_HELP}."
)
flags.DEFINE_bool("trust_model", False, TRUST_MODEL_HELP)
flags.DEFINE_string("host", "127.0.0.1", "Address to listen on; 0.0.0.0 opens the app to the network.")
flags.DEFINE_integer("port", 7860, "Port to listen on.", lower_bound=1, upper_bound=65535)
flags.DEFINE_integer("frames", 32, "Frames sampled per video at equal intervals.", lower_bound=1)
flags.DEFINE_float(
    "threshold",
    0.5,
    "The page's starting threshold, and the API's: a score above it is fake.",
    lower_bound=0,
    upper_bound=1,
)
flags.DEFINE_enum("detector", None, sorted(DETECTORS), DETECTOR_HELP)
flags.DEFINE_float("margin", None, MARGIN_HELP, lower_bound=1)
flags.DEFINE_integer("batch_size", 32, "Face crops per model call.", lower_bound=1)
flags.DEFINE_integer("image_size", None, "Crop side, only for a model whose input size is dynamic.", lower_bound=1)
flags.DEFINE_integer(
    "threads",
    0,
    "Threads of a .tflite or .onnx model; 0: one per core. (TensorFlow formats use TensorFlow's own.)",
    lower_bound=0,
)
flags.DEFINE_integer("max_upload_mb", 500, "Largest file the page accepts, in megabytes.", lower_bound=1)
flags.DEFINE_float("max_megapixels", DEFAULT_MAX_MEGAPIXELS, MAX_MEGAPIXELS_HELP, lower_bound=MAX_MEGAPIXELS_FLOOR)
flags.mark_flag_as_required("model")


def check_address(host, port):
    """Raises OSError when ``host:port`` cannot be listened on (taken, or not this machine's address)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    try:
        check_address(FLAGS.host, FLAGS.port)  # before the minute of loading the model
    except OSError as error:
        return cli.fail(f"cannot serve on {FLAGS.host}:{FLAGS.port}: {error}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as predict.py: YuNet's threads collapse beside TensorFlow's
    from pel_keras.app import page  # Gradio and TensorFlow load after the flags are known to be good
    from pel_keras.app.service import ScoringService

    try:
        model = resolve_model(FLAGS.model)
        crops = crop_settings(model, FLAGS.margin, FLAGS.detector)
        config = PredictConfig(
            frames=FLAGS.frames,
            threshold=FLAGS.threshold,
            detector=crops.detector,
            margin=crops.margin,
            max_megapixels=FLAGS.max_megapixels,
        )
        service = ScoringService(
            model, config, FLAGS.batch_size, FLAGS.image_size, FLAGS.threads or os.cpu_count(), FLAGS.trust_model
        )
    except (ModelError, FileNotFoundError, ValueError) as error:
        return cli.fail(error)
    workspace = tempfile.mkdtemp(prefix="pel-app-")
    blocks = page.build(service, workspace)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(cli.OK))  # a service manager's stop cleans up as Ctrl+C does
    # Ctrl+C (SIGINT) stops the app even where it was started with SIGINT ignored, as a shell without job control
    # starts a background command; Python then leaves SIGINT ignored and KeyboardInterrupt never comes.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        page.launch(blocks, FLAGS.host, FLAGS.port, FLAGS.max_upload_mb, workspace)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    except OSError as error:  # the port is taken, or the address cannot be bound
        return cli.fail(f"cannot serve on {FLAGS.host}:{FLAGS.port}: {error}")
    finally:
        blocks.close()
        shutil.rmtree(workspace, ignore_errors=True)
    return cli.OK


if __name__ == "__main__":
    cli.run(main)
