"""Exports a trained PEL model for serving and edge devices, with parity checks against Keras.

    python export/export.py --workdir=RUN                      # RUN/best.keras -> RUN/export/
    python export/export.py --workdir=RUN --formats=tflite --quantize=fp32,int8
    python export/export.py --model=model.keras --manifest=data/ffpp_c23/manifest.csv --output=out/

Writes saved_model/, pel_fp32.tflite, pel_fp16.tflite, pel_int8.tflite, pel.onnx and export_report.json
(sizes, the input and output contract, parity figures). Exit status 1 when an fp32 TFLite, SavedModel or
ONNX file differs from Keras by more than 1e-4 on the parity images, or when an fp16 or int8 file misses the
quantized criterion there (rank correlation, AUC drop and verdict flips against Keras; see
pel_keras/export/quantized.py); 2 on bad flags or missing files. The files are written all the same.
See docs/export.md.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from absl import app, flags, logging  # noqa: E402

from pel_keras import cli  # noqa: E402
from pel_keras.export.all_formats import FORMATS, export_model  # noqa: E402
from pel_keras.export.export_report import summary  # noqa: E402
from pel_keras.export.quantized import QuantizedCriterion  # noqa: E402
from pel_keras.export.source import load_source  # noqa: E402
from pel_keras.export.tflite import QUANTIZATIONS  # noqa: E402
from pel_keras.run_folder import EXPORT  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Training run directory (config.json, best.keras); output in WORKDIR/export.")
flags.DEFINE_string("model", None, "A .keras file to export instead of WORKDIR/best.keras.")
flags.DEFINE_string("output", None, "Output folder; default WORKDIR/export (required with --model alone).")
flags.DEFINE_string(
    "manifest",
    None,
    "manifest.csv for int8 calibration (train split) and parity (val or test "
    "split); default the run's training data, DATA_DIR/<train_dataset>/manifest.csv.",
)
flags.DEFINE_list("formats", list(FORMATS), f"Formats to write, of {', '.join(FORMATS)}.")
flags.DEFINE_list("quantize", list(QUANTIZATIONS), f"TFLite files to write, of {', '.join(QUANTIZATIONS)}.")
flags.DEFINE_integer("calibration_images", 200, "Training crops calibrating the int8 model.", lower_bound=1)
flags.DEFINE_integer(
    "parity_images", 32, "Manifest crops (val or test split) added to the sample faces for parity.", lower_bound=0
)
flags.DEFINE_integer("seed", 0, "Picks the calibration and parity crops.")
_DEFAULT = QuantizedCriterion()
flags.DEFINE_float(
    "min_rank_correlation",
    _DEFAULT.min_rank_correlation,
    "fp16 and int8 files: Spearman's rank "
    "correlation of their probabilities with Keras's on the parity images, at least.",
    lower_bound=-1,
    upper_bound=1,
)
flags.DEFINE_float(
    "max_auc_drop",
    _DEFAULT.max_auc_drop,
    "fp16 and int8 files: Keras's AUC minus theirs on the labelled parity crops, at most.",
    lower_bound=0,
    upper_bound=1,
)
flags.DEFINE_float(
    "max_flip_rate",
    _DEFAULT.max_flip_rate,
    "fp16 and int8 files: the share of parity images whose verdict (p > 0.5) differs from Keras's, at most.",
    lower_bound=0,
    upper_bound=1,
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags are written --name=value")
    logging.set_verbosity(logging.WARNING)  # TensorFlow's and tf2onnx's conversion chatter
    output = FLAGS.output or (os.path.join(FLAGS.workdir, EXPORT) if FLAGS.workdir else None)
    if output is None:
        raise app.UsageError("give --workdir, or --model with --output")
    try:
        source = load_source(FLAGS.workdir, FLAGS.model, FLAGS.manifest)
        criterion = QuantizedCriterion(FLAGS.min_rank_correlation, FLAGS.max_auc_drop, FLAGS.max_flip_rate)
        report = export_model(
            source,
            output,
            FLAGS.formats,
            FLAGS.quantize,
            FLAGS.calibration_images,
            FLAGS.parity_images,
            FLAGS.seed,
            criterion,
        )
    except (ValueError, FileNotFoundError) as error:
        return cli.fail(error)
    if source.saved_policy:
        print(f"{source.model_path} was saved with {source.saved_policy} layers: exported from a float32 rebuild")
    print(summary(report))
    print(f"report: {os.path.join(output, 'export_report.json')}")
    if not report["passed"]:
        failed = [
            report["files"].get(name, {}).get("path", name)
            for name, row in report["parity"]["files"].items()
            if row["passed"] is False
        ]
        return cli.fail(f"{', '.join(failed)} did not pass the parity check (see the report)", cli.FAILED)
    return cli.OK


if __name__ == "__main__":
    cli.run(main)
