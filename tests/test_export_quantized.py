"""The quantized criterion (fp16, int8): its figures against scipy, its edges, and export.py failing an int8 file
calibrated on crops unlike the ones it scores while passing the same model calibrated on representative ones."""

import glob
import json
import os
import subprocess
import sys

import cv2
import keras
import numpy as np
import pytest
from scipy import stats

from pel_keras.export.quantized import QuantizedCriterion, judge, rank_correlation
from pel_keras.testing.export_helpers import write_prepared_data

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROP = 32


@pytest.mark.parametrize("seed", range(4))
def test_rank_correlation_is_spearmans_ties_included(seed):
    rng = np.random.default_rng(seed)
    reference = rng.random(40)
    values = np.round(reference + rng.normal(0, 0.2, 40), 1)  # rounding makes ties
    assert len(np.unique(values)) < 40
    assert rank_correlation(reference, values) == pytest.approx(stats.spearmanr(reference, values)[0], abs=1e-12)


def test_a_constant_file_has_lost_the_ranking_and_a_constant_reference_has_none():
    assert rank_correlation(np.array([0.1, 0.5, 0.9]), np.full(3, 0.5)) == 0.0
    assert rank_correlation(np.full(3, 0.5), np.array([0.1, 0.5, 0.9])) is None


def test_each_part_of_the_criterion_fails_just_past_its_limit():
    criterion = QuantizedCriterion(min_rank_correlation=0.9, max_auc_drop=0.1, max_flip_rate=0.25)
    reference = np.array([0.1, 0.2, 0.3, 0.45, 0.55, 0.7, 0.8, 0.9])
    same = judge(reference, reference, (0.9, 0.9), criterion)
    assert same["passed"] and same["failures"] == [] and same["rank_correlation"] == pytest.approx(1.0)
    at_limits = judge(reference, reference[[0, 1, 2, 4, 3, 5, 6, 7]], (0.9, 0.8), criterion)  # 2 of 8 flip
    assert at_limits["verdict_flips"] == 2 and at_limits["flip_rate"] == 0.25 and at_limits["passed"], at_limits
    past = judge(reference, reference[[7, 1, 2, 4, 3, 5, 6, 0]], (0.9, 0.79), criterion)
    assert [failure.split()[0] for failure in past["failures"]] == ["rank", "AUC", "4"], past["failures"]
    assert past["auc_drop"] == pytest.approx(0.11) and not past["passed"]
    # A probability equal to the threshold is a "real" verdict, as the contract says (fake when > 0.5).
    assert judge(np.array([0.5, 0.6]), np.array([0.50001, 0.6]), (None, None), criterion)["verdict_flips"] == 1


def test_a_criterion_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="max_flip_rate must lie in"):
        QuantizedCriterion(max_flip_rate=1.5)


def _tiny_run(root, dark_calibration):
    """A model that scores a crop's brightness (GAP -> Dense -> sigmoid, fitted to spread the val crops' scores),
    its prepared data, and with ``dark_calibration`` the training crops (int8's calibration) darkened five-fold:
    int8 then learns activation ranges that the val crops overflow."""
    manifest = write_prepared_data(os.path.join(root, "data"), (("train", 16), ("val", 16)), CROP)
    if dark_calibration:
        for path in glob.glob(os.path.join(root, "data", "crops", "train", "*", "*.png")):
            cv2.imwrite(path, (cv2.imread(path) * 0.2).astype(np.uint8))
    val = np.stack([cv2.imread(p) for p in glob.glob(os.path.join(root, "data", "crops", "val", "*", "*.png"))])
    brightness = val.astype(np.float32).mean(axis=(1, 2, 3))
    inputs = keras.Input((CROP, CROP, 3))
    model = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalAveragePooling2D()(inputs))
    )
    slope = -3 / brightness.std()  # the darker face is the fake one (label 1) of write_prepared_data
    model.layers[-1].set_weights(
        [np.full((3, 1), slope / 3, np.float32), np.array([-slope * np.median(brightness)], np.float32)]
    )
    model.save(os.path.join(root, "tiny.keras"))
    return os.path.join(root, "tiny.keras"), manifest


def _export(model, manifest, out, *flags):
    command = [
        sys.executable,
        "export/export.py",
        f"--model={model}",
        f"--manifest={manifest}",
        f"--output={out}",
        "--formats=tflite",
        "--quantize=int8",
        "--calibration_images=16",
        "--parity_images=16",
        *flags,
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    with open(os.path.join(out, "export_report.json")) as f:
        return done, json.load(f)


@pytest.mark.slow
def test_int8_passes_with_representative_calibration_and_fails_without(tmp_path):
    model, manifest = _tiny_run(str(tmp_path / "good"), dark_calibration=False)
    done, report = _export(model, manifest, str(tmp_path / "good" / "out"))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    row = report["parity"]["files"]["tflite_int8"]
    assert report["passed"] and row["passed"] and row["quantized"]["rank_correlation"] > 0.99
    assert report["parity"]["reference_auc"] > 0.7 and row["quantized"]["verdict_flips"] == 0

    model, manifest = _tiny_run(str(tmp_path / "dark"), dark_calibration=True)
    out = str(tmp_path / "dark" / "out")
    done, report = _export(model, manifest, out)
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert "pel_int8.tflite did not pass the parity check" in done.stderr
    row = report["parity"]["files"]["tflite_int8"]
    assert not report["passed"] and row["passed"] is False and os.path.isfile(os.path.join(out, "pel_int8.tflite"))
    quantized = row["quantized"]
    assert quantized["rank_correlation"] < 0.5 and quantized["auc_drop"] > 0.2 and quantized["flip_rate"] > 0.2
    assert len(quantized["failures"]) == 3 and all(
        f"pel_int8.tflite: {f}" in done.stdout for f in quantized["failures"]
    )

    # The limits are the flags': loosened until nothing can fail, the same file passes.
    done, report = _export(model, manifest, out, "--min_rank_correlation=-1", "--max_auc_drop=1", "--max_flip_rate=1")
    assert done.returncode == 0 and report["parity"]["files"]["tflite_int8"]["quantized"]["passed"], done.stderr[-2000:]
