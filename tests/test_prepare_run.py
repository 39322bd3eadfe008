"""End-to-end preparation on small raw datasets in the official layouts, written as real videos."""

import collections
import csv
import ctypes
import functools
import os
import signal
import subprocess
import sys
import time

import cv2
import data_layouts
import pytest

from pel_keras.data.manifest import COLUMNS, read_manifest
from pel_keras.data.prepare import PrepareConfig, prepare
from pel_keras.testing import data_media

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return data_layouts.Clips(tmp_path_factory.mktemp("clips"), num_frames=6)


def config(dataset, raw, out, **kwargs):
    return PrepareConfig(
        dataset=dataset, input=str(raw), output=str(out), **{"frames": 3, "size": 64, "workers": 1, **kwargs}
    )


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def per_class(rows):
    return collections.Counter((r["split"], r["label"]) for r in rows)


def test_ffpp_manifest_labels_splits_counts_and_crops(tmp_path, clips):
    raw = data_layouts.make_ffpp(tmp_path / "raw", clips)
    summary = prepare(config("ffpp", raw, tmp_path / "out"))
    out = tmp_path / "out" / "ffpp_c23"
    assert summary.out_dir == str(out) and (summary.videos, summary.done, summary.failed) == (30, 30, 0)
    with open(out / "manifest.csv") as f:
        assert f.readline().strip() == ",".join(COLUMNS)
    rows = read_manifest(out / "manifest.csv")
    assert len(rows) == summary.manifest_rows == 30 * 3
    assert per_class(rows) == {(s, label): n for s in ("train", "val", "test") for label, n in ((0, 6), (1, 24))}
    assert len({(r["video"], r["frame"]) for r in rows}) == len(rows)
    assert {r["frame"] for r in rows} == {0, 2, 5}
    row = next(r for r in rows if r["video"] == "Deepfakes/071_054")
    assert (row["label"], row["split"], row["source"]) == (1, "train", "Deepfakes")
    assert row["path"] == "crops/Deepfakes/071_054/000000.png"
    assert 0.5 < float(row["score"]) <= 1 and len(row["box"].split()) == 4
    assert all(0 <= float(v) <= 64 for v in row["landmarks"].split()) and len(row["landmarks"].split()) == 10
    crop = cv2.imread(str(out / row["path"]), cv2.IMREAD_UNCHANGED)
    assert crop.shape == (64, 64, 3)
    assert read_csv(out / "failures.csv") == []


def test_resume_after_an_interruption_has_no_duplicates(tmp_path, clips):
    raw = data_layouts.make_ffpp(tmp_path / "raw", clips, methods=("Deepfakes",))
    cfg = config("ffpp", raw, tmp_path / "out", methods=("Deepfakes",))
    prepare(cfg)
    out = tmp_path / "out" / "ffpp_c23"
    complete = (out / "manifest.csv").read_text()
    # What a kill leaves: a video's crops half-written in the staging folder, and crops put in place whose
    # outcome was never stored.
    staged = out / ".pel-tmp" / "shard-1-of-1" / "youtube" / "953"
    os.remove(out / "records" / "youtube" / "953.json")
    staged.parent.mkdir(parents=True)
    os.rename(out / "crops" / "youtube" / "953", staged)
    (staged / "000005.png").unlink()
    os.remove(out / "records" / "Deepfakes" / "054_071.json")
    summary = prepare(cfg)
    assert (summary.skipped, summary.done) == (10, 2)
    assert (out / "manifest.csv").read_text() == complete
    assert os.listdir(out / ".pel-tmp") == []
    assert (out / "crops" / "youtube" / "953" / "000005.png").is_file()
    again = prepare(cfg)
    assert (again.skipped, again.done, again.crops) == (12, 0, 0)
    assert (out / "manifest.csv").read_text() == complete


