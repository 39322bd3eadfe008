"""Presets end to end: from an evaluated run on a small prepared FF++ layout, `export.py --preset` writes the
folder; a fresh process in another folder loads it through its path and through an offline `hf://` URI (a
Hugging Face cache laid out here) and scores as `best.keras` does; a changed or missing file is refused by
name; tools take the preset where they take a model file."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import cv2
import evaluation_runs
import keras
import numpy as np
import pytest

import pel_keras
from pel_keras.app import model_card
from pel_keras.data.faces import crop_face, detect_faces, make_detector
from pel_keras.inference.presets import PresetError, resolve_model
from pel_keras.testing import data_media

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Not prepare.py's default margin (1.3): a detector that fell back to the default would crop other faces.
CROPS = {"frames": 2, "size": 32, "margin": 1.6, "detector": "yunet"}
COMMIT = "0123456789abcdef0123456789abcdef01234567"
VAL_THRESHOLD = 0.42  # what training chose on val (best.json)
SCRIPT = """
import json, sys
import numpy as np
import pel_keras
from pel_keras.inference.presets import PresetError

crops, image = np.load(sys.argv[1]), sys.argv[2]
out = {}
for source in sys.argv[3:]:
    try:
        detector = pel_keras.from_preset(source)
        out[source] = {"faces": detector.predict_faces(list(crops)).tolist(), "file": detector(image),
                       "folder": detector.folder, "threshold": detector.threshold}
    except PresetError as error:
        out[source] = {"error": str(error)}
print(json.dumps(out))
"""


def _videos(split):
    return [(f"{split}/real{i}", 0, split) for i in range(2)] + [(f"{split}/fake{i}", 1, split) for i in range(2)]


def _run(arguments, cwd=REPO, env=None, script="export/export.py"):
    return subprocess.run(
        [sys.executable, script, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=REPO, **(env or {})),
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """An evaluated run trained on `ffpp_c40` (crops cut at margin 1.6) and its preset."""
    data_dir = tmp_path_factory.mktemp("data")
    evaluation_runs.write_prepared(data_dir, "ffpp_c40", _videos("test") + _videos("val"), 2, CROPS)
    model = evaluation_runs.save_model(str(tmp_path_factory.mktemp("model") / "pel.keras"))
    workdir = evaluation_runs.write_run(tmp_path_factory.mktemp("run"), data_dir, model, "ffpp_c40", frames=2)
    with open(os.path.join(workdir, "best.json"), "w") as file:  # as training writes it at the best epoch
        json.dump({"epoch": 3, "val_video_auc": 0.9, "val_video_threshold": VAL_THRESHOLD}, file)
    evaluated = _run(["--noprogress", "--batch_size=4", f"--workdir={workdir}", "--frames=1"], script="evaluate.py")
    assert evaluated.returncode == 0, evaluated.stderr
    preset = str(tmp_path_factory.mktemp("presets") / "pel")
    exported = _run([f"--workdir={workdir}", f"--preset={preset}"])
    assert exported.returncode == 0, exported.stderr
    return workdir, preset


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Face crops (two at the model's 32 px, one at 48 px) and a photo, with the probabilities `best.keras`
    gives them computed here from Keras and the face primitives alone."""
    folder = tmp_path_factory.mktemp("inputs")
    crops = np.stack([evaluation_runs.face_crop(i % 2, i, 1, size=48) for i in range(3)])
    np.save(folder / "crops.npy", crops)
    image = str(folder / "photo.png")
    cv2.imwrite(image, data_media.frame(0))
    return crops, image, str(folder / "crops.npy")


def _reference(workdir, crops, image, margin):
    model = keras.saving.load_model(os.path.join(workdir, "best.keras"))
    small = np.stack([cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA) for crop in crops])
    rgb = cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB)
    face = crop_face(rgb, detect_faces(rgb, make_detector("yunet"), "rgb")[0], 32, margin)[0]
    return model.predict(small.astype(np.float32), verbose=0)[:, 0], float(model.predict(face[None], verbose=0)[0, 0])


def _hub_cache(root, preset):
    """A Hugging Face cache holding `owner/pel` at COMMIT as the Hub client writes one: blobs named by their
    sha256, the snapshot's files linked to them, `refs/main` naming the commit."""
    repo = root / "models--owner--pel"
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for name in os.listdir(preset):
        data = open(os.path.join(preset, name), "rb").read()
        blob = hashlib.sha256(data).hexdigest()
        (repo / "blobs" / blob).write_bytes(data)
        os.symlink(os.path.join("..", "..", "blobs", blob), snapshot / name)
    return snapshot


