"""evaluate.py end to end on a small real run (a PEL model, prepared face crops): intra, --cross with datasets
that are not prepared, --robustness sweeps and a TFLite export, checked against scikit-learn on the written
score CSVs and against the model run directly on the crops."""

import csv
import json
import os
import shutil
import subprocess
import sys

import cv2
import evaluation_runs
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.image import imread
from scipy.optimize import brentq
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score, roc_curve

import pel_keras
from pel_keras.data.manifest import read_split
from pel_keras.data.perturb import gaussian_blur
from pel_keras.evaluation.eval_config import EvalConfig
from pel_keras.evaluation.evaluate import plan_evaluation, run_evaluation

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FFPP = [(f"youtube/{i:03d}", 0, "test") for i in range(3)] + [(f"Deepfakes/{i:03d}_00{i}", 1, "test") for i in range(3)]
FFPP += [("youtube/100", 0, "train"), ("Deepfakes/100_101", 1, "train"), ("youtube/200", 0, "val")]
CELEBDF = [(f"Celeb-real/id{i}_0000", 0, "test") for i in range(2)]
CELEBDF += [(f"Celeb-synthesis/id{i}_id9_0000", 1, "test") for i in range(2)]
ROBUSTNESS = ("--robustness", "--gaussian_noise=0.01", "--salt_and_pepper=", "--gaussian_blur=3,5")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """ffpp_c40 (the training dataset: 6 test videos of 3 frames, and train/val rows) and celebdf, prepared."""
    root = tmp_path_factory.mktemp("data")
    evaluation_runs.write_prepared(root, "ffpp_c40", FFPP)
    evaluation_runs.write_prepared(root, "celebdf", CELEBDF)
    return str(root)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return evaluation_runs.save_model(str(tmp_path_factory.mktemp("model") / "pel.keras"))


@pytest.fixture(scope="module")
def keras_model(model_file):
    return pel_keras.load_model(model_file)


@pytest.fixture(scope="module")
def tflite_file(keras_model, tmp_path_factory):
    """The model converted with TFLite builtin ops only (float32), as an export would."""
    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    path = tmp_path_factory.mktemp("export") / "pel.tflite"
    path.write_bytes(converter.convert())
    return str(path)


def _evaluate(*flags):
    command = [sys.executable, "evaluate.py", "--noprogress", "--batch_size=4", *flags]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def intra(data_dir, model_file, tmp_path_factory):
    workdir = evaluation_runs.write_run(tmp_path_factory.mktemp("intra"), data_dir, model_file)
    return workdir, _evaluate(f"--workdir={workdir}")


@pytest.fixture(scope="module")
def cross_and_robustness(data_dir, model_file, tmp_path_factory):
    workdir = evaluation_runs.write_run(tmp_path_factory.mktemp("cross"), data_dir, model_file)
    return workdir, _evaluate(f"--workdir={workdir}", "--cross", *ROBUSTNESS)


def _rgb(path):
    return cv2.imread(path)[..., ::-1].astype(np.float32)


