"""One exit-status rule for every entry script: a bad flag value stops with 2 and names the flag."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BAD_VALUES = [
    ("predict.py", ["x.mp4", "--model=m.keras", "--batch_size=0"], "--batch_size"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--batch_size=-1"], "--batch_size"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--margin=0"], "--margin"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--margin=-1"], "--margin"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--frames=0"], "--frames"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--threshold=1.5"], "--threshold"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--frames=0"], "--frames"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--size=-1"], "--size"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--margin=0"], "--margin"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--shard=0/2"], "--shard"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--shard=3/2"], "--shard"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--workers=-1"], "--workers"),
    ("evaluate.py", ["--workdir=run", "--batch_size=0"], "--batch_size"),
    ("evaluate.py", ["--workdir=run", "--frames=-1"], "--frames"),
    ("visualize.py", ["--workdir=run", "--images=a.png", "--margin=0.5"], "--margin"),
    ("export/export.py", ["--workdir=run", "--calibration_images=0"], "--calibration_images"),
    ("train.py", ["--workdir=run", "--batch_size=0"], "--batch_size"),
    ("train.py", ["--workdir=run", "--augment_contrast=1.5"], "--augment_contrast"),
    ("train.py", ["--workdir=run", "--seed=4294967296"], "--seed"),
    ("train.py", ["--workdir=run", "--image_size=32", "--augment_blur_sigma_max=11"], "--augment_blur_sigma_max"),
    ("export/edge_predict.py", ["x.mp4", "--model=m.tflite", "--frames=0"], "--frames"),
    ("export/edge_predict.py", ["x.mp4", "--model=m.tflite", "--threads=0"], "--threads"),
    ("export/edge_predict.py", ["x.mp4", "--model=m.onnx"], "--model"),
    ("predict.py", ["x.mp4", "--model=m.keras", "--max_megapixels=0"], "--max_megapixels"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--max_megapixels=-1"], "--max_megapixels"),
    ("visualize.py", ["--workdir=run", "--images=a.png", "--max_megapixels=0"], "--max_megapixels"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--examples_per_shard=0"], "--examples_per_shard"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--format=jpeg"], "--format"),
    ("prepare.py", ["--dataset=ffpp", "--input=raw", "--output=out", "--runner=spark"], "--runner"),
    ("convert_shards.py", ["--data=out", "--examples_per_shard=0"], "--examples_per_shard"),
    ("export/edge_predict.py", ["x.mp4", "--model=m.tflite", "--max_megapixels=0"], "--max_megapixels"),
]


@pytest.mark.parametrize("script, args, flag", BAD_VALUES, ids=[f"{s}{a[-1]}" for s, a, _ in BAD_VALUES])
def test_a_bad_flag_value_exits_2_naming_the_flag_before_any_work(tmp_path, script, args, flag):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert flag in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []  # nothing was started: no output folder, no model loaded


def test_unexpected_arguments_are_a_usage_error_with_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "evaluate.py"), "--workdir=run", "stray"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "unexpected arguments" in result.stderr
