"""The package as pip installs it: the wheel built from pyproject.toml holds the FF++ split files, declares
only the TensorFlow-free floor as its own dependencies, and, installed apart from this checkout, imports
from any folder without Keras, builds a PEL model and reads the official splits."""

import email
import os
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), ROOT],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [name] = os.listdir(folder)
    return folder / name


def test_the_wheel_holds_the_split_files_and_declares_the_floor_and_the_extras(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
        message = email.message_from_bytes(archive.read(metadata))
    for split in ("train", "val", "test"):
        assert f"pel_keras/data/splits/{split}.json" in names
    assert "pel_keras/data/splits/NOTICE.md" in names and "pel_keras/models/pel.py" in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    required = sorted(re.split("[<>=]", r)[0] for r in message.get_all("Requires-Dist") if "extra ==" not in r)
    assert required == ["numpy", "opencv-python-headless", "yuface"]
    assert set(message.get_all("Provides-Extra")) == {
        "keras",
        "tensorflow",
        "jax",
        "torch",
        "export",
        "edge",
        "app",
        "beam",
        "hub",
        "dev",
    }


def test_installed_apart_from_the_checkout_it_imports_from_any_folder_and_builds_a_model(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    program = (
        "import sys, pel_keras\n"
        f"assert pel_keras.__file__.startswith({str(target)!r}), pel_keras.__file__\n"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "from pel_keras.data.datasets.ffpp import official_splits\n"
        "splits = official_splits()\n"
        "model = pel_keras.build_model('efficientnet_tiny', image_size=32, weights=None)\n"
        "print(len(splits), model.output_shape)\n"
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=away,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["2000", "(None,", "1)"], done.stdout
