"""Every program that scores faces crops them as the model's training faces were cropped: the margin and
detector come from export_report.json beside an exported file, else from the run folder's prepared data,
else prepare.py's defaults; the user's flags win; a broken settings file is named."""

import json

import pytest

from pel_keras.data.faces import DEFAULT_DETECTOR, DEFAULT_MARGIN
from pel_keras.inference.contract import app_contract
from pel_keras.inference.crop_settings import CropSettings, crop_settings


def _run(tmp_path, settings):
    """A run folder whose config.json names prepared data holding ``settings`` as its prepare.json."""
    data = tmp_path / "data" / "ffpp_c40"
    data.mkdir(parents=True)
    (data / "prepare.json").write_text(json.dumps(settings))
    run = tmp_path / "run"
    (run / "export").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"data_dir": str(tmp_path / "data"), "train_dataset": "ffpp_c40"}))
    return run, str(data / "prepare.json")


def test_a_runs_model_is_cropped_as_its_prepared_data_was(tmp_path):
    run, settings = _run(tmp_path, {"frames": 8, "size": 64, "margin": 1.5, "detector": "haar"})
    for model in (run / "best.keras", run / "export" / "pel.onnx"):  # in the run folder, or one below it
        assert crop_settings(str(model)) == CropSettings(1.5, "haar", settings)
    assert crop_settings(str(run / "best.keras"), margin=1.2) == CropSettings(1.2, "haar", settings)
    assert crop_settings(str(run / "best.keras"), 1.2, "yunet") == CropSettings(1.2, "yunet", "the flags")


def test_the_export_report_beside_a_file_wins_over_the_run(tmp_path):
    run, _ = _run(tmp_path, {"margin": 1.5, "detector": "haar"})
    report = run / "export" / "export_report.json"
    report.write_text(json.dumps({"contract": app_contract((64, 64), 1.25, "yunet")}))
    assert crop_settings(str(run / "export" / "pel_fp32.tflite")) == CropSettings(1.25, "yunet", str(report))


def test_a_none_detector_of_face_crop_datasets_is_not_passed_on(tmp_path):
    run, settings = _run(tmp_path, {"margin": 1.3, "detector": "none"})  # WildDeepfake: frames are crops
    assert crop_settings(str(run / "best.keras")) == CropSettings(1.3, DEFAULT_DETECTOR, settings)


def test_a_model_alone_gets_prepare_pys_defaults(tmp_path):
    assert crop_settings(str(tmp_path / "model.keras")) == CropSettings(
        DEFAULT_MARGIN, DEFAULT_DETECTOR, "prepare.py's defaults"
    )


def test_a_broken_settings_file_is_named(tmp_path):
    run, settings = _run(tmp_path, {})
    with open(settings, "w") as file:
        file.write('{"margin": 1.')
    with pytest.raises(ValueError, match=f"preparation settings {settings} is not valid JSON"):
        crop_settings(str(run / "best.keras"))