def test_the_preset_holds_the_model_its_settings_checksums_and_model_card(run):
    workdir, preset = run
    assert sorted(os.listdir(preset)) == ["README.md", "metadata.json", "model.keras"]
    with open(os.path.join(preset, "metadata.json")) as file:
        metadata = json.load(file)
    for name in ("model.keras", "README.md"):
        digest = hashlib.sha256(open(os.path.join(preset, name), "rb").read()).hexdigest()
        assert metadata["files"][name] == {"sha256": digest, "bytes": os.path.getsize(os.path.join(preset, name))}
    assert open(os.path.join(preset, "model.keras"), "rb").read() == open(f"{workdir}/best.keras", "rb").read()
    face = metadata["contract"]["input"]
    assert (face["crop_margin"], face["face_detector"], face["shape"]) == (1.6, "yunet", ["batch", 32, 32, 3])
    assert metadata["frames_per_video"] == 32 and metadata["threshold"]["value"] == VAL_THRESHOLD
    assert "on the val split at the epoch of best.keras (best.json, epoch 3)" in metadata["threshold"]["chosen"]
    assert metadata["versions"]["keras"] == keras.__version__ and metadata["training"]["dataset"] == "ffpp_c40"
    [evaluation] = metadata["evaluations"]
    assert evaluation["mode"] == "intra" and evaluation["protocol"]["training"]["crops"] == CROPS
    card = open(os.path.join(preset, "README.md")).read()
    assert card.startswith("---\nlibrary_name: keras\nlicense: apache-2.0\n")
    assert "datasets:\n  - ffpp_c40\nmetrics:\n  - roc_auc" in card
    assert "- Training crops: faces by yunet, margin 1.6, 32 px" in card  # the protocol card
    assert "| intra | `best.keras` | ffpp_c40 | clean | 4 / 4 |" in card  # the results table
    assert "@inproceedings{gu2022exploiting" in card


def _kaggle_cache(root, preset):
    """kagglehub's cache holding Kaggle Models' `owner/pel/keras/ffpp` version 2 as `model_download` leaves it:
    the files under `models/owner/pel/keras/ffpp/2/` and the marker `2.complete` beside them."""
    variation = root / "models" / "owner" / "pel" / "keras" / "ffpp"
    shutil.copytree(preset, variation / "2")
    (variation / "2.complete").touch()
    return variation / "2"


def test_a_fresh_process_loads_it_by_path_and_offline_hub_uris_and_scores_as_best_keras(run, inputs, tmp_path):
    workdir, preset = run
    crops, image, crops_file = inputs
    copied = str(tmp_path / "elsewhere" / "pel")
    shutil.copytree(preset, copied)
    snapshot = _hub_cache(tmp_path / "hub", preset)
    (tmp_path / "script.py").write_text(SCRIPT)
    kaggle = _kaggle_cache(tmp_path / "kaggle", preset)
    sources = [copied, "hf://owner/pel", f"hf://owner/pel@{COMMIT}", "kaggle://owner/pel/keras/ffpp/2"]
    sources += ["hf://owner/missing"]
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HOME": str(tmp_path / "hf")}
    env["KAGGLEHUB_CACHE"] = str(tmp_path / "kaggle")
    process = _run([crops_file, image, *sources], tmp_path, env, str(tmp_path / "script.py"))
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout.splitlines()[-1])
    faces, photo = _reference(workdir, crops, image, CROPS["margin"])
    _, default_margin = _reference(workdir, crops, image, 1.3)
    assert abs(photo - default_margin) > 1e-3  # the margin matters, so the preset's must be the one used
    with open(os.path.join(preset, "metadata.json")) as file:
        threshold = json.load(file)["threshold"]["value"]
    for source in sources[:4]:
        np.testing.assert_allclose(out[source]["faces"], faces, atol=1e-5)
        assert out[source]["file"] == pytest.approx(photo, abs=1e-5)
        assert out[source]["threshold"] == threshold
    assert os.path.realpath(out["hf://owner/pel"]["folder"]) == os.path.realpath(snapshot)
    assert os.path.realpath(out["kaggle://owner/pel/keras/ffpp/2"]["folder"]) == os.path.realpath(kaggle)
    assert "hf://owner/missing: cannot get the preset" in out["hf://owner/missing"]["error"]


