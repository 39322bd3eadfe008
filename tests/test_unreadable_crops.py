"""train.py and evaluate.py name a crop that is cut short or missing, with its reason, before any work: no
model is built or loaded (evaluate.py's run holds a best.keras that is not a model, so reaching the loading
would fail on that instead)."""

import os
import subprocess
import sys

import evaluation_runs
import pytest
from test_train_run_folder import ROOT, train_command
from training_data import write_dataset


def damage(path, how):
    """Cuts the file at ``path`` short (to a third of its bytes) or removes it; returns its expected reason."""
    if how == "missing":
        os.remove(path)
        return "missing"
    size = os.path.getsize(path)
    os.truncate(path, size // 3)
    return f"truncated: the PNG stops after {size // 3} bytes without its end marker"


def assert_named(result, script, manifest, path, reason):
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"{script}: 1 of " in result.stderr and f" crops listed in {manifest} cannot be read:" in result.stderr
    assert f"  {path}: {reason}\n" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncated", "missing"])
def test_train_names_the_crop_before_building_anything(tmp_path, how):
    data_dir, workdir = tmp_path / "data", tmp_path / "run"
    manifest = write_dataset(str(data_dir), size=32)
    crop = str(data_dir / "toy" / "crops" / "fake" / "val_001" / "000000.png")
    reason = damage(crop, how)
    result = subprocess.run(train_command(data_dir, workdir), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert_named(result, "train.py", manifest, crop, reason)
    assert not os.path.exists(workdir / "config.json") and not os.path.exists(workdir / "checkpoints")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncated", "missing"])
def test_evaluate_names_the_crop_before_loading_the_model(tmp_path, how):
    videos = [("youtube/000", 0, "test"), ("Deepfakes/000_003", 1, "test")]
    manifest = evaluation_runs.write_prepared(tmp_path / "data", "ffpp_c40", videos)
    (tmp_path / "not_a_model.keras").write_bytes(b"placeholder")
    run = evaluation_runs.write_run(tmp_path / "run", tmp_path / "data", tmp_path / "not_a_model.keras")
    crop = str(tmp_path / "data" / "ffpp_c40" / "crops" / "Deepfakes" / "000_003" / "000001.png")
    reason = damage(crop, how)
    result = subprocess.run(
        [sys.executable, "evaluate.py", f"--workdir={run}", "--noprogress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert_named(result, "evaluate.py", manifest, crop, reason)
