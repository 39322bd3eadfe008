"""The built-in demo (``train.py --flagfile=demo.flags``): demo data, then a training run, then evaluation on
the held-out test split and (on TensorFlow) a TFLite export, and a summary of where everything is (:func:`run_demo`).
``--demo`` and ``--real_dir`` are ``train.py``'s own flags: the trainer knows nothing of the demo.

The data (:mod:`pel_keras.data.demo_dataset`) are public-domain faces shipped inside installed packages; the
validation and test fakes are self-blended with the run's ``--sbi_*`` settings, the same ones training
uses on the fly. Evaluation is ``evaluate.py --workdir=RUN`` (Table 1 layout, ROC plot, CSVs); the export is
``export/export.py --workdir=RUN --formats=tflite --quantize=fp32`` (with its parity check), which runs on
TensorFlow only: on JAX or PyTorch the summary gives the command that exports the run under TensorFlow.
"""

import json
import os

import keras

from pel_keras.data.demo_dataset import DemoConfig, build_demo_dataset
from pel_keras.evaluation.eval_config import EvalConfig
from pel_keras.evaluation.evaluate import plan_evaluation, run_evaluation
from pel_keras.protocol import card_summary
from pel_keras.run_folder import EXPORT, LOGS, RESULTS
from pel_keras.training import best_summary, train


def run_demo(config, real_dir=None):
    """The whole demo for the training settings ``config`` (a ``TrainConfig``, from ``demo.flags``).

    Args:
        config: the run; its ``data_dir``/``train_dataset`` is where the demo data goes.
        real_dir: a folder of the user's own real face photos added to the demo data (about 20% of them
            only in val/test, as unseen faces), or None.

    Returns:
        ``{"frame_auc", "video_auc", "tflite"}`` of :func:`finish_demo` (``tflite`` None off TensorFlow).

    Raises:
        ValueError: ``config`` cannot run the demo (``--sbi`` missing), or the data folder holds a demo
            dataset built with other settings (named); as :func:`~pel_keras.training.train` otherwise.
        FileNotFoundError: ``real_dir`` is not a folder.
        FloatingPointError: the loss became NaN (the last good checkpoint is kept).
    """
    if not config.sbi:
        raise ValueError("--demo: the demo's training split holds real faces only; add --sbi")
    prepare_demo_data(config, real_dir)
    print(best_summary(config, train(config)), flush=True)
    return finish_demo(config)


def prepare_demo_data(config, real_dir=None):
    """Builds ``DATA_DIR/<train_dataset>/`` for the run's ``config`` (a ``TrainConfig``) unless it exists.

    Raises:
        ValueError: the folder holds a demo dataset built with other settings (named).
        FileNotFoundError: ``--real_dir`` is not a folder.
    """
    demo = DemoConfig(size=config.image_size, seed=config.seed)
    manifest = build_demo_dataset(
        config.data_dir, demo, real_dir=real_dir, tag=config.train_dataset, sbi=config.sbi_config()
    )
    print(
        f"Demo data: {os.path.dirname(manifest)} (public-domain faces; train: real only, val/test: real and "
        "self-blended fakes)",
        flush=True,
    )
    return manifest


def finish_demo(config):
    """Evaluates ``RUN/best.keras`` on the demo's test split, exports fp32 TFLite (on TensorFlow) and prints
    where it all is.

    Returns:
        ``{"frame_auc", "video_auc", "tflite"}``: the held-out test AUCs and the exported file's path (None
        off TensorFlow).
    """
    evaluation = EvalConfig(workdir=config.workdir)
    (outcome,) = run_evaluation(plan_evaluation(evaluation))
    print(outcome.table, flush=True)
    tflite, tflite_line = export_tflite(config.workdir)
    model = evaluation.model_path
    written = _evaluation(evaluation)
    (record,) = (entry for entry in written["datasets"] if entry["dataset"] == config.train_dataset)
    result = {"frame_auc": record["frame"]["auc"], "video_auc": record["video"]["auc"], "tflite": tflite}
    edge = f"   or, without TensorFlow, python export/edge_predict.py --model={tflite} PHOTO_OR_VIDEO" if tflite else ""
    files = {
        "data": os.path.join(config.data_dir, config.train_dataset),
        "model": model,
        "report": os.path.join(evaluation.eval_dir, "results.md"),
        "ROC": os.path.join(evaluation.eval_dir, "roc_intra.png"),
        "TFLite": tflite_line,
        "TensorBoard": f"tensorboard --logdir={os.path.join(config.workdir, LOGS)}",
        "Score media": f"python predict.py PHOTO_OR_VIDEO --model={model}{edge}",
    }
    print("\nDemo finished.\n" + "\n".join(f"  {name:<12} {where}" for name, where in files.items()))
    print(
        f"  Held-out test AUC: {result['frame_auc']:.4f} per frame, {result['video_auc']:.4f} per video "
        f"({record['frames']} frames, {record['videos']} videos: views and blends never drawn for training)\n"
        f"  Protocol: {card_summary(written['protocol'])}",
        flush=True,
    )
    return result


def export_tflite(workdir):
    """The run's fp32 TFLite export with its parity check, as ``(path, summary line)``; off TensorFlow, where
    the converter does not run, ``(None, the command that exports the run under TensorFlow)``."""
    if keras.backend.backend() != "tensorflow":
        command = f"KERAS_BACKEND=tensorflow python export/export.py --workdir={workdir} --formats=tflite"
        return None, f"not exported on {keras.backend.backend()}: {command} --quantize=fp32"
    from pel_keras.export.all_formats import export_model, tflite_name  # TensorFlow's converter
    from pel_keras.export.source import load_source

    out_dir = os.path.join(workdir, EXPORT)
    report = export_model(load_source(workdir=workdir), out_dir, formats=("tflite",), quantizations=("fp32",))
    tflite = os.path.join(out_dir, tflite_name("fp32"))
    return tflite, f"{tflite} (parity with Keras: {'passed' if report['passed'] else 'FAILED'})"


def _evaluation(evaluation):
    """The intra-dataset entry of the ``results.json`` that ``evaluation`` (an ``EvalConfig``) wrote."""
    with open(os.path.join(evaluation.eval_dir, RESULTS), encoding="utf-8") as file:
        return json.load(file)["intra"][evaluation.model_name]