def test_a_changed_or_missing_file_is_refused_by_name_before_anything_loads(run, tmp_path):
    _, preset = run
    tampered = str(tmp_path / "tampered")
    shutil.copytree(preset, tampered)
    with open(os.path.join(tampered, "model.keras"), "r+b") as file:
        file.seek(os.path.getsize(file.name) // 2)
        byte = file.read(1)
        file.seek(-1, os.SEEK_CUR)
        file.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(PresetError, match=f"{tampered}/model.keras: its sha256 .* differs .*nothing was loaded"):
        pel_keras.from_preset(tampered)
    process = _run([f"--model={tampered}", "x.png"], script="predict.py")
    assert process.returncode == 2 and f"{tampered}/model.keras: its sha256" in process.stderr
    shutil.copyfile(os.path.join(preset, "model.keras"), os.path.join(tampered, "model.keras"))
    os.remove(os.path.join(tampered, "README.md"))
    with pytest.raises(PresetError, match=f"{tampered}/README.md: missing from the preset"):
        resolve_model(tampered)


def test_kaggle_without_kagglehub_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # as when it is not installed
    with pytest.raises(PresetError, match=r"kaggle://owner/pel/keras/ffpp: .*needs the kagglehub package"):
        pel_keras.from_preset("kaggle://owner/pel/keras/ffpp")


def test_predict_py_takes_the_preset_and_its_crop_settings(run, inputs):
    workdir, preset = run
    crops, image, _ = inputs
    process = _run([f"--model={preset}", image], script="predict.py")
    assert process.returncode == 0, process.stderr
    assert f"margin 1.6, detector yunet ({preset}/metadata.json)" in process.stderr
    _, photo = _reference(workdir, crops, image, CROPS["margin"])
    assert f"score {photo:.4f}" in process.stdout


def test_no_preset_from_a_run_without_best_keras_or_a_folder_that_is_not_a_run(run, tmp_path):
    workdir, _ = run
    saved_model_only = tmp_path / "run"
    shutil.copytree(workdir, saved_model_only)
    os.remove(saved_model_only / "best.keras")
    (saved_model_only / "export" / "saved_model").mkdir(parents=True)
    process = _run([f"--workdir={saved_model_only}", f"--preset={tmp_path / 'p'}"])
    assert process.returncode == 2
    assert f"{saved_model_only}/best.keras not found: a preset holds the Keras model (.keras)" in process.stderr
    process = _run([f"--workdir={tmp_path}", f"--preset={tmp_path / 'p'}"])
    assert process.returncode == 2 and "--workdir must be a run folder" in process.stderr
    assert not os.path.exists(tmp_path / "p")


def test_a_folder_that_is_not_a_preset_is_never_replaced_and_a_preset_is_replaced_whole(run, tmp_path):
    workdir, preset = run
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    process = _run([f"--workdir={workdir}", f"--preset={other}"])
    assert process.returncode == 2 and f"{other}: holds files and is not a preset" in process.stderr
    assert os.listdir(other) == ["keep.txt"]
    again = tmp_path / "again"
    shutil.copytree(preset, again)
    (again / "stale.txt").write_text("from before")
    process = _run([f"--workdir={workdir}", f"--preset={again}", "--preset_threshold=0.7"])
    assert process.returncode == 0, process.stderr
    assert sorted(os.listdir(again)) == ["README.md", "metadata.json", "model.keras"]
    assert pel_keras.from_preset(str(again)).threshold == 0.7


def test_evaluate_py_scores_the_preset_as_best_keras(run):
    workdir, preset = run
    process = _run(
        ["--noprogress", "--batch_size=4", f"--workdir={workdir}", "--frames=1", f"--model={preset}"],
        script="evaluate.py",
    )
    assert process.returncode == 0, process.stderr
    with open(os.path.join(workdir, "eval", "results.json")) as file:
        intra = json.load(file)["intra"]
    [name] = [name for name in intra if name.endswith(os.path.join("pel", "model.keras"))]
    ours, best = intra[name]["datasets"][0], intra["best.keras"]["datasets"][0]
    assert (ours["frames"], ours["videos"]) == (best["frames"], best["videos"]) == (4, 4)
    for level in ("frame", "video"):
        assert ours[level]["auc"] == pytest.approx(best[level]["auc"], abs=1e-6)


def test_the_app_model_panel_shows_a_presets_training_and_evaluations(run):
    _, preset = run
    panel = model_card.run_markdown(os.path.join(preset, "model.keras"))
    assert panel.startswith(f"**Preset** (`{preset}/metadata.json`): trained on `ffpp_c40`")
    assert "| intra | `best.keras` | ffpp_c40 | clean | 4 / 4 |" in panel
    assert "- intra, `best.keras`: trained on ffpp_c40 (2 frames/video)" in panel


def test_the_threshold_is_the_runs_val_choice_else_half_and_a_given_one_wins():
    from pel_keras.export.preset import _threshold

    assert _threshold({"epoch": 2, "val_video_threshold": 0.3}, None)["value"] == 0.3
    for best in (None, {"epoch": 2}, {"epoch": 2, "val_video_threshold": float("nan")}):  # runs that chose none
        assert _threshold(best, None) == {
            "value": 0.5,
            "chosen": "fixed at 0.5: the run's best.json records no validation threshold",
        }
    assert _threshold({"val_video_threshold": 0.3}, 0.7) == {"value": 0.7, "chosen": "given when the preset was made"}
