"""train.py on a preparation converted to TFRecord shards, its PNG crops moved away while it trains: it trains,
and best.keras scores the PNG crops of val as the run recorded from the shards."""

import os
import subprocess

import pytest
from test_train_end_to_end import ROOT, assert_best_model_scores_val_as_recorded, train_command
from training_data import write_dataset

from pel_keras.data.convert_shards import convert


@pytest.mark.slow
def test_train_reads_the_shards_and_scores_val_as_the_png_crops_give(tmp_path):
    data_dir, workdir = tmp_path / "data", tmp_path / "run"
    write_dataset(str(data_dir), size=32)
    convert(str(data_dir / "toy"), examples_per_shard=10)
    os.rename(data_dir / "toy" / "crops", tmp_path / "crops")  # what the run reads can only be the shards
    result = subprocess.run(
        train_command(data_dir, workdir) + ["--epochs=2", "--steps_per_epoch=2", "--checkpoint_every=100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best.keras: epoch" in result.stdout
    os.rename(tmp_path / "crops", data_dir / "toy" / "crops")
    assert_best_model_scores_val_as_recorded(workdir)
