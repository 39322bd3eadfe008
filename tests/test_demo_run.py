"""The README's first command, ``train.py --flagfile=demo.flags``, end to end in CI's smaller setting (a few
training steps): demo data from packaged faces, training on real faces with on-the-fly self-blended fakes,
evaluation on the held-out test split, a TFLite export, and a summary that points at all of it."""

import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter
from sklearn.metrics import roc_auc_score

import pel_keras
from pel_keras.data.pipeline import build_dataset
from pel_keras.protocol import card_summary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CI_DEMO = ["--epochs=1", "--steps_per_epoch=3"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    data_dir, workdir = str(folder / "data"), str(folder / "run")
    command = [
        sys.executable,
        "train.py",
        "--flagfile=demo.flags",
        f"--data_dir={data_dir}",
        f"--workdir={workdir}",
        *CI_DEMO,
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    return data_dir, workdir, result.stdout


@pytest.mark.slow
def test_demo_trains_on_real_faces_only_and_reports_the_held_out_auc(demo):
    data_dir, workdir, stdout = demo
    with open(os.path.join(workdir, "manifest.csv"), newline="") as file:
        used = list(csv.DictReader(file))
    assert {row["label"] for row in used if row["split"] == "train"} == {"0"}  # fakes come from --sbi
    with open(os.path.join(workdir, "eval", "intra_demo_frames.csv"), newline="") as file:
        frames = list(csv.DictReader(file))
    labels = [int(row["label"]) for row in frames]
    assert sorted(set(labels)) == [0, 1] and len(frames) == 100 * 4 * 2  # the whole test split, reals and fakes
    frame_auc = roc_auc_score(labels, [float(row["probability"]) for row in frames])
    printed = re.search(r"Held-out test AUC: ([\d.]+) per frame, ([\d.]+) per video", stdout)
    assert printed and float(printed.group(1)) == pytest.approx(frame_auc, abs=1e-4)
    with open(os.path.join(workdir, "eval", "results.json")) as file:
        record = json.load(file)["intra"]["best.keras"]["datasets"][0]
    assert float(printed.group(2)) == pytest.approx(record["video"]["auc"], abs=1e-4)
    with open(os.path.join(workdir, "eval", "results.json")) as file:
        card = json.load(file)["intra"]["best.keras"]["protocol"]
    assert f"  Protocol: {card_summary(card)}" in stdout and "Protocol (`best.keras`):" in stdout
    assert card["training"]["fakes"] == "self-blended" and card["training"]["crops"]["detector"] == "yunet"
    assert "trained on demo (4 frames/video), best.keras picked by val video-level AUC; 64 px crops" in stdout
    for name in ("best.keras", "eval/results.md", "eval/roc_intra.png", "export/pel_fp32.tflite"):
        assert os.path.join(workdir, name) in stdout and os.path.exists(os.path.join(workdir, name)), name
    assert os.path.join(data_dir, "demo") in stdout


@pytest.mark.slow
def test_demo_tflite_gives_the_keras_answers_on_test_faces(demo):
    data_dir, workdir, _ = demo
    with open(os.path.join(workdir, "export", "export_report.json")) as file:
        assert json.load(file)["passed"] is True
    images, _ = next(
        iter(build_dataset(os.path.join(data_dir, "demo", "manifest.csv"), "test", image_size=64, batch_size=16))
    )
    expected = pel_keras.load_model(os.path.join(workdir, "best.keras")).predict(images, verbose=0)
    runner = Interpreter(model_path=os.path.join(workdir, "export", "pel_fp32.tflite")).get_signature_runner()
    np.testing.assert_allclose(runner(images=images.numpy())["fake_probability"], expected, atol=1e-4)
