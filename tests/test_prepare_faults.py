"""Preparation under faults: a parent killed alone, a second writer, damaged crops, colliding names, a full disk."""

import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import data_layouts
import pytest
from full_disk import fill, tiny_filesystem

from pel_keras.data import output_folder
from pel_keras.data.manifest import png_is_complete, read_manifest
from pel_keras.data.prepare import PrepareConfig, prepare
from pel_keras.files.atomic import TEMPORARY_SUFFIX
from pel_keras.files.locks import FolderLockedError
from pel_keras.testing import data_media

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return data_layouts.Clips(tmp_path_factory.mktemp("clips"), num_frames=6)


def script(raw, out, *extra, dataset="ffpp", frames=6):
    return [
        sys.executable,
        "prepare.py",
        f"--dataset={dataset}",
        f"--input={raw}",
        f"--output={out}",
        f"--frames={frames}",
        "--size=64",
        *extra,
    ]


def count_records(out):
    return len(list((out / "records").rglob("*.json"))) if (out / "records").is_dir() else 0


def assert_every_row_has_its_crop(out):
    rows = read_manifest(out / "manifest.csv")
    assert rows and [r["path"] for r in rows if not png_is_complete(out / r["path"])] == []
    return rows


def leftovers(out):
    """Temporary files and folders anywhere under ``out`` (the staging root itself may stay, empty)."""
    found = [os.path.join(d, n) for d, dirs, files in os.walk(out) for n in dirs + files if TEMPORARY_SUFFIX in n]
    return [p for p in found if p != str(out / TEMPORARY_SUFFIX)] + os.listdir(out / TEMPORARY_SUFFIX)


