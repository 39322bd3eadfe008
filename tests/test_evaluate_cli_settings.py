"""evaluate.py's settings: wrong flags and missing files are refused with a message naming them, before any
model is loaded; datasets are found, skipped or capped as the flags say; results are keyed by model.

The run folders here hold a `best.keras` that is not a model: every check must pass or fail before the model
is loaded, and a test that reached the loading would fail on "could not load" instead of its own message.
"""

import dataclasses
import json
import os
import re

import evaluation_runs
import pytest

from pel_keras.data.manifest import select_frames
from pel_keras.evaluation.eval_config import EvalConfig, read_run_settings
from pel_keras.evaluation.evaluate import plan_evaluation, run_evaluation
from pel_keras.evaluation.outputs import Skipped
from pel_keras.evaluation.scored_frames import find_test_set

VIDEOS = [("youtube/000", 0, "test"), ("Deepfakes/000_003", 1, "test"), ("youtube/100", 0, "train")]


@pytest.fixture
def run(tmp_path):
    """A run folder trained on ffpp_c40, whose DATA_DIR holds ffpp_c40 (5 frames per video) and celebdf."""
    data_dir = tmp_path / "data"
    evaluation_runs.write_prepared(data_dir, "ffpp_c40", VIDEOS, frames=5)
    evaluation_runs.write_prepared(data_dir, "celebdf", [("Celeb-real/id0_0000", 0, "test")])
    (tmp_path / "not_a_model.keras").write_bytes(b"placeholder")
    return evaluation_runs.write_run(tmp_path / "run", data_dir, tmp_path / "not_a_model.keras")


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(workdir=""), "--workdir: is required"),
        (dict(batch_size=0), "--batch_size: must be a positive integer; got 0"),
        (dict(threshold=1.5), r"--threshold: must lie in \[0, 1\]; got 1.5"),
        (dict(frames=-1), "--frames: must be an integer >= 0"),
        (dict(split="testing"), "--split: must be one of train, val, test; got 'testing'"),
        (dict(datasets=("celebdf",)), "--datasets: chooses the test sets of --cross"),
        (dict(cross=True, datasets=("celebdf", "celebdf")), "--datasets: 'celebdf' is given twice"),
        (dict(cross=True, datasets=("../celebdf",)), "--datasets: '../celebdf' is not a dataset tag"),
        (dict(robustness=True, gaussian_blur=(13, 4)), "--gaussian_blur: kernel_size must be an odd integer >= 3"),
        (dict(robustness=True, gaussian_blur=(5, 5)), r"--gaussian_blur: a strength is given twice; got \(5, 5\)"),
        (dict(robustness=True, salt_and_pepper=(1.2,)), r"--salt_and_pepper: density must lie in \[0, 1\]; got 1.2"),
        (dict(robustness=True, gaussian_noise=(), salt_and_pepper=(), gaussian_blur=()), "--robustness: every"),
    ],
)
def test_wrong_values_name_their_flag(settings, message):
    with pytest.raises(ValueError, match=message):
        EvalConfig(**{"workdir": "run", **settings})


def test_missing_or_broken_run_files_are_named(run, tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"--workdir: no folder '{tmp_path / 'nowhere'}'")):
        read_run_settings(str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=re.escape(f"--workdir: {tmp_path / 'config.json'} not found")):
        read_run_settings(str(tmp_path))
    config_file = os.path.join(run, "config.json")
    with open(config_file, "w") as file:
        json.dump({"data_dir": "data", "train_dataset": "ffpp_c40", "image_size": "320"}, file)
    with pytest.raises(ValueError, match=r"config.json: missing or invalid training settings: image_size \(int\)"):
        read_run_settings(run)
    with open(config_file, "w") as file:
        file.write("{")
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        read_run_settings(run)


def test_missing_model_and_data_folders_are_named(run, tmp_path):
    missing = f"--model: {tmp_path / 'pel.tflite'}: no such file or folder"
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        plan_evaluation(EvalConfig(run, model=str(tmp_path / "pel.tflite")))
    with pytest.raises(FileNotFoundError, match=re.escape(f"--data_dir: no folder '{tmp_path / 'moved'}'")):
        plan_evaluation(EvalConfig(run, data_dir=str(tmp_path / "moved")))
    settings = read_run_settings(run)
    with open(os.path.join(run, "config.json"), "w") as file:
        json.dump(dict(dataclasses.asdict(settings), data_dir=str(tmp_path / "moved")), file)
    with pytest.raises(FileNotFoundError, match=r"data_dir of .*config.json: no folder .*moved'; pass --data_dir"):
        plan_evaluation(EvalConfig(run))
    os.remove(os.path.join(run, "best.keras"))
    missing = f"--workdir: {os.path.join(run, 'best.keras')}: no such file or folder"
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        plan_evaluation(EvalConfig(run))


