"""train.py and its run folder: one writer at a time, whatever stopped the one before (PEL's RGB stream on
B0 at 32 px, a few steps, each run a process of its own)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from training_data import write_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, EPOCHS = 3, 2


def train_command(data_dir, workdir, *flags):
    return [sys.executable, "train.py", f"--data_dir={data_dir}", "--train_dataset=toy", f"--workdir={workdir}",
            "--backbone=efficientnet_b0", "--weights=none", "--image_size=32", "--streams=rgb",
            "--noself_enhancement", "--nomutual_enhancement", "--batch_size=4", "--frames=2",
            f"--epochs={EPOCHS}", f"--steps_per_epoch={STEPS}", "--checkpoint_every=2", *flags]


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
def test_a_second_run_in_the_folder_is_refused_and_a_killed_one_resumes(tmp_path):
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
