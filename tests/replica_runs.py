"""Starting ``tests/training_replicas.py`` in processes of their own, and comparing the runs they write."""

import json
import os
import socket
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "training_replicas.py")


def start(data_dir, workdir, mode, **environment):
    """``training_replicas.py`` in a process of its own, with ``environment`` added to this one's."""
    env = {**os.environ, "PYTHONPATH": ROOT, **environment}
    return subprocess.Popen(
        [sys.executable, SCRIPT, data_dir, workdir, mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process):
    output = process.communicate(timeout=900)[0]
    assert process.returncode == 0, output[-3000:]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def assert_same_run(reference, other, data_dir):
    ours, theirs = (json.loads(open(os.path.join(w, "metrics.jsonl")).readline()) for w in (reference, other))
    assert theirs["train_loss"] == pytest.approx(ours["train_loss"], rel=1e-4)
    assert theirs["val_loss"] == pytest.approx(ours["val_loss"], rel=1e-4)
    a, b = (keras.saving.load_model(os.path.join(w, "last.keras")) for w in (reference, other))
    differences = np.concatenate([np.abs(x.numpy() - y.numpy()).ravel() for x, y in zip(a.weights, b.weights)])
    assert np.quantile(differences, 0.999) < 1e-5 and differences.max() < 2e-3
    paths = sorted(p for p in (os.path.join(r, f) for r, _, fs in os.walk(data_dir) for f in fs) if p.endswith(".png"))
    images = np.stack([cv2.imread(p)[..., ::-1] for p in paths[:16]]).astype("float32")
    np.testing.assert_allclose(a.predict(images, verbose=0), b.predict(images, verbose=0), atol=1e-5)
