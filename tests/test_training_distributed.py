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

import pytest
from replica_runs import assert_same_run, finish, free_ports, start
from training_data import write_dataset
from training_replicas import run


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
            data_dir,
            str(tmp_path),
            "selected",
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}),
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