def test_unknown_dataset_tags_are_refused_and_folders_accepted(run, tmp_path):
    with pytest.raises(ValueError, match="--datasets: unknown dataset 'celebdff': not one of ffpp_c23, .* no folder"):
        plan_evaluation(EvalConfig(run, cross=True, datasets=("celebdff",)))
    os.makedirs(tmp_path / "data" / "my_clips")  # a user folder's tag, not prepared (yet)
    plan = plan_evaluation(EvalConfig(run, cross=True, datasets=("my_clips",)))
    manifest = tmp_path / "data" / "my_clips" / "manifest.csv"
    assert plan.test_sets == {"cross": [Skipped("my_clips", f"not prepared: {manifest} not found")]}
    with open(os.path.join(run, "config.json")) as file:
        settings = dict(json.load(file), train_dataset="celebdf")
    with open(os.path.join(run, "config.json"), "w") as file:
        json.dump(settings, file)
    with pytest.raises(ValueError, match="--datasets: the paper has no cross-dataset set for .* trained on 'celebdf'"):
        plan_evaluation(EvalConfig(run, cross=True))


def test_an_unreadable_prepare_json_is_named_before_the_model_loads(run, tmp_path):
    settings = tmp_path / "data" / "celebdf" / "prepare.json"
    settings.write_text('{"frames": 50, "size"')
    with pytest.raises(ValueError, match=f"preparation settings {re.escape(str(settings))} is not valid JSON"):
        plan_evaluation(EvalConfig(run, cross=True, datasets=("celebdf",)))


def test_nothing_prepared_loads_no_model_and_writes_nothing(run):
    plan = plan_evaluation(EvalConfig(run, cross=True, datasets=("dfdc", "wilddeepfake"), progress=False))
    assert plan.predictor is None
    (outcome,) = run_evaluation(plan)
    assert (outcome.mode, outcome.table, outcome.scored) == ("cross", "", 0)
    assert [s.dataset for s in outcome.skipped] == ["dfdc", "wilddeepfake"]
    assert not os.path.exists(os.path.join(run, "eval"))


def test_a_split_without_frames_is_skipped_with_the_manifest(run, tmp_path):
    skipped = find_test_set(str(tmp_path / "data"), "celebdf", "val")
    assert skipped == Skipped("celebdf", f"no 'val' frames in {tmp_path / 'data' / 'celebdf' / 'manifest.csv'}")


def test_frames_cap_keeps_equally_spaced_frames_per_video(run, tmp_path):
    test_set = find_test_set(str(tmp_path / "data"), "ffpp_c40", "test", frames=3)
    assert [(row["video"], row["frame"]) for row in test_set.rows] == [
        (video, frame) for video in ("youtube/000", "Deepfakes/000_003") for frame in (0, 2, 4)
    ]
    assert len(find_test_set(str(tmp_path / "data"), "ffpp_c40", "test").rows) == 10
    rows = [{"video": "b", "frame": f} for f in (9, 3, 6)] + [{"video": "a", "frame": 1}]
    assert select_frames(rows, 2) == [dict(video="b", frame=3), dict(video="b", frame=9), dict(video="a", frame=1)]


def test_model_names_and_their_files_folders(run, tmp_path):
    default = EvalConfig(run)
    assert (default.model_name, default.files_dir) == ("best.keras", os.path.join(run, "eval"))
    export = EvalConfig(run, model=os.path.join(run, "export", "pel_int8.tflite"))
    assert export.model_name == "export/pel_int8.tflite"
    assert export.files_dir == os.path.join(run, "eval", "export_pel_int8.tflite")
    other = os.path.realpath(tmp_path / "other" / "best.keras")  # another run's best.keras: an absolute name
    outside = EvalConfig(run, model=other)
    assert (outside.model_name, outside.files_dir) == (other, os.path.join(run, "eval", other[1:].replace("/", "_")))
    assert EvalConfig(run, cross=True, robustness=True).modes == ("cross", "robustness")
    assert EvalConfig(run).modes == ("intra",)
