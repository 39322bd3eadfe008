"""A model path that cannot be loaded gets its true reason and the path, from load_predictor, pel_keras.load_model
and the figures' loader alike (Keras itself says "File not found" of all of these)."""

import os
import subprocess
import sys

import keras
import pytest

import pel_keras
from pel_keras.inference.predictors import ModelError, load_predictor
from pel_keras.visualization.taps import load_graph_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A whole .keras file."""
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs)))
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model.save(path)
    return path


def _loaders(path):
    """The error of each way to load ``path``: ``[(loader name, exception)]``."""
    errors = []
    for name, load in (
        ("load_predictor", load_predictor),
        ("pel_keras.load_model", pel_keras.load_model),
        ("load_graph_model", lambda p: load_graph_model(p, "visualize.py")),
    ):
        with pytest.raises(Exception) as caught:
            load(path)
        errors.append((name, caught.value))
    return errors


def _bad_files(folder, saved):
    whole = saved.read_bytes()
    (folder / "truncated.keras").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.keras").write_text("my model, version 2\n")
    (folder / "empty.keras").write_bytes(b"")
    (folder / "weights.keras").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    (folder / "folder.keras").mkdir()
    os.symlink("loop.keras", folder / "loop.keras")
    os.symlink("gone.keras", folder / "dangling.keras")


@pytest.mark.parametrize(
    "name, reason",
    [
        (
            "truncated.keras",
            "not a .keras file: it begins as a zip archive but its end (the archive's directory) is "
            "missing: the file is truncated",
        ),
        ("notes.keras", "not a .keras file: it holds text ('my model, version 2"),
        ("empty.keras", "not a .keras file: the file is empty"),
        ("weights.keras", "not a .keras file: it is not a zip archive (it begins with b'\\x89HDF"),
        ("folder.keras", "is a folder"),
        ("loop.keras", "symbolic links that lead in a loop"),
        ("dangling.keras", "is a symbolic link to gone.keras, which does not exist"),
    ],
)
def test_each_unloadable_model_path_gets_its_reason_and_the_path(saved, tmp_path, name, reason):
    _bad_files(tmp_path, saved)
    for loader, error in _loaders(tmp_path / name):
        assert str(tmp_path / name) in str(error) and reason in str(error), (loader, error)
        assert "File not found" not in str(error), loader
        expected = {
            "load_graph_model": ModelError,
            "load_predictor": ModelError,
            "pel_keras.load_model": (OSError, ValueError),
        }[loader]
        if name == "dangling.keras" and loader != "load_graph_model":
            expected = FileNotFoundError  # missing, as for a path that was never there
        assert isinstance(error, expected), (loader, type(error))


def test_a_model_this_user_may_not_read_is_named_permission_denied(saved, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    locked = folder / "locked.keras"
    locked.write_bytes(saved.read_bytes())
    locked.chmod(0)
    code = (
        "import sys, pel_keras\nfrom pel_keras.inference.predictors import load_predictor\n"
        "for load in (load_predictor, pel_keras.load_model):\n"
        "    try:\n        load(sys.argv[1])\n    except Exception as error:\n"
        "        print(type(error).__name__, error)\n"
    )
    # Root reads any file; without the capabilities that let it, it meets the permission bits as users do.
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(locked)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout + done.stderr[-2000:]
    assert lines[0] == f"ModelError {locked}: permission denied: this user may not read this file"
    assert lines[1] == f"PermissionError {locked}: permission denied: this user may not read this file"


def test_a_whole_keras_file_still_loads(saved):
    assert load_predictor(saved).input_shape == (8, 8, 3)
    assert pel_keras.load_model(saved).input_shape == (None, 8, 8, 3)


def test_evaluate_names_the_flag_and_the_reason_before_loading_anything(tmp_path):
    from pel_keras.evaluation.eval_config import EvalConfig
    from pel_keras.evaluation.evaluate import plan_evaluation

    (tmp_path / "config.json").write_text('{"data_dir": "/nowhere", "train_dataset": "ffpp_c40", "image_size": 8}')
    os.symlink("loop.keras", tmp_path / "loop.keras")
    with pytest.raises(ValueError, match=f"--model: {tmp_path / 'loop.keras'}: symbolic links that lead in a loop"):
        plan_evaluation(EvalConfig(workdir=str(tmp_path), model=str(tmp_path / "loop.keras")))
    with pytest.raises(FileNotFoundError, match=f"--workdir: {tmp_path / 'best.keras'}: no such file or folder"):
        plan_evaluation(EvalConfig(workdir=str(tmp_path)))
