"""The run folder's files. Its writers on a real full disk (a tiny tmpfs): models, best.json, checkpoints,
TensorBoard scalars; each stops with a DiskFullError naming the folder, leaves no temporary file and keeps
what was written before; the temporaries of a killed run are removed when the next one starts. Its
readers on a resume: a damaged checkpoint or run file is named with the reason, never silently skipped."""

import os

import keras
import numpy as np
import pytest
from full_disk import fill, tiny_filesystem

from pel_keras import run_folder
from pel_keras.files.atomic import DiskFullError
from pel_keras.training import TrainConfig
from pel_keras.training import workdir as files
from pel_keras.training.checkpoints import Checkpointer
from pel_keras.training.optimizer import make_optimizer
from pel_keras.training.summaries import Summaries


def small_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((40,)), keras.layers.Dense(200), keras.layers.Dense(1)])


def assert_same_weights(a, b):
    for x, y in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_a_model_save_on_a_full_disk_keeps_the_previous_model_and_leaves_nothing():
    with tiny_filesystem(kilobytes=1024) as folder:
        path = os.path.join(folder, run_folder.LAST)
        kept = small_model(0)
        files.save_model(kept, path)
        fill(folder, leave_bytes=16384)  # the new file starts, then meets the full disk
        with pytest.raises(DiskFullError, match=f"no space left on the device holding {folder}:"):
            files.save_model(small_model(1), path)
        assert sorted(os.listdir(folder)) == ["filler", run_folder.LAST]
        assert_same_weights(keras.saving.load_model(path), kept)


def test_best_keras_and_best_json_change_together_or_not_at_all():
    with tiny_filesystem(kilobytes=1024) as folder:
        kept = small_model(0)
        files.write_best(folder, kept, {"epoch": 1})
        size = os.path.getsize(os.path.join(folder, run_folder.BEST))
        fill(folder, leave_bytes=-(-size // 4096) * 4096)  # room for the model, none for best.json after it
        with pytest.raises(DiskFullError):
            files.write_best(folder, small_model(1), {"epoch": 2})
        assert sorted(os.listdir(folder)) == [run_folder.BEST_INFO, run_folder.BEST, "filler"]
        assert files.read_best(folder) == {"epoch": 1}
        assert_same_weights(keras.saving.load_model(os.path.join(folder, run_folder.BEST)), kept)


def checkpointer(workdir, model):
    optimizer = make_optimizer(1e-3)
    optimizer.build(model.trainable_variables)
    return Checkpointer(workdir, True, "local", model, optimizer, keep=3)


@pytest.mark.parametrize("free", [0, 0.5], ids=["nothing-free", "half-a-checkpoint-free"])
def test_a_checkpoint_save_on_a_full_disk_keeps_the_earlier_ones_and_leaves_nothing(free):
    with tiny_filesystem(kilobytes=2048) as folder:
        kept = small_model(0)
        saver = checkpointer(folder, kept)
        saver.step.assign(1)
        saver.save()
        written = sorted(os.listdir(os.path.join(folder, "checkpoints")))
        size = os.path.getsize(os.path.join(folder, "checkpoints", "ckpt-1.data-00000-of-00001"))
        fill(folder, leave_bytes=int(free * size) // 4096 * 4096)
        saver.checkpoint.model.layers[0].kernel.assign(np.zeros((40, 200)))
        saver.step.assign(2)
        with pytest.raises(DiskFullError, match=f"holding {os.path.join(folder, 'checkpoints')}:"):
            saver.save()
        assert sorted(os.listdir(os.path.join(folder, "checkpoints"))) == written
        restored = checkpointer(folder, small_model(1))
        assert restored.restore().endswith("ckpt-1") and int(restored.step.numpy()) == 1
        assert_same_weights(restored.checkpoint.model, small_model(0))


def test_tensorboard_scalars_on_a_full_disk_name_the_folder():
    with tiny_filesystem(kilobytes=256) as folder:
        summaries = Summaries(os.path.join(folder, "logs"), enabled=True)
        summaries.scalars("train", 1, {"loss": 0.5})
        fill(folder)
        with pytest.raises(DiskFullError, match=f"holding {os.path.join(folder, 'logs', 'train')}:"):
            for step in range(2, 100):
                summaries.scalars("train", step, {"loss": 0.5, "images_per_second": 10.0})
        summaries.close()


def test_the_temporaries_of_a_killed_run_are_removed_when_the_next_one_starts(tmp_path):
    files.save_model(small_model(0), str(tmp_path / run_folder.BEST))
    leftovers = [
        tmp_path / ".last.host-12.pel-tmp.keras",
        tmp_path / "checkpoints" / "ckpt-5_temp" / "part",
        tmp_path / "checkpoints" / "checkpoint.tmp0123abcd",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    with files.lock(str(tmp_path), chief=True, task="local"):
        checkpointer(str(tmp_path), small_model(0))
        assert sorted(os.listdir(tmp_path)) == [".pel-lock", run_folder.BEST, "checkpoints"]
        assert os.listdir(tmp_path / "checkpoints") == []


def saved_checkpoint(workdir):
    saver = checkpointer(workdir, small_model(0))
    saver.step.assign(1)
    saver.save()
    return os.path.join(workdir, "checkpoints")


def cut(path):
    os.truncate(path, os.path.getsize(path) // 2)


DAMAGES = {  # what happens to the only checkpoint -> the reason given
    "text-index": ("ckpt-1.index", lambda p: open(p, "w").write("not a checkpoint\n"), "too short to be an sstable"),
    "cut-index": ("ckpt-1.index", cut, r"not an sstable \(bad magic number\)"),
    "cut-data": ("ckpt-1.data-00000-of-00001", cut, r"a data file is shorter than its index says \(cut short\)"),
    "no-data": ("ckpt-1.data-00000-of-00001", os.remove, "ckpt-1.data-00000-of-00001; No such file or directory"),
    "no-index": ("ckpt-1.index", os.remove, "ckpt-1.index, named in .*checkpoint, is missing"),
    "text-state": ("checkpoint", lambda p: open(p, "w").write("{{{\n"), "cannot read it as a checkpoint state"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_checkpoint_is_named_with_its_reason_not_silently_started_over(tmp_path, damage):
    name, spoil, reason = DAMAGES[damage]
    folder = saved_checkpoint(str(tmp_path))
    spoil(os.path.join(folder, name))
    target = os.path.join(folder, "checkpoint" if name == "checkpoint" else "ckpt-1")
    with pytest.raises(ValueError, match=f"^--workdir: cannot resume from {target}.*: .*{reason}.* train in a new"):
        checkpointer(str(tmp_path), small_model(1)).restore()


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("config.json", "settings\n", "not the settings of a run"),
        ("config.json", "[1, 2]\n", "not the settings of a run"),
        ("metrics.jsonl", '{"epoch": 1}\n{"epoch": 2, "val_lo\n', "line 2: not JSON"),
        ("best.json", "\xff\xfe\x00", "not JSON"),
        ("best.json", "3\n", "a JSON int, not an object"),
    ],
)
def test_a_damaged_run_file_is_named_before_any_work(tmp_path, name, content, reason):
    config = TrainConfig(workdir=str(tmp_path), weights="none", image_size=32)
    files.write_settings(config, {})
    (tmp_path / name).write_bytes(content.encode("latin-1"))
    with pytest.raises(ValueError, match=f"^--workdir: cannot resume from {tmp_path / name}.*{reason}"):
        files.check_resumable(config)
