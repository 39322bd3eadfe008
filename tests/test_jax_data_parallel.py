"""On JAX, training data parallel over 2 devices gives the run of 1 device holding the whole batch: 2 logical
CPU devices of one process (``XLA_FLAGS=--xla_force_host_platform_device_count=2``), and 2 processes of one
device each (joined by ``keras.distribution.initialize`` through ``KERAS_DISTRIBUTION_*``), each run against
the same training on 1 device. And ``train.py`` on 2 devices: its run folder, and a batch that does not split
refused by name. And the train step compiled once, not again at the second step.

Setting: ``tests/training_replicas.py`` (B0 RGB stream, 64 px, global batch 8, 4 Adam steps, data in a
fixed order, no dropout); the val split cut to 17 frames, so that its last batch does not fill the 2 devices
and the 2 processes' shares (9 and 8 frames, in batches of 4) end after different numbers of batches: the
val loss over all 17 frames checks the padded, in-step, gathered predictions. The tolerances are those of
``test_training_distributed``: losses relative 1e-4 (one program over the sharded batch differs from one
device only in the order of its sums: the gradients' and the batch-norm moments' all-reduce), predictions
1e-5, 99.9 % of the weights within 1e-5 and all within 2e-3 (Adam's step on a weight whose gradient is ~0
has a rounding-dependent direction, up to ~lr = 2e-4 per step).
"""

import csv
import importlib.util
import json
import os
import subprocess
import sys

import pytest
from replica_runs import ROOT, assert_same_run, finish, free_ports, start
from training_data import write_dataset

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")

VAL_FRAMES = 17


def on_jax(devices, **environment):
    """The environment of a JAX process with ``devices`` logical CPU devices."""
    return {
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
        "JAX_PLATFORMS": "cpu",
        **environment,
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    manifest = write_dataset(path, size=64)
    with open(manifest, newline="") as f:
        reader = csv.DictReader(f)
        columns, rows = reader.fieldnames, list(reader)
    val = [row for row in rows if row["split"] == "val"]
    with open(manifest, "w", newline="") as f:  # both classes stay in the first 17 val frames
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(row for row in rows if row not in val[VAL_FRAMES:])
    return path


@pytest.fixture(scope="module")
def one_device_run(data_dir, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("one_device"))
    finish(start(data_dir, workdir, "selected", **on_jax(1)))
    return workdir


def environment_and_first_epoch(workdir):
    with open(os.path.join(workdir, "environment.json")) as f:
        environment = json.load(f)
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        return environment, json.loads(f.readline())


@pytest.mark.slow
def test_two_devices_train_as_one_device(data_dir, one_device_run, tmp_path):
    finish(start(data_dir, str(tmp_path), "selected", **on_jax(2)))
    environment, epoch = environment_and_first_epoch(tmp_path)
    assert (environment["backend"], environment["strategy"], environment["replicas"]) == ("jax", "JaxDevices", 2)
    assert len(environment["devices"]) == 2 and environment["workers"] == 1
    assert epoch["val_frames"] == VAL_FRAMES
    assert_same_run(one_device_run, str(tmp_path), data_dir)


@pytest.mark.slow
def test_two_processes_train_as_one_device(data_dir, one_device_run, tmp_path):
    coordinator = f"localhost:{free_ports(1)[0]}"
    processes = [
        start(
            data_dir,
            str(tmp_path),
            "selected",
            **on_jax(
                1,
                KERAS_DISTRIBUTION_JOB_ADDRESSES=coordinator,
                KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                KERAS_DISTRIBUTION_PROCESS_ID=str(index),
            ),
        )
        for index in range(2)
    ]
    for process in processes:
        finish(process)
    environment, epoch = environment_and_first_epoch(tmp_path)
    assert (environment["strategy"], environment["replicas"], environment["workers"]) == ("JaxDevices", 2, 2)
    assert epoch["val_frames"] == VAL_FRAMES
    assert os.path.exists(tmp_path / ".pel-lock-process_1")  # process 1 held its own lock, wrote no run files
    assert_same_run(one_device_run, str(tmp_path), data_dir)


def train_on_two_devices(*flags):
    return subprocess.run(
        [sys.executable, "train.py", *flags],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT, **on_jax(2)},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_train_py_on_two_devices(tmp_path):
    write_dataset(str(tmp_path / "data"))
    done = train_on_two_devices(
        f"--data_dir={tmp_path / 'data'}",
        "--train_dataset=toy",
        f"--workdir={tmp_path / 'run'}",
        "--backbone=efficientnet_tiny",
        "--weights=none",
        "--image_size=32",
        "--batch_size=4",
        "--frames=4",
        "--epochs=1",
        "--steps_per_epoch=3",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    environment, epoch = environment_and_first_epoch(tmp_path / "run")
    assert (environment["backend"], environment["replicas"]) == ("jax", 2)
    assert epoch["step"] == 3 and epoch["best"]
    assert os.path.isfile(tmp_path / "run" / "best.keras")


@pytest.mark.slow
def test_a_batch_that_does_not_split_over_the_devices_is_refused_by_name(tmp_path):
    done = train_on_two_devices(f"--data_dir={tmp_path}", f"--workdir={tmp_path / 'run'}", "--batch_size=5")
    assert done.returncode == 2
    assert "--batch_size" in done.stderr and "2 replicas, got 5" in done.stderr
    assert not os.path.exists(tmp_path / "run")


# Three train steps on 1 device, counting the traces of the jitted step (JAX's monitoring events).
THREE_STEPS_TRACED = """
import jax
import keras
import numpy as np
import pel_keras
from pel_keras.training.backend_parts import steps
from pel_keras.training.jax_strategy import JaxDevices
from pel_keras.training.optimizer import make_optimizer

traces = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, seconds, **about: traces.append(about.get("fun_name"))
    if event == "/jax/core/compile/jaxpr_trace_duration" else None
)
strategy = JaxDevices()
with strategy.scope():
    model = pel_keras.build_model("efficientnet_tiny", image_size=32, weights=None)
    optimizer = make_optimizer(1e-3)
train_step = steps()[0](model, optimizer, strategy, 4, 1e-4)
images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
batches = iter([(images, np.ones((4, 1), "float32"))] * 3)
for _ in range(3):
    train_step(batches)
print("traces of the step:", traces.count("step"))
"""


@pytest.mark.slow
def test_the_train_step_is_compiled_once():
    """On one device, where a variable's initial value has no sharding, the first step's state is laid out as
    the step returns it, so the second step does not compile the step again (on B0 at 64 px each compilation
    costs about 27 s on 2 CPU cores)."""
    done = subprocess.run(
        [sys.executable, "-c", THREE_STEPS_TRACED],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT, **on_jax(1)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "traces of the step: 1" in done.stdout, done.stdout