def _read_csv(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def _scores(eval_dir, stem, level):
    """(labels, probabilities) of one written score CSV."""
    table = _read_csv(os.path.join(eval_dir, f"{stem}_{level}s.csv"))
    return table["label"].astype(int), table["probability"].astype(np.float64)


def _results(workdir):
    with open(os.path.join(workdir, "eval", "results.json")) as file:
        return json.load(file)


def _sklearn_eer(labels, probabilities):
    fpr, tpr, _ = roc_curve(labels, probabilities, drop_intermediate=False)
    return brentq(lambda x: 1 - x - np.interp(x, fpr, tpr), 0, 1)


def _check_against_sklearn(metrics, labels, probabilities):
    assert metrics["count"] == len(labels) and metrics["fake"] == labels.sum()
    assert metrics["acc"] == pytest.approx(accuracy_score(labels, probabilities > 0.5), abs=1e-12)
    assert metrics["auc"] == pytest.approx(roc_auc_score(labels, probabilities), abs=1e-12)
    assert metrics["ap"] == pytest.approx(average_precision_score(labels, probabilities), abs=1e-12)
    assert metrics["eer"] == pytest.approx(_sklearn_eer(labels, probabilities), abs=1e-9)


def test_intra_metrics_match_sklearn_on_the_written_scores(intra, data_dir):
    workdir, process = intra
    assert process.returncode == 0, process.stderr
    eval_dir = os.path.join(workdir, "eval")
    record = _results(workdir)["intra"]["best.keras"]["datasets"][0]
    assert (record["dataset"], record["frames"], record["videos"]) == ("ffpp_c40", 18, 6)
    frames = _read_csv(os.path.join(eval_dir, "intra_ffpp_c40_frames.csv"))
    test_rows = read_split(os.path.join(data_dir, "ffpp_c40", "manifest.csv"), "test")
    assert frames["path"].tolist() == [row["path"] for row in test_rows]  # the test split, in manifest order
    assert frames["label"].astype(int).tolist() == [row["label"] for row in test_rows]
    for level in ("frame", "video"):
        _check_against_sklearn(record[level], *_scores(eval_dir, "intra_ffpp_c40", level))
    videos = _read_csv(os.path.join(eval_dir, "intra_ffpp_c40_videos.csv"))
    for video, probability in zip(videos["video"], videos["probability"].astype(float)):
        assert probability == pytest.approx(frames["probability"][frames["video"] == video].astype(float).mean())
    frame = record["frame"]
    assert f"| Ours (best.keras), frame level | {frame['acc']:.2%} | {frame['auc']:.4f} |" in process.stdout
    assert "| PEL (paper) | 90.52% | 0.9428 |" in process.stdout
    with open(os.path.join(eval_dir, "results.md")) as file:
        assert process.stdout.split("Report:")[0].strip() in file.read()
    assert imread(os.path.join(eval_dir, "roc_intra.png")).shape[:2] == (500, 1100)


def test_scores_are_the_model_run_on_each_crop(intra, keras_model):
    workdir, _ = intra
    frames = _read_csv(os.path.join(workdir, "eval", "intra_ffpp_c40_frames.csv"))
    images = np.stack([_rgb(path) for path in frames["path"]])
    expected = keras_model.predict(images, verbose=0)[:, 0]
    assert expected.std() > 0.05  # distinct scores, so a crop scored under another crop's path would show
    np.testing.assert_allclose(frames["probability"].astype(np.float32), expected, atol=1e-5)


def test_a_second_run_gives_identical_results(intra):
    workdir, _ = intra
    before = _results(workdir)["intra"]["best.keras"]
    with open(os.path.join(workdir, "eval", "intra_ffpp_c40_frames.csv")) as file:
        frames_before = file.read()
    run_evaluation(plan_evaluation(EvalConfig(workdir, batch_size=4, progress=False)))
    assert _results(workdir)["intra"]["best.keras"] == before
    with open(os.path.join(workdir, "eval", "intra_ffpp_c40_frames.csv")) as file:
        assert file.read() == frames_before


def test_tflite_export_is_reported_beside_keras(intra, tflite_file):
    workdir, _ = intra
    exported = os.path.join(workdir, "export", "pel.tflite")
    os.makedirs(os.path.dirname(exported), exist_ok=True)
    shutil.copyfile(tflite_file, exported)
    process = _evaluate(f"--workdir={workdir}", f"--model={exported}")
    assert process.returncode == 0, process.stderr
    entries = _results(workdir)["intra"]
    assert list(entries) == ["best.keras", "export/pel.tflite"] and entries["export/pel.tflite"]["model"] == exported
    keras_frames = _read_csv(os.path.join(workdir, "eval", "intra_ffpp_c40_frames.csv"))
    tflite_frames = _read_csv(os.path.join(workdir, "eval", "export_pel.tflite", "intra_ffpp_c40_frames.csv"))
    assert tflite_frames["path"].tolist() == keras_frames["path"].tolist()
    np.testing.assert_allclose(
        tflite_frames["probability"].astype(float), keras_frames["probability"].astype(float), atol=1e-4
    )
    tflite_auc = entries["export/pel.tflite"]["datasets"][0]["frame"]["auc"]
    assert tflite_auc == pytest.approx(
        roc_auc_score(tflite_frames["label"].astype(int), tflite_frames["probability"].astype(float))
    )
    rows = [line for line in process.stdout.splitlines() if line.startswith("| Ours (")]
    names = ("best.keras", "export/pel.tflite")
    assert [row.split(" |")[0] for row in rows] == [
        f"| Ours ({name}), {level} level" for name in names for level in ("frame", "video")
    ]
    assert rows[2].endswith(f" | {tflite_auc:.4f} |")


def test_cross_scores_prepared_datasets_and_skips_the_others_with_their_path(cross_and_robustness, data_dir):
    workdir, process = cross_and_robustness
    assert process.returncode == 0, process.stderr
    records = _results(workdir)["cross"]["best.keras"]["datasets"]
    assert [r["dataset"] for r in records] == ["wilddeepfake", "celebdf", "dfd_c40", "dfdc"]  # Table 2's, for FF++
    for record in (records[0], records[2], records[3]):
        reason = f"not prepared: {os.path.join(data_dir, record['dataset'], 'manifest.csv')} not found"
        assert record["skipped"] == reason and reason in process.stdout
    eval_dir = os.path.join(workdir, "eval")
    for level in ("frame", "video"):
        _check_against_sklearn(records[1][level], *_scores(eval_dir, "cross_celebdf", level))
    assert "| PEL (paper) | 0.6739 | 0.3825 | 0.6918 | 0.3569 | 0.7586 | 0.3084 | 0.6331 | 0.4043 |" in process.stdout
    assert os.path.exists(os.path.join(eval_dir, "roc_cross.png"))


def test_robustness_sweep_reports_changes_against_the_clean_run(cross_and_robustness, keras_model):
    workdir, process = cross_and_robustness
    records = _results(workdir)["robustness"]["best.keras"]["datasets"]
    assert [(r["condition"], r["strength"]) for r in records] == [
        ("clean", None),
        ("gaussian_noise", 0.01),
        ("gaussian_blur", 3),
        ("gaussian_blur", 5),
    ]
    eval_dir = os.path.join(workdir, "eval")
    clean = {level: _scores(eval_dir, "robustness_ffpp_c40", level) for level in ("frame", "video")}
    for record in records[1:]:
        stem = f"robustness_ffpp_c40_{record['condition']}_{record['strength']}"
        for level in ("frame", "video"):
            labels, probabilities = _scores(eval_dir, stem, level)
            assert not np.array_equal(probabilities, clean[level][1])
            _check_against_sklearn(record[level], labels, probabilities)
            assert record["delta"][level]["acc"] == pytest.approx(
                accuracy_score(labels, probabilities > 0.5) - accuracy_score(clean[level][0], clean[level][1] > 0.5)
            )
            assert record["delta"][level]["auc"] == pytest.approx(
                roc_auc_score(labels, probabilities) - roc_auc_score(*clean[level])
            )
    blurred = _read_csv(os.path.join(eval_dir, "robustness_ffpp_c40_gaussian_blur_5_frames.csv"))
    images = gaussian_blur(np.stack([_rgb(path) for path in blurred["path"]]), kernel_size=5)
    expected = keras_model.predict(images, verbose=0)[:, 0]
    np.testing.assert_allclose(blurred["probability"].astype(np.float32), expected, atol=1e-5)
    assert "| PEL (paper) | -0.10% | -0.0031 | -7.41% | -0.1274 | -7.41% | -0.1274 |" in process.stdout


def test_nothing_to_evaluate_exits_1_with_the_reason(model_file, tmp_path):
    (tmp_path / "empty").mkdir()
    workdir = evaluation_runs.write_run(tmp_path / "run", tmp_path / "empty", model_file)
    process = _evaluate(f"--workdir={workdir}", "--cross", "--datasets=dfdc")
    assert process.returncode == 1
    assert f"dfdc skipped: not prepared: {tmp_path / 'empty' / 'dfdc' / 'manifest.csv'} not found" in process.stdout
    assert "nothing could be evaluated" in process.stderr
    assert not os.path.exists(os.path.join(workdir, "eval", "results.json"))


def test_wrong_flag_exits_2_naming_it(intra):
    workdir, _ = intra
    process = _evaluate(f"--workdir={workdir}", "--batch_size=0")
    assert process.returncode == 2
    assert "evaluate.py: flag --batch_size=0: 0 is not a positive integer" in process.stderr
