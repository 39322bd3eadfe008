"""The portable checkpoints (Keras weight files, the JAX backend's format; they work on every backend):
model, optimizer, step and epoch come back; only the newest are kept; a killed or full-disk save keeps the
earlier ones and leaves nothing behind; a damaged checkpoint is named with its reason; a run folder of the
other format, or of the other backend writing this one, is refused by name, never silently started over."""

import json
import os

import keras
import numpy as np
import pytest
from backends import BACKEND, needs_tensorflow
from full_disk import fill, tiny_filesystem

from pel_keras.files.atomic import DiskFullError, temporary_name
from pel_keras.training.keras_checkpoints import KerasCheckpointer, checkpoint_folders
from pel_keras.training.optimizer import make_optimizer


def built(workdir, seed, loss_scaling=False, keep=2):
    """A model with batch-norm statistics, its optimizer with every variable set to numbers of ``seed``, and
    a checkpointer of them."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(40), keras.layers.BatchNormalization()])
    optimizer = make_optimizer(1e-2, loss_scaling=loss_scaling)
    optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(seed)
    for variable in model.weights + optimizer.variables:
        variable.assign(rng.integers(1, 100, variable.shape).astype(variable.dtype))
    return model, optimizer, KerasCheckpointer(workdir, True, "local", model, optimizer, keep)


def values(model, optimizer):
    return [keras.ops.convert_to_numpy(v) for v in model.weights + optimizer.variables]


@pytest.mark.parametrize("loss_scaling", [False, True])
def test_model_optimizer_step_and_epoch_come_back_and_only_the_newest_are_kept(tmp_path, loss_scaling):
    model, optimizer, saver = built(str(tmp_path), 0, loss_scaling)
    for step in (2, 4, 6):
        saved = saver.save_at(step, step // 2)
    assert saved == os.path.join(tmp_path, "checkpoints", "ckpt-6")
    assert [os.path.basename(p) for p in checkpoint_folders(saver.directory)] == ["ckpt-4", "ckpt-6"]
    restored_model, restored_optimizer, restorer = built(str(tmp_path), 1, loss_scaling)
    assert not all(
        np.array_equal(a, b) for a, b in zip(values(model, optimizer), values(restored_model, restored_optimizer))
    )
    assert restorer.position() == (0, 0)
    assert restorer.restore() == saved and restorer.position() == (6, 3)
    for a, b in zip(values(model, optimizer), values(restored_model, restored_optimizer), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_killed_save_leaves_a_temporary_folder_that_the_next_run_removes(tmp_path):
    _, _, saver = built(str(tmp_path), 0)
    saver.save_at(3, 1)
    leftover = temporary_name(os.path.join(saver.directory, "ckpt-5"))
    os.makedirs(leftover)  # what a process killed while writing ckpt-5 leaves
    open(os.path.join(leftover, "model.weights.h5"), "wb").close()
    _, _, restorer = built(str(tmp_path), 1)
    assert os.listdir(saver.directory) == ["ckpt-3"]
    assert restorer.restore().endswith("ckpt-3") and restorer.position() == (3, 1)


def test_a_save_on_a_full_disk_keeps_the_earlier_checkpoints_and_leaves_nothing():
    with tiny_filesystem(kilobytes=1024) as folder:
        _, _, saver = built(folder, 0)
        saver.save_at(1, 0)
        fill(folder, leave_bytes=8192)
        with pytest.raises(DiskFullError, match=f"holding {os.path.join(folder, 'checkpoints')}:"):
            saver.save_at(2, 0)
        assert os.listdir(saver.directory) == ["ckpt-1"]
        assert built(folder, 1)[2].restore().endswith("ckpt-1")


def spoil_position(folder):
    with open(os.path.join(folder, "position.json"), "w") as f:
        f.write('{"step": 3')


def cut(path):
    os.truncate(path, os.path.getsize(path) // 2)


DAMAGES = {  # what happens to the only checkpoint -> the file named and the reason given
    "position": (spoil_position, "position.json", "not a checkpoint's position"),
    "cut-weights": (lambda f: cut(os.path.join(f, "model.weights.h5")), "model.weights.h5", ""),
    "no-weights": (lambda f: os.remove(os.path.join(f, "model.weights.h5")), "model.weights.h5", ""),
    "cut-optimizer": (lambda f: cut(os.path.join(f, "optimizer.npz")), "optimizer.npz", "cannot be read"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_checkpoint_is_named_with_its_reason(tmp_path, damage):
    spoil, name, reason = DAMAGES[damage]
    _, _, saver = built(str(tmp_path), 0)
    spoil(saver.save_at(3, 1))
    target = os.path.join(saver.directory, "ckpt-3", name)
    with pytest.raises(ValueError, match=f"^--workdir: cannot resume from {target}: {reason}.*train in a new"):
        built(str(tmp_path), 1)[2].restore()


def test_an_optimizer_of_other_variables_is_refused(tmp_path):
    built(str(tmp_path), 0)[2].save_at(3, 1)
    with pytest.raises(ValueError, match=r"optimizer\.npz: holds 10 optimizer variables that do not fit .* 14"):
        built(str(tmp_path), 1, loss_scaling=True)[2].restore()


def test_a_folder_of_tensorflow_checkpoints_is_refused_by_name(tmp_path):
    os.makedirs(tmp_path / "checkpoints")
    (tmp_path / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-4"\n')
    with pytest.raises(ValueError, match=r"holds TensorFlow checkpoints .* resume it with KERAS_BACKEND=tensorflow"):
        built(str(tmp_path), 0)[2].restore()


def write_position(folder, **position):
    with open(os.path.join(folder, "position.json"), "w") as f:
        json.dump(position, f)


@pytest.mark.parametrize("other", [name for name in ("tensorflow", "jax", "torch") if name != BACKEND])
def test_a_checkpoint_written_on_another_backend_is_refused_by_name(tmp_path, other):
    saved = built(str(tmp_path), 0)[2].save_at(3, 1)
    with open(os.path.join(saved, "position.json")) as f:
        assert json.load(f) == {"step": 3, "epoch": 1, "backend": BACKEND}
    write_position(saved, step=3, epoch=1, backend=other)  # as the other backend writes it
    with pytest.raises(ValueError, match=rf"ckpt-3 was written with KERAS_BACKEND={other}; .*resume it with"):
        built(str(tmp_path), 1)[2].restore()


def test_a_checkpoint_naming_no_backend_was_written_by_jax(tmp_path):
    saved = built(str(tmp_path), 0)[2].save_at(3, 1)
    write_position(saved, step=3, epoch=1)  # JAX's checkpoints before PyTorch trained
    if BACKEND == "jax":
        assert built(str(tmp_path), 1)[2].restore() == saved
    else:
        with pytest.raises(ValueError, match=r"written with KERAS_BACKEND=jax"):
            built(str(tmp_path), 1)[2].restore()


@needs_tensorflow
def test_the_tensorflow_checkpointer_refuses_a_folder_of_keras_checkpoints(tmp_path):
    from pel_keras.training.checkpoints import Checkpointer

    model, optimizer, saver = built(str(tmp_path), 0)
    write_position(saver.save_at(3, 1), step=3, epoch=1, backend="torch")  # as a PyTorch run writes it
    with pytest.raises(ValueError, match=r"holds Keras weight checkpoints .*: resume it with KERAS_BACKEND=torch,"):
        Checkpointer(str(tmp_path), True, "local", model, optimizer, keep=2).restore()
