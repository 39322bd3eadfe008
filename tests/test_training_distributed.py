"""The same training on one device, on MirroredStrategy over 2 logical CPUs, and on 2 local worker
processes (MultiWorkerMirroredStrategy from TF_CONFIG on loopback) gives the same run.

Setting (tests/training_replicas.py): PEL's RGB stream (B0, 64 px), global batch 8, 4 Adam steps, data in
manifest order without augmentation, dropout and stochastic depth off, batch norm synchronised over the
replicas. Every global batch then holds the same 8 images whatever the strategy, and the runs differ only
by float rounding (summation order of the all-reduce, one-pass batch-norm moments). Tolerances: losses
relative 1e-4, predictions 1e-5, 99.9 % of the weights within 1e-5 and all within 2e-3: Adam divides by
sqrt(v), so a weight whose gradient is ~0 takes a step of up to ~lr (2e-4) in a rounding-dependent direction.
"""

import json
import os
import socket
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest
from training_data import write_dataset
from training_replicas import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "training_replicas.py")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    write_dataset(path, size=64)
    return path


@pytest.fixture(scope="module")
def single_device_run(data_dir, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("single"))
    run(data_dir, workdir, "single")
    return workdir


def start(data_dir, workdir, mode, tf_config=None):
    env = {**os.environ, "PYTHONPATH": ROOT, **({"TF_CONFIG": json.dumps(tf_config)} if tf_config else {})}
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


@pytest.mark.slow
def test_mirrored_strategy_on_two_devices_matches_one_device(data_dir, single_device_run, tmp_path):
    finish(start(data_dir, str(tmp_path), "mirrored"))
    environment = json.load(open(tmp_path / "environment.json"))
    assert (environment["strategy"], environment["replicas"]) == ("MirroredStrategy", 2)
    assert_same_run(single_device_run, str(tmp_path), data_dir)


@pytest.mark.slow
def test_two_worker_processes_match_one_device(data_dir, single_device_run, tmp_path):
    workers = [f"localhost:{port}" for port in free_ports(2)]
    processes = [
        start(
            data_dir, str(tmp_path), "cluster", {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}
        )
        for i in range(2)
    ]
    for process in processes:
        finish(process)
    environment = json.load(open(tmp_path / "environment.json"))
    assert (environment["strategy"], environment["replicas"], environment["workers"]) == (
        "MultiWorkerMirroredStrategy",
        2,
        2,
    )
    assert not [name for name in os.listdir(tmp_path / "checkpoints") if name.startswith(".scratch")]
    assert_same_run(single_device_run, str(tmp_path), data_dir)
