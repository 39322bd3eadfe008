"""prepare.py --runner=beam (Apache Beam's local runner, worker processes) against the local runner on a small FF++
layout with a corrupt video and one without a face: the same manifest, failures and crop bytes; killed half-way
and run again, the same manifest without duplicates; without Apache Beam, what to install."""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import data_layouts
import pytest
from full_disk import tiny_filesystem

from pel_keras.data.manifest import read_manifest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("Deepfakes",)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """FF++ with one method (12 videos, 6 frames each): one real video corrupt, one fake without a face."""
    tmp = tmp_path_factory.mktemp("beam")
    clips = data_layouts.Clips(tmp / "clips", num_frames=6)
    root = data_layouts.make_ffpp(tmp / "raw", clips, methods=METHODS)
    videos = root / "original_sequences/youtube/c23/videos"
    (videos / "953.mp4").write_bytes((videos / "953.mp4").read_bytes()[:300])
    shutil.copyfile(clips.noface, root / "manipulated_sequences/Deepfakes/c23/videos/071_054.mp4")
    return root


def command(raw, out, *flags):
    args = ["prepare.py", "--dataset=ffpp", f"--input={raw}", f"--output={out}", "--methods=Deepfakes"]
    return [sys.executable, *args, "--frames=3", "--size=64", "--workers=2", *flags]


def run(raw, out, *flags):
    return subprocess.run(command(raw, out, *flags), cwd=REPO, capture_output=True, text=True)


def files(folder):
    """``{relative path: bytes}`` of every file under ``folder``."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                found[os.path.relpath(os.path.join(root, name), folder)] = f.read()
    return found


@pytest.fixture(scope="module")
def local(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    result = run(raw, out)
    assert result.returncode == 1 and "1 failed, 1 without any face" in result.stdout, result.stderr[-2000:]
    return out / "ffpp_c23"


def test_beam_prepares_the_manifest_failures_and_crops_of_the_local_runner(raw, local, tmp_path):
    pytest.importorskip("apache_beam")
    result = run(raw, tmp_path, "--runner=beam")
    assert result.returncode == 1 and "1 failed, 1 without any face" in result.stdout, result.stderr[-2000:]
    out = tmp_path / "ffpp_c23"
    for name in ("manifest.csv", "failures.csv", "prepare.json"):
        assert (out / name).read_text() == (local / name).read_text(), name
    assert files(out / "crops") == files(local / "crops") and len(files(local / "crops")) == 10 * 3
    assert files(out / "records") == files(local / "records")
    assert os.listdir(out / ".pel-tmp") == []
    again = run(raw, tmp_path, "--runner=beam")
    assert "12 videos in this shard, 11 already done, 0 prepared, 1 failed" in again.stdout, again.stderr[-2000:]
    assert (out / "manifest.csv").read_text() == (local / "manifest.csv").read_text()


def test_beam_run_killed_half_way_resumes_to_the_same_manifest_without_duplicates(raw, local, tmp_path):
    pytest.importorskip("apache_beam")
    records = tmp_path / "ffpp_c23" / "records"
    process = subprocess.Popen(
        command(raw, tmp_path, "--runner=beam", "--workers=1"),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline and len(list(records.rglob("*.json"))) < 3:
        assert process.poll() is None, "the run ended before it was killed"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the run and Beam's worker processes
    process.wait()
    done = len(list(records.rglob("*.json")))
    assert 3 <= done < 12  # really stopped half-way
    resumed = run(raw, tmp_path, "--runner=beam")
    assert f"{done} already done" in resumed.stdout, resumed.stderr[-2000:]
    rows = read_manifest(tmp_path / "ffpp_c23" / "manifest.csv")
    assert len({(row["video"], row["frame"]) for row in rows}) == len(rows) == 10 * 3
    assert (tmp_path / "ffpp_c23" / "manifest.csv").read_text() == (local / "manifest.csv").read_text()
    assert files(tmp_path / "ffpp_c23" / "crops") == files(local / "crops")


def test_without_apache_beam_the_beam_runner_says_what_to_install(raw, tmp_path):
    hide_beam = "import runpy, sys; sys.modules['apache_beam'] = None; sys.argv = sys.argv[1:]; "
    hide_beam += "runpy.run_path('prepare.py', run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-c", hide_beam, *command(raw, tmp_path, "--runner=beam")[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert (
        'prepare.py: --runner=beam needs Apache Beam, an optional extra: pip install "pel-keras[beam]"' in result.stderr
    )
    assert not os.path.exists(tmp_path / "ffpp_c23")  # said before any work


def test_a_full_disk_under_beam_ends_in_one_line_and_resumes(raw, local):
    pytest.importorskip("apache_beam")
    with tiny_filesystem(kilobytes=160) as folder:
        out = os.path.join(folder, "ffpp_c23")
        full = subprocess.run(command(raw, folder, "--runner=beam"), cwd=REPO, capture_output=True, text=True)
        assert full.returncode == 1, full.stderr[-3000:]
        line = full.stderr.strip().splitlines()[-1]  # after the log lines of Beam's workers
        assert re.fullmatch(
            f"prepare.py: no space left on the device holding {re.escape(out)}(/[^ ]+)?: free some "
            r"space and run the same command again \(finished work is kept\)",
            line,
        ), line
        stored = [json.loads(path.read_text()) for path in pathlib.Path(out, "records").rglob("*.json")]
        kept = [outcome for outcome in stored if outcome["status"] != "error"]  # a failed video is tried again
        assert kept, "nothing was finished before the disk filled: make the file system larger"
        subprocess.run(["mount", "-o", "remount,size=4m", folder], check=True)
        resumed = run(raw, folder, "--runner=beam")
        assert f"{len(kept)} already done" in resumed.stdout, resumed.stderr[-2000:]
        assert pathlib.Path(out, "manifest.csv").read_text() == (local / "manifest.csv").read_text()
        assert files(pathlib.Path(out, "crops")) == files(local / "crops")
