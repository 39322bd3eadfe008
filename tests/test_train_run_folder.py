"""train.py and its run folder: one writer at a time, whatever stopped the one before, and a full disk that
stops a run with one line and keeps its finished work (PEL's RGB stream on the tiny EfficientNet at 32 px, a
few steps, each run a process of its own)."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import pytest
import tensorflow as tf
from full_disk import fill, tiny_filesystem
from training_data import write_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, EPOCHS = 3, 2


def train_command(data_dir, workdir, *flags):
    return [
        sys.executable,
        "train.py",
        f"--data_dir={data_dir}",
        "--train_dataset=toy",
        f"--workdir={workdir}",
        "--backbone=efficientnet_tiny",
        "--weights=none",
        "--image_size=32",
        "--streams=rgb",
        "--noself_enhancement",
        "--nomutual_enhancement",
        "--batch_size=4",
        "--frames=2",
        f"--epochs={EPOCHS}",
        f"--steps_per_epoch={STEPS}",
        "--checkpoint_every=2",
        *flags,
    ]


def wait_for(path, process, timeout=600):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert process.poll() is None, f"the run ended before {path} was written"
        assert time.monotonic() < deadline, f"no {path} after {timeout} s"
        time.sleep(0.2)


def snapshot(folder):
    """Every file under ``folder`` with its size, modification time and bytes."""
    files = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = (os.stat(path).st_size, os.stat(path).st_mtime_ns, f.read())
    return files


@pytest.mark.slow
def test_a_second_run_in_the_folder_is_refused_a_killed_one_resumes_a_damaged_one_is_named(tmp_path):
    data_dir, workdir = tmp_path / "data", tmp_path / "run"
    write_dataset(str(data_dir), size=32)
    command = train_command(data_dir, workdir)
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(workdir / "checkpoints" / "checkpoint", first)
        os.kill(first.pid, signal.SIGSTOP)  # it keeps its lock, and its files stay as they are
        before = snapshot(workdir)
        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr[-3000:]
        assert f"{workdir} is in use by process {first.pid} on" in second.stderr
        assert "train.py" in second.stderr and "Traceback" not in second.stderr
        assert snapshot(workdir) == before
    finally:
        first.kill()  # kill -9, even while stopped
        first.wait()

    third = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "Resuming from" in third.stdout
    records = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    assert [(r["epoch"], r["step"]) for r in records] == [(e + 1, (e + 1) * STEPS) for e in range(EPOCHS)]

    latest = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
    with open(f"{latest}.index", "w") as f:
        f.write("not a checkpoint\n")
    fourth = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert fourth.returncode == 2, fourth.stderr[-3000:]
    assert f"train.py: --workdir: cannot resume from {latest} (" in fourth.stderr and "Traceback" not in fourth.stderr


@pytest.mark.slow
def test_a_full_disk_stops_the_run_with_one_line_and_keeps_its_finished_work(tmp_path):
    data_dir = tmp_path / "data"
    write_dataset(str(data_dir), size=32)
    with tiny_filesystem(kilobytes=16_000) as disk:  # two checkpoints (2.4 MB each), two models (1.4 MB)
        workdir = os.path.join(disk, "run")
        command = train_command(data_dir, workdir, "--keep_checkpoints=1")
        run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(os.path.join(workdir, "checkpoints", f"ckpt-{STEPS}.index"), run)  # epoch 1 done and saved
        os.kill(run.pid, signal.SIGSTOP)
        filler = fill(disk)
        os.kill(run.pid, signal.SIGCONT)
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 1, stderr[-3000:]
        message = stderr.strip().splitlines()[-1]
        assert message.startswith(f"train.py: no space left on the device holding {workdir}"), stderr[-3000:]
        assert "run the same command again" in message and "Traceback" not in stderr
        leftovers = [
            os.path.join(parent, name)
            for parent, folders, names in os.walk(workdir)
            for name in names + folders
            if "tmp" in name or name.endswith("_temp")
        ]
        assert leftovers == []
        latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
        assert latest.endswith(f"ckpt-{STEPS}")
        reader = tf.train.load_checkpoint(latest)
        for key in reader.get_variable_to_shape_map():
            reader.get_tensor(key)
        assert keras.saving.load_model(os.path.join(workdir, "best.keras")).count_params() > 0

        os.remove(filler)  # space again: the same command goes on from the kept checkpoint
        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert f"Resuming from {latest}: step {STEPS}, 1 epochs done." in resumed.stdout
