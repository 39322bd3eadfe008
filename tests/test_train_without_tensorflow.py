"""``train.py`` then ``evaluate.py`` on JAX in processes where TensorFlow cannot be imported, as on a GPU host
that has JAX but no TensorFlow: the input is the numpy pipeline, the logs TensorBoard's own writer; the
scores evaluate.py writes there are those of best.keras here. And without the tensorboard package, one notice."""

import csv
import importlib.util
import json
import os
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest
from backends import run_on_backend
from tensorboard_logs import scalars
from training_data import write_dataset

import pel_keras

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 3

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


def without_tensorflow(*command):
    """Runs ``python *command`` on JAX where TensorFlow cannot be imported; returns the finished process."""
    return run_on_backend("jax", *command, timeout=1500)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run trained by train.py on JAX without TensorFlow: ``(workdir, finished process)``."""
    data_dir, workdir = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("runs") / "run"
    write_dataset(str(data_dir), size=32, frames=2)
    flags = ["--backbone=efficientnet_tiny", "--weights=none", "--image_size=32", "--batch_size=8", "--frames=2"]
    done = without_tensorflow(
        "train.py",
        f"--data_dir={data_dir}",
        "--train_dataset=toy",
        f"--workdir={workdir}",
        *flags,
        "--epochs=1",
        f"--steps_per_epoch={STEPS}",
        "--log_every=1",
    )
    return workdir, done


@pytest.mark.slow
@needs_jax
def test_train_py_trains_on_jax_without_tensorflow(trained):
    workdir, done = trained
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best.keras: epoch 1" in done.stdout and "No TensorBoard logs" not in done.stderr
    [record] = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    assert (record["epoch"], record["step"]) == (1, STEPS) and os.path.isfile(workdir / "best.keras")
    environment = json.loads((workdir / "environment.json").read_text())
    assert environment["backend"] == "jax" and "tensorflow" not in environment
    losses = scalars(workdir / "logs" / "train", "loss")
    assert sorted(losses) == list(range(1, STEPS + 1)) and all(0 < loss < 5 for loss in losses.values())
    assert scalars(workdir / "logs" / "val", "video_auc") == {STEPS: pytest.approx(record["val_video_auc"])}


@pytest.mark.slow
@needs_jax
def test_evaluate_py_scores_the_run_on_jax_without_tensorflow(trained):
    workdir, done = trained
    assert done.returncode == 0, done.stderr[-3000:]
    evaluated = without_tensorflow("evaluate.py", f"--workdir={workdir}")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert os.path.isfile(workdir / "eval" / "results.json") and os.path.isfile(workdir / "eval" / "results.md")
    with open(workdir / "eval" / "intra_toy_frames.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 8  # the toy test split: 2 real and 2 fake videos of 2 frames
    model = pel_keras.load_model(workdir / "best.keras")
    images = np.stack([cv2.imread(row["path"])[..., ::-1] for row in rows]).astype("float32")
    expected = keras.ops.convert_to_numpy(model(images, training=False))[:, 0]
    np.testing.assert_allclose([float(row["probability"]) for row in rows], expected, atol=1e-5)


def test_without_the_tensorboard_package_a_run_says_so_once_and_writes_no_logs(tmp_path):
    script = (
        "import sys; sys.path.insert(0, 'tests'); import without_tensorflow; without_tensorflow.hide('tensorboard')\n"
        "from pel_keras.training.summaries import Summaries\n"
        "summaries = Summaries(sys.argv[1], enabled=True)\n"
        "summaries.scalars('train', 1, {'loss': 0.5}); summaries.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "logs")], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("No TensorBoard logs") == 1 and "pip install tensorboard" in done.stderr
    assert not os.path.exists(tmp_path / "logs")
