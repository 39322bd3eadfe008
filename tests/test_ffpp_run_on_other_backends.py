"""The paper's FF++ configuration trained on JAX and on PyTorch, then evaluated and exported on TensorFlow.

A small FF++ LQ (c40) layout of real videos (``tests/data_layouts.py``) goes through ``prepare.py``; then
``train.py --flagfile=ffpp.flags`` runs with small overrides (B0, 64 px, 1 epoch, no ImageNet weights) on
each backend, in a process where TensorFlow cannot be imported, as on a GPU host that has JAX or PyTorch
only; ``evaluate.py`` and ``export/export.py`` then run on that run folder with TensorFlow, the TFLite file
held to Keras within the export's 1e-4 parity.
"""

import json
import os

import data_layouts
import pytest
from backends import JAX_AND_TORCH, needs_tensorflow, run_on_backend

SMALL = "--backbone=efficientnet_b0 --weights=none --image_size=64 --epochs=1 --frames=3 --batch_size=8".split()


def run_script(*command):
    """``python *command`` in the repository root on TensorFlow; the finished process."""
    return run_on_backend("tensorflow", *command, tensorflow=True)


def read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """DATA_DIR with ffpp_c40 prepared from raw FF++ videos: 3 frames of 64 px per video."""
    clips = data_layouts.Clips(tmp_path_factory.mktemp("clips"), num_frames=6)
    raw = data_layouts.make_ffpp(str(tmp_path_factory.mktemp("raw")), clips, compression="c40")
    data = str(tmp_path_factory.mktemp("data"))
    done = run_script(
        "prepare.py", "--dataset=ffpp", f"--input={raw}", f"--output={data}", "--compression=c40", "--frames=3",
        "--size=64", "--workers=1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return data


@needs_tensorflow
@pytest.mark.slow
@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_ffpp_flags_train_on_backend_then_evaluate_and_export_on_tensorflow(backend, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # PyTorch's OpenMP threads must not spin on shared cores
    run = tmp_path / "run"
    trained = run_on_backend(
        backend, "train.py", "--flagfile=ffpp.flags", f"--data_dir={data_dir}", f"--workdir={run}", *SMALL
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert read_json(run / "environment.json")["backend"] == backend
    config = read_json(run / "config.json")
    assert (config["train_dataset"], config["streams"], config["denoiser"]) == ("ffpp_c40", "two", "median3")
    assert config["self_enhancement"] and config["mutual_enhancement"] and config["balance"]
    assert read_json(run / "best.json")["epoch"] == 1 and os.path.isfile(run / "best.keras")

    evaluated = run_script("evaluate.py", f"--workdir={run}")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    (scores,) = read_json(run / "eval" / "results.json")["intra"]["best.keras"]["datasets"]
    assert scores["dataset"] == "ffpp_c40"
    # The test pair 953/974: 2 real videos and 8 fakes (4 methods x 2), 3 frames each.
    assert (scores["frame"]["real"], scores["frame"]["fake"], scores["video"]["real"], scores["video"]["fake"]) == (
        6, 24, 2, 8,
    )  # fmt: skip
    assert 0 <= scores["frame"]["auc"] <= 1 and 0 <= scores["video"]["auc"] <= 1

    exported = run_script("export/export.py", f"--workdir={run}", "--formats=tflite", "--quantize=fp32")
    assert exported.returncode == 0, exported.stderr[-3000:]
    report = read_json(run / "export" / "export_report.json")
    parity = report["parity"]["files"]["tflite_fp32"]
    assert report["passed"] and parity["within_tolerance"] and parity["tolerance"] == 1e-4
    assert max(parity["max_abs_diff"].values()) <= 1e-4 and os.path.isfile(run / "export" / "pel_fp32.tflite")