def pool_workers(pid):
    """Process ids of the multiprocessing workers that ``pid`` started."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended; nobody reaped it yet
    except OSError:
        return False


@pytest.mark.slow
@linux_only
def test_killing_the_parent_alone_loses_no_crop(tmp_path):
    # Videos of 30 frames, all sampled: each takes a worker about a second, so a worker is always busy.
    long = data_layouts.Clips.__new__(data_layouts.Clips)
    long.face = data_media.write_video(str(tmp_path / "clips" / "face.mp4"), 30)
    long.hopper = data_media.write_video(str(tmp_path / "clips" / "hopper.mp4"), 30, face=1)
    raw = data_layouts.make_ffpp(tmp_path / "raw", long, methods=("Deepfakes",))
    args = lambda out: script(raw, out, "--methods=Deepfakes", "--workers=2", frames=30)  # noqa: E731
    reference = subprocess.run(args(tmp_path / "ref"), cwd=REPO, capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "out" / "ffpp_c23"
    survivors = []
    for more_records in (2, 2):  # kill -9 the parent alone once some records exist; rerun at once; again
        process = subprocess.Popen(args(tmp_path / "out"), cwd=REPO, stderr=subprocess.DEVNULL)
        target = count_records(out) + more_records
        deadline = time.time() + 120
        while time.time() < deadline and (count_records(out) < target or len(pool_workers(process.pid)) < 2):
            time.sleep(0.01)
        workers = pool_workers(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        time.sleep(0.5)
        survivors += [pid for pid in workers if alive(pid)]
        assert count_records(out) < 12  # really stopped half-way
    final = subprocess.run(args(tmp_path / "out"), cwd=REPO, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert (out / "manifest.csv").read_text() == (tmp_path / "ref/ffpp_c23/manifest.csv").read_text()
    assert len(assert_every_row_has_its_crop(out)) == 12 * 30
    assert survivors == [], "workers outlived their parent"
    assert leftovers(out) == []


def test_a_second_writer_is_refused_naming_the_first(tmp_path, clips):
    raw = data_layouts.make_dfd(tmp_path / "raw", clips)
    out = tmp_path / "out" / "dfd_c23"
    with output_folder.writer_lock(str(out), (1, 1)):  # this test process writes the folder
        result = subprocess.run(script(raw, tmp_path / "out", dataset="dfd"), cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{out} is in use by process {os.getpid()} on" in result.stderr
    assert not (out / "records").exists()
    assert subprocess.run(script(raw, tmp_path / "out", dataset="dfd"), cwd=REPO).returncode == 0  # released


def test_shards_of_one_split_write_together_other_splits_are_refused(tmp_path, clips):
    raw = data_layouts.make_dfdc(tmp_path / "raw", clips)

    def cfg(shard):
        return PrepareConfig(
            dataset="dfdc",
            input=str(raw),
            output=str(tmp_path / "out"),  # noqa: E731
            frames=1,
            size=32,
            workers=1,
            shard=shard,
        )

    out = str(tmp_path / "out" / "dfdc")
    with output_folder.writer_lock(out, (1, 2)):
        part = prepare(cfg((2, 2)))
        assert 0 < part.videos == part.done < 11
        for other in ((1, 2), (1, 1), (2, 3)):
            with pytest.raises(FolderLockedError, match=f"is in use by process {os.getpid()} on"):
                prepare(cfg(other))
    with output_folder.writer_lock(out, (2, 2)):
        with pytest.raises(FolderLockedError, match="shards of one split into N parts; this one is --shard=1/3"):
            prepare(cfg((1, 3)))
    final = prepare(cfg((1, 1)))
    assert (final.skipped, final.done) == (part.videos, 11 - part.videos)


def test_the_shared_files_are_rewritten_one_shard_at_a_time(tmp_path, clips):
    raw = data_layouts.make_dfd(tmp_path / "raw", clips)
    out = tmp_path / "out" / "dfd_c23"
    with output_folder.shared_files(str(out)):
        process = subprocess.Popen(
            script(raw, tmp_path / "out", "--shard=1/2", dataset="dfd"),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        assert process.poll() is None and not (out / "prepare.json").exists()  # waits for its turn
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert (out / "prepare.json").is_file() and (out / "manifest.csv").is_file()


def test_a_record_is_trusted_only_whole_and_with_all_its_crops_whole(tmp_path, clips):
    raw = data_layouts.make_dfd(tmp_path / "raw", clips)
    cfg = PrepareConfig(dataset="dfd", input=str(raw), output=str(tmp_path / "out"), frames=3, size=64, workers=1)
    prepare(cfg)
    out = tmp_path / "out" / "dfd_c23"
    complete = (out / "manifest.csv").read_text()
    (out / "crops/actors/01__exit_phone_room/000002.png").unlink()  # what an orphaned worker's rerun did
    cut = out / "crops/DeepFakeDetection/01_03__walk__12345678/000005.png"
    cut.write_bytes(cut.read_bytes()[:-20])  # what a crop written without a flush can look like after a crash
    (out / "records/actors/02__kitchen_pan.json").write_text("")  # and a record written without one
    summary = prepare(cfg)
    assert (summary.skipped, summary.done) == (2, 3)
    assert (out / "manifest.csv").read_text() == complete
    assert_every_row_has_its_crop(out)


def test_a_temporary_name_cannot_be_another_inputs_crop_folder(tmp_path, clips):
    # The case: a frame folder named x.mp4.partial/ beside a broken x.mp4, prepared and retried.
    raw = tmp_path / "mine"
    (raw / "real").mkdir(parents=True)
    (raw / "real" / "x.mp4").write_bytes(open(clips.face, "rb").read()[:300])
    data_layouts.make_wilddeepfake(tmp_path / "frames", sequences_per_folder=1, frames=3)
    os.rename(tmp_path / "frames" / "real_train" / "0" / "0", raw / "real" / "x.mp4.partial")
    cfg = PrepareConfig(dataset="folder", input=str(raw), output=str(tmp_path / "out"), frames=3, size=32, workers=1)
    for attempt in range(3):  # the broken video is retried every time
        summary = prepare(cfg)
        assert (summary.failed, summary.skipped) == (1, min(attempt, 1))
        rows = assert_every_row_has_its_crop(tmp_path / "out" / "mine")
        assert [r["video"] for r in rows] == ["real/x.mp4.partial"] * 3


def test_a_full_disk_ends_in_one_line_leaves_no_temporary_and_keeps_finished_videos(tmp_path, clips):
    raw = data_layouts.make_ffpp(tmp_path / "raw", clips, methods=("Deepfakes",))
    reference = subprocess.run(
        script(raw, tmp_path / "ref", "--methods=Deepfakes", "--workers=2"), cwd=REPO, capture_output=True, text=True
    )
    assert reference.returncode == 0, reference.stderr
    with tiny_filesystem(kilobytes=160) as folder:
        out = os.path.join(folder, "ffpp_c23")
        full = subprocess.run(
            script(raw, folder, "--methods=Deepfakes", "--workers=2"), cwd=REPO, capture_output=True, text=True
        )
        assert full.returncode == 1, full.stderr
        [line] = full.stderr.strip().splitlines()
        # The folder named is the output's, or the one inside it where the write failed (records/youtube).
        assert re.fullmatch(
            f"prepare.py: no space left on the device holding {re.escape(out)}(/[^ ]+)?: free some "
            r"space and run the same command again \(finished work is kept\)",
            line,
        ), line
        out = pathlib.Path(out)
        assert leftovers(out) == []
        assert [p for p in out.rglob("*") if p.is_file() and p.stat().st_size == 0] == []
        kept = list((out / "records").rglob("*.json"))
        assert kept, "nothing was finished before the disk filled: make the file system larger"
        filler = fill(folder)
        os.remove(filler)
        subprocess.run(["mount", "-o", "remount,size=4m", folder], check=True)
        resumed = subprocess.run(
            script(raw, folder, "--methods=Deepfakes", "--workers=2"), cwd=REPO, capture_output=True, text=True
        )
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(kept)} already done" in resumed.stdout
        assert (out / "manifest.csv").read_text() == (tmp_path / "ref/ffpp_c23/manifest.csv").read_text()
        assert_every_row_has_its_crop(out)
