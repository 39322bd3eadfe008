"""The backend-neutral tests again on JAX, so that ``python -m pytest`` checks a second backend in full.

Keras picks its backend once per process (``KERAS_BACKEND``), so each backend's run is a pytest process of its
own over :data:`BACKEND_NEUTRAL_TESTS`: the layers, the model and training (the step, checkpoints, resuming
after kill -9, the NaN guard, weight decay, the test split never read, changed flags refused). Tests that need
TensorFlow itself skip there (``tests/backends.py``); the scripts and the TensorFlow-free input are tested on
each backend by their own files (``test_scripts_on_backends.py``, ``test_train_without_tensorflow.py``). A
backend whose package is not installed is skipped, except in CI (``CI=true``), which installs them all.

PyTorch runs the same files by hand (``KERAS_BACKEND=torch OMP_WAIT_POLICY=PASSIVE python -m pytest -n 0
FILES``): on CI's two cores shared by two test workers, its spinning OpenMP threads train at under one image
a second, too slow for CI's budget; in CI PyTorch is covered by the agreement, portability and scripts tests,
which run it in processes of its own.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND_PACKAGES = {"jax": "jax"}
BACKEND_NEUTRAL_TESTS = (
    "tests/test_layers_basics.py",
    "tests/test_model.py",
    "tests/test_training_optimizer.py",
    "tests/test_keras_checkpoints.py",
    "tests/test_training_loop.py",
    "tests/test_train_end_to_end.py",
)


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(BACKEND_PACKAGES))
def test_backend_neutral_tests_pass_on(backend):
    if importlib.util.find_spec(BACKEND_PACKAGES[backend]) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{BACKEND_PACKAGES[backend]} is not installed, and CI tests every backend")
        pytest.skip(f"{BACKEND_PACKAGES[backend]} is not installed")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *BACKEND_NEUTRAL_TESTS]
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True, text=True, timeout=3000
    )
    summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"KERAS_BACKEND={backend}: {summary[0]}")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
