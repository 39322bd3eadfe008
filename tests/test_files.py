"""Atomic writes, the full-disk error and the one-writer folder lock (pel_keras.files)."""

import contextlib
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import time

import pytest
from full_disk import fill, tiny_filesystem

from pel_keras.files.atomic import TEMPORARY_SUFFIX, DiskFullError, atomic_output, atomic_write
from pel_keras.files.locks import FolderLockedError, folder_lock


def test_atomic_write_replaces_whole_files_text_and_bytes(tmp_path):
    path = tmp_path / "sub" / "a.json"
    atomic_write(str(path), "old")
    atomic_write(str(path), b"\x00new", durable=True)
    assert path.read_bytes() == b"\x00new"
    assert os.listdir(path.parent) == ["a.json"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("previous")
    with pytest.raises(RuntimeError):
        with atomic_output(str(path)) as temporary:
            assert temporary.endswith(TEMPORARY_SUFFIX + ".keras")
            with open(temporary, "w") as f:
                f.write("half")
            raise RuntimeError("writer died")
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_temporary_names_cannot_collide_with_an_input_name(tmp_path):
    with atomic_output(str(tmp_path / "x.mp4")) as temporary:
        assert os.path.basename(temporary).startswith(".") and TEMPORARY_SUFFIX in temporary
        assert not os.path.exists(temporary)
        with open(temporary, "w") as f:
            f.write("frame")
    assert os.listdir(tmp_path) == ["x.mp4"]


def test_a_full_disk_is_one_error_naming_the_folder_and_leaves_nothing():
    with tiny_filesystem() as folder:
        target = os.path.join(folder, "metrics.jsonl")
        atomic_write(target, "kept\n")
        fill(folder)
        with pytest.raises(DiskFullError) as error:
            atomic_write(target, "x" * 200_000)
        assert folder in str(error.value) and "no space left" in str(error.value)
        assert sorted(os.listdir(folder)) == ["filler", "metrics.jsonl"]
        with open(target) as f:
            assert f.read() == "kept\n"


def _hold(folder, ready, release):
    with folder_lock(folder):
        ready.set()
        release.wait(30)


@contextlib.contextmanager
def held_by_another_process(folder):
    """Yields ``(holder process, release event)`` while another process holds ``folder``'s lock."""
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(folder, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        yield holder, release
    finally:
        release.set()
        holder.join(30)


def test_a_second_writer_is_refused_with_the_holders_name(tmp_path):
    with held_by_another_process(str(tmp_path)) as (holder, _):
        with pytest.raises(FolderLockedError, match=f"process {holder.pid} on"):
            with folder_lock(str(tmp_path)):
                pass
    with folder_lock(str(tmp_path)):  # released with its holder
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    code = (
        "import sys, time; from pel_keras.files.locks import folder_lock\n"
        f"with folder_lock({str(tmp_path)!r}):\n    print('locked', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(FolderLockedError):
        with folder_lock(str(tmp_path)):
            pass
    holder.kill()
    holder.wait()
    time.sleep(0.1)
    assert os.path.exists(tmp_path / ".pel-lock")  # the file stays; the lock went with the process
    with folder_lock(str(tmp_path)):
        pass


def test_locks_of_other_names_are_independent(tmp_path):
    with folder_lock(str(tmp_path), ".pel-lock-shard-1-of-2"):
        with folder_lock(str(tmp_path), ".pel-lock-shard-2-of-2"):
            pass


def test_a_full_disk_error_crosses_process_boundaries_whole():
    error = pickle.loads(pickle.dumps(DiskFullError("/data/ffpp_c23")))
    assert isinstance(error, DiskFullError) and error.folder == "/data/ffpp_c23"
    assert str(error) == str(DiskFullError("/data/ffpp_c23"))


def test_a_waiting_lock_is_taken_once_its_holder_releases_it(tmp_path):
    with held_by_another_process(str(tmp_path)) as (_, release):
        threading.Timer(1.0, release.set).start()
        start = time.monotonic()
        with folder_lock(str(tmp_path), wait=True):
            assert time.monotonic() - start >= 0.9


def test_a_lock_is_taken_on_a_full_disk():
    with tiny_filesystem() as folder:
        fill(folder)
        with folder_lock(folder):
            with pytest.raises(FolderLockedError, match="names none yet"):
                with folder_lock(folder):
                    pass


def _write_folder(folder, files):
    os.makedirs(folder)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


def _folder(folder):
    return {name: open(os.path.join(folder, name)).read() for name in sorted(os.listdir(folder))}


def test_a_folder_replaces_a_folder_whole(tmp_path):
    target = str(tmp_path / "saved_model")
    _write_folder(target, {"saved_model.pb": "old", "stale.txt": "from the old export"})
    with atomic_output(target) as temporary:
        _write_folder(temporary, {"saved_model.pb": "new"})
        assert _folder(target) == {"saved_model.pb": "old", "stale.txt": "from the old export"}
    assert _folder(target) == {"saved_model.pb": "new"}
    assert os.listdir(tmp_path) == ["saved_model"]


def test_a_failing_folder_writer_leaves_the_old_folder(tmp_path):
    target = str(tmp_path / "saved_model")
    _write_folder(target, {"saved_model.pb": "old"})
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            _write_folder(temporary, {"saved_model.pb": "half"})
            raise RuntimeError("converter died")
    assert _folder(target) == {"saved_model.pb": "old"}
    assert os.listdir(tmp_path) == ["saved_model"]


def test_where_no_one_step_exchange_exists_three_renames_swap_the_folders(tmp_path):
    from pel_keras.files.atomic import _swap_by_renames  # the fallback of systems without renameat2

    first, second = str(tmp_path / "new"), str(tmp_path / "old")
    _write_folder(first, {"a": "new"})
    _write_folder(second, {"a": "old"})
    _swap_by_renames(first, second)
    assert (_folder(first), _folder(second)) == ({"a": "old"}, {"a": "new"})
    assert sorted(os.listdir(tmp_path)) == ["new", "old"]
