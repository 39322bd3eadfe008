"""train.py end to end on a small generated dataset, the full two-stream PEL (B0, 32 px), on the backend
``KERAS_BACKEND`` chooses: killed with SIGKILL after its first checkpoint, started again with the same
command, it resumes and finishes; the loss falls, and best.keras reloads and scores val as recorded."""

import csv
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time

import cv2
import keras
import numpy as np
import pytest
from backends import BACKEND, latest_checkpoint
from tensorboard_logs import scalars
from training_data import write_dataset

from pel_keras.training import TrainConfig
from pel_keras.training.validation import metrics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, EPOCHS = 6, 3


def train_command(data_dir, workdir):
    return [
        sys.executable,
        "train.py",
        f"--data_dir={data_dir}",
        "--train_dataset=toy",
        f"--workdir={workdir}",
        "--backbone=efficientnet_b0",
        "--weights=none",
        "--image_size=32",
        "--batch_size=8",
        "--frames=4",
        f"--epochs={EPOCHS}",
        f"--steps_per_epoch={STEPS}",
        "--checkpoint_every=4",
        "--learning_rate=3e-4",
        "--augment_flip=0",
        "--augment_jpeg=0",
        "--augment_blur=0",
        "--augment_color=0",
        "--log_every=2",
        "--stochastic_depth=0",
        "--dropout=0",
    ]  # drop-connect and dropout make 18 steps too noisy to judge


def on_backend(name):
    """The environment of a process on the Keras backend ``name``."""
    return {**os.environ, "KERAS_BACKEND": name}


def kill_after_first_checkpoint(command, workdir, timeout=900):
    """Starts ``command``, SIGKILLs it as soon as a checkpoint is written; returns the checkpoint's step."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while latest_checkpoint(workdir) is None:
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint before the run ended"
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    return checkpoint_counts(workdir)[0]


def checkpoint_counts(workdir):
    """``(step, Adam's iterations)`` stored in the latest checkpoint."""
    path = latest_checkpoint(workdir)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        def value(name_part):
            keys = [key for key, _ in tf.train.list_variables(path) if name_part in key]
            assert len(keys) == 1, keys
            return int(tf.train.load_checkpoint(path).get_tensor(keys[0]))

        return value("step/"), value("iteration")
    with open(os.path.join(path, "position.json")) as f:
        step = json.load(f)["step"]
    with np.load(os.path.join(path, "optimizer.npz")) as optimizer:
        return step, int(optimizer["0"])  # the optimizer's first variable is its iteration count


def remove_test_split(manifest):
    """Deletes the crops of the test split, so that a run reading any of them fails; returns how many."""
    with open(manifest) as f:
        tests = [row["path"] for row in csv.DictReader(f) if row["split"] == "test"]
    for path in tests:
        os.remove(os.path.join(os.path.dirname(manifest), path))
    return len(tests)


def other_backends():
    """The Keras backends other than this one that are installed."""
    return [name for name in ("tensorflow", "jax", "torch") if name != BACKEND and importlib.util.find_spec(name)]


@pytest.mark.slow
def test_killed_run_resumes_learns_and_selects_best_on_val(tmp_path):
    data_dir, workdir = tmp_path / "data", tmp_path / "run"
    assert remove_test_split(write_dataset(str(data_dir), size=32)) > 0  # the test split is never read
    command = train_command(data_dir, workdir)
    killed_at = kill_after_first_checkpoint(command, str(workdir))
    assert 0 < killed_at < STEPS * EPOCHS

    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert re.search(rf"Resuming from \S+ckpt-{killed_at}: step {killed_at}, ", second.stdout)
    records = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    assert [(r["epoch"], r["step"]) for r in records] == [(e + 1, (e + 1) * STEPS) for e in range(EPOCHS)]
    assert checkpoint_counts(str(workdir)) == (STEPS * EPOCHS, STEPS * EPOCHS)  # Adam's count went on, too
    losses = scalars(workdir / "logs" / "train", "loss")  # every 2 steps, the killed process's included
    assert sorted(losses) == list(range(2, STEPS * EPOCHS + 1, 2))
    # The first record holds only the steps after the resume; the run started at its first logged loss.
    assert records[-1]["train_loss"] < min(losses[2], 0.5)  # chance: log(2) = 0.69
    assert sorted(scalars(workdir / "logs" / "val", "video_auc")) == [STEPS * (e + 1) for e in range(EPOCHS)]

    config = TrainConfig.from_json(open(workdir / "config.json").read())
    assert (config.streams, config.self_enhancement, config.mutual_enhancement, config.steps_per_epoch) == (
        "two",
        True,
        True,
        STEPS,
    )
    assert_best_model_scores_val_as_recorded(workdir)
    for other in other_backends():  # the run folder belongs to this backend: the others refuse it by name
        refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=on_backend(other))
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert re.search(rf"--workdir: .* resume it with KERAS_BACKEND={BACKEND}, ", refused.stderr), refused.stderr


def assert_best_model_scores_val_as_recorded(workdir):
    best = json.loads(open(workdir / "best.json").read())
    model = keras.saving.load_model(workdir / "best.keras")
    assert keras.saving.load_model(workdir / "last.keras").count_params() == model.count_params()
    rows = [line.split(",") for line in open(workdir / "manifest.csv").read().splitlines()[1:]]
    val = [(path, float(label), video) for path, label, video, split, *_ in rows if split == "val"]
    images = np.stack([cv2.imread(path)[..., ::-1] for path, _, _ in val]).astype("float32")
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (len(val), 1) and np.all((probabilities >= 0) & (probabilities <= 1))
    scored = metrics(probabilities[:, 0], np.array([label for _, label, _ in val]), [v for _, _, v in val])
    assert scored["frame_auc"] == pytest.approx(best["val_frame_auc"], abs=1e-6)
    assert scored["loss"] == pytest.approx(best["val_loss"], rel=1e-4)