def test_killed_run_resumes_to_the_same_manifest(tmp_path, clips):
    raw = data_layouts.make_ffpp(tmp_path / "raw", clips)
    args = [sys.executable, "prepare.py", "--dataset=ffpp", f"--input={raw}", "--frames=6", "--size=64", "--workers=1"]
    reference = subprocess.run(args + [f"--output={tmp_path / 'ref'}"], cwd=REPO, capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr
    process = subprocess.Popen(args + [f"--output={tmp_path / 'out'}"], cwd=REPO, stderr=subprocess.DEVNULL)
    records = tmp_path / "out" / "ffpp_c23" / "records"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(records.rglob("*.json"))) < 5:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 5 <= len(list(records.rglob("*.json"))) < 30  # really stopped half-way
    resumed = subprocess.run(args + [f"--output={tmp_path / 'out'}"], cwd=REPO, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "out/ffpp_c23/manifest.csv").read_text() == (tmp_path / "ref/ffpp_c23/manifest.csv").read_text()
    assert os.listdir(tmp_path / "out/ffpp_c23/.pel-tmp") == []


def test_bad_files_are_logged_skipped_and_counted_by_the_script(tmp_path, clips):
    raw = tmp_path / "mine"
    data_layouts.put(clips.face, str(raw / "real" / "good.mp4"))
    data_layouts.put(clips.hopper, str(raw / "fake" / "good.mp4"))
    (raw / "fake" / "empty.mp4").write_bytes(b"")
    (raw / "fake" / "corrupt.mp4").write_bytes(open(clips.face, "rb").read()[:200])
    (raw / "real" / "notes.avi").write_text("this is not a video\n")
    result = subprocess.run(
        [
            sys.executable,
            "prepare.py",
            "--dataset=folder",
            f"--input={raw}",
            f"--output={tmp_path / 'out'}",
            "--frames=3",
            "--size=64",
            "--workers=2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "3 failed" in result.stdout and "failures.csv" in result.stderr
    failures = {r["video"]: r for r in read_csv(tmp_path / "out" / "mine" / "failures.csv")}
    assert set(failures) == {"fake/empty.mp4", "fake/corrupt.mp4", "real/notes.avi"}
    assert "empty file" in failures["fake/empty.mp4"]["reason"] and failures["fake/empty.mp4"]["kind"] == "error"
    assert str(raw / "real" / "notes.avi") in failures["real/notes.avi"]["reason"]
    rows = read_manifest(tmp_path / "out" / "mine" / "manifest.csv")
    assert sorted({(r["video"], r["label"], r["split"]) for r in rows}) == [
        ("fake/good.mp4", 1, "test"),
        ("real/good.mp4", 0, "test"),
    ]
    assert len(rows) == 6


def test_a_bomb_is_refused_a_gif_prepared_and_the_limit_is_the_flags(tmp_path):
    raw = tmp_path / "mine"
    data_media.write_video(str(raw / "real" / "clip.mp4"), 3, size=(192, 144))  # 0.028 megapixels
    (raw / "fake").mkdir()
    assert cv2.imwritemulti(str(raw / "fake" / "clip.gif"), [data_media.frame(i, (160, 120)) for i in range(3)])
    data_media.write_png_bomb(str(raw / "fake" / "bomb.png"))
    (raw / "fake" / "notes.txt").write_text("not media")
    result = subprocess.run(
        [
            sys.executable,
            "prepare.py",
            "--dataset=folder",
            f"--input={raw}",
            f"--output={tmp_path / 'out'}",
            "--frames=3",
            "--size=64",
            "--workers=1",
            "--max_megapixels=0.025",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "notes.txt: skipped: not a media file (extension .txt)" in result.stderr
    failures = {r["video"]: r["reason"] for r in read_csv(tmp_path / "out" / "mine" / "failures.csv")}
    assert set(failures) == {"fake/bomb.png", "real/clip.mp4"}
    assert (
        "bomb.png: 20000x20000 pixels (400 megapixels) is above the limit of 0.025 megapixels"
        in failures["fake/bomb.png"]
    )
    assert "clip.mp4: 192x144 pixels" in failures["real/clip.mp4"] and "--max_megapixels" in failures["real/clip.mp4"]
    rows = read_manifest(tmp_path / "out" / "mine" / "manifest.csv")
    assert {(r["video"], r["frame"]) for r in rows} == {("fake/clip.gif", i) for i in range(3)}


def test_frames_and_videos_without_faces_are_counted_and_reported(tmp_path, clips):
    raw = tmp_path / "mine"
    data_layouts.put(clips.partly, str(raw / "real" / "partly.mp4"))
    data_layouts.put(clips.noface, str(raw / "fake" / "noface.mp4"))
    cfg = config("folder", raw, tmp_path / "out", frames=6)
    summary = prepare(cfg)
    assert (summary.done, summary.failed, summary.no_face_videos) == (1, 0, 1)
    assert (summary.frames, summary.crops, summary.no_face_frames) == (12, 4, 8)
    rows = read_manifest(tmp_path / "out" / "mine" / "manifest.csv")
    assert sorted(r["frame"] for r in rows) == [0, 3, 4, 5]
    [failure] = read_csv(tmp_path / "out" / "mine" / "failures.csv")
    assert (failure["video"], failure["kind"]) == ("fake/noface.mp4", "no_face")
    assert "no face in any of 6 sampled frames" in failure["reason"]
    assert prepare(cfg).skipped == 2  # a video without faces counts as finished


def test_celebdf_manifest_inverts_the_test_list(tmp_path, clips):
    raw = data_layouts.make_celebdf(tmp_path / "raw", clips)
    prepare(config("celebdf", raw, tmp_path / "out", frames=1))
    rows = read_manifest(tmp_path / "out" / "celebdf" / "manifest.csv")
    labels = {(r["video"], r["split"]): r["label"] for r in rows}
    assert labels[("YouTube-real/00000", "test")] == 0 and labels[("Celeb-synthesis/id1_id0_0001", "test")] == 1
    assert per_class(rows) == {("test", 0): 2, ("test", 1): 2, ("train", 0): 2, ("train", 1): 1}


def test_dfdcp_is_prepared_by_the_script_with_its_sets(tmp_path, clips):
    raw = data_layouts.make_dfdcp(tmp_path / "raw", clips)
    command = [sys.executable, "prepare.py", "--dataset=dfdcp", f"--input={raw}", f"--output={tmp_path / 'out'}"]
    result = subprocess.run(command + ["--frames=1", "--size=64", "--workers=1"], cwd=REPO, capture_output=True)
    assert result.returncode == 0, result.stderr
    rows = read_manifest(tmp_path / "out" / "dfdcp" / "manifest.csv")
    videos = {r["video"]: (r["label"], r["split"], r["source"]) for r in rows}
    assert videos["original_videos/1000005/1000005_D_001"] == (0, "test", "original_videos")
    assert videos["method_B/1000005/1000005_D/2000006_1000005_D_001"] == (1, "test", "method_B")
    assert per_class(rows) == {("test", 0): 1, ("test", 1): 1, ("train", 0): 2, ("train", 1): 3}


def test_wilddeepfake_images_are_resized_without_detection(tmp_path):
    raw = data_layouts.make_wilddeepfake(tmp_path / "raw", sequences_per_folder=2, frames=4, size=96)
    summary = prepare(config("wilddeepfake", raw, tmp_path / "out", frames=2, size=32))
    rows = read_manifest(tmp_path / "out" / "wilddeepfake" / "manifest.csv")
    assert summary.crops == len(rows) == 16 and {r["frame"] for r in rows} == {0, 3}
    assert {r["score"] for r in rows} == {""} and {r["box"] for r in rows} == {"0.0 0.0 96.0 96.0"}
    crop = cv2.imread(str(tmp_path / "out" / "wilddeepfake" / rows[0]["path"]))
    assert crop.shape == (32, 32, 3)


def test_shards_are_disjoint_and_combine_without_duplicates(tmp_path, clips):
    raw = data_layouts.make_dfdc(tmp_path / "raw", clips)
    single = prepare(config("dfdc", raw, tmp_path / "single", frames=1))
    parts = [prepare(config("dfdc", raw, tmp_path / "sharded", frames=1, shard=(k, 3))) for k in (1, 2, 3)]
    assert sum(p.videos for p in parts) == single.videos == 11 and all(p.skipped == 0 for p in parts)
    assert parts[-1].manifest_rows == single.manifest_rows == 11
    sharded = read_manifest(tmp_path / "sharded" / "dfdc" / "manifest.csv")
    assert sharded == read_manifest(tmp_path / "single" / "dfdc" / "manifest.csv")
    assert prepare(config("dfdc", raw, tmp_path / "sharded", frames=1)).skipped == 11


def test_resuming_with_other_crop_settings_is_refused(tmp_path, clips):
    raw = data_layouts.make_dfd(tmp_path / "raw", clips)
    prepare(config("dfd", raw, tmp_path / "out", frames=1))
    with pytest.raises(ValueError, match="same settings"):
        prepare(config("dfd", raw, tmp_path / "out", frames=1, size=128))
    with pytest.raises(ValueError, match="shard must be K/N"):
        config("dfd", raw, tmp_path / "out", shard=(0, 2))
    settings = tmp_path / "out" / "dfd_c23" / "prepare.json"
    settings.write_text('{"frames": 1, "si')
    with pytest.raises(ValueError, match=f"preparation settings {settings} is not valid JSON"):
        prepare(config("dfd", raw, tmp_path / "out", frames=1))


def test_script_reports_a_missing_list_file_with_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "prepare.py", "--dataset=celebdf", f"--input={tmp_path}", f"--output={tmp_path / 'out'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert f"expected {tmp_path / 'List_of_testing_videos.txt'}" in result.stderr and "Traceback" not in result.stderr


def test_script_reports_a_corrupt_metadata_file_with_status_2(tmp_path, clips):
    raw = data_layouts.make_dfdc(tmp_path / "raw", clips)
    meta = raw / "dfdc_train_part_1" / "metadata.json"
    meta.write_text(meta.read_text()[:40])
    result = subprocess.run(
        [sys.executable, "prepare.py", "--dataset=dfdc", f"--input={raw}", f"--output={tmp_path / 'out'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"prepare.py: DFDC part metadata {meta} is not valid JSON: ")


def without_permission_override():
    """Runs the child as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so file modes apply to it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="drops root's capabilities")
def test_unreadable_and_missing_videos_reach_failures_csv_with_the_readers_reason(tmp_path, clips):
    raw = tmp_path / "mine"
    data_layouts.put(clips.face, str(raw / "real" / "good.mp4"))
    data_layouts.put(clips.face, str(raw / "real" / "locked.mp4"))
    os.chmod(raw / "real" / "locked.mp4", 0)
    (raw / "fake").mkdir()
    (raw / "fake" / "loop.mp4").symlink_to(raw / "fake" / "loop.mp4")
    (raw / "fake" / "gone.mp4").symlink_to(raw / "fake" / "moved-away.mp4")
    run = functools.partial(
        subprocess.run, cwd=REPO, capture_output=True, text=True, preexec_fn=without_permission_override
    )
    result = run(
        [
            sys.executable,
            "prepare.py",
            "--dataset=folder",
            f"--input={raw}",
            f"--output={tmp_path / 'out'}",
            "--frames=3",
            "--size=64",
            "--workers=2",
        ]
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    failures = {r["video"]: r for r in read_csv(tmp_path / "out" / "mine" / "failures.csv")}
    assert set(failures) == {"real/locked.mp4", "fake/loop.mp4", "fake/gone.mp4"}
    for video, failure in failures.items():
        reader = run(
            [
                sys.executable,
                "-c",
                "import sys; from pel_keras.data.video import sample_frames\n"
                "try:\n    sample_frames(sys.argv[1], 3)\nexcept Exception as error:\n    print(error)",
                str(raw / video),
            ]
        )
        assert failure["kind"] == "error" and failure["reason"] == reader.stdout.strip()
        assert str(raw / video) in failure["reason"]
