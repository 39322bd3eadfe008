"""predict.py, evaluate.py and visualize.py (and the app's scoring service) on JAX and PyTorch, for a run trained on
TensorFlow, in processes where TensorFlow cannot be imported: each exits 0 and gives the probabilities the same
script gives on TensorFlow (1e-5), and the heatmaps and figures it draws there.

The TensorFlow reference runs in this process (the suite's default backend); the other backends run the script
as a user would, ``KERAS_BACKEND=jax python predict.py ...``.
"""

import csv
import json
import os

import cv2
import evaluation_runs
import numpy as np
import pytest
import trained_run
from backends import JAX_AND_TORCH, ROOT, needs_tensorflow, run_on_backend

from pel_keras.testing import fixtures
from pel_keras.testing.scripts import run_script

pytestmark = [pytest.mark.slow, needs_tensorflow]

PREDICT, EVALUATE, VISUALIZE = (os.path.join(ROOT, name) for name in ("predict.py", "evaluate.py", "visualize.py"))
# Strengths weak enough that the small model's scores stay inside (0, 1), where 1e-5 means something.
ROBUSTNESS = ("--robustness", "--gaussian_noise=0.00001", "--salt_and_pepper=0.0005", "--gaussian_blur=5")
FIGURES = ("fig2_cam.png", "fig3_self_enhancement.png", "fig4_mutual_enhancement.png")
VIDEOS = [("youtube/000", 0), ("Deepfakes/000_001", 1)]  # the test split, two frames each

SERVICE = """
import json
import sys

from pel_keras.app.service import ScoringService
from pel_keras.prediction.predict import PredictConfig

model, video, out = sys.argv[1:]
with open(out, "w") as file:
    json.dump(ScoringService(model, PredictConfig(frames=2)).document(video, "fake.mp4"), file)
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The small trained PEL run's best.keras (two EfficientNet-B0 streams, 64 px), trained on TensorFlow."""
    return str(trained_run.saved_run(tmp_path_factory.getbasetemp()).directory / "best.keras")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A fake video (3 frames), a real and a fake frame as PNG, and the fake's manipulation mask."""
    root = tmp_path_factory.mktemp("backend_media")
    trained_run.write_video(root / "fake.mp4", trained_run.frames(True, 3))
    real = trained_run.frames(False, 1)[0]
    fake, mask = trained_run.manipulate(real)
    for name, image in (("real.png", real), ("fake.png", fake), ("mask.png", mask)):
        cv2.imwrite(str(root / name), image)
    return root


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """DATA_DIR/ffpp_c40: a real and a fake video's test frames as the model's training faces were cropped
    (so its scores spread over (0, 1) instead of saturating at 0 or 1, where 1e-5 would say little)."""
    root = tmp_path_factory.mktemp("backend_data")
    examples = (
        ({"video": video, "label": label, "split": "test", "source": "ffpp_c40", "frame": frame}, crop)
        for video, label in VIDEOS
        for frame, crop in enumerate(trained_run.face_crops(bool(label), 2, face=label))
    )
    fixtures.write_prepared(root / "ffpp_c40", examples)
    return root


def _exits_0(done):
    assert done.returncode == 0, done.stderr[-3000:]


def _predict_args(model, media, out):
    return (
        media / "fake.mp4",
        media / "real.png",
        f"--model={model}",
        "--frames=2",
        f"--json={out / 'scores.json'}",
        f"--heatmap={out / 'heatmaps'}",
    )


def _visualize_args(model, media, out):
    return (
        f"--model={model}",
        f"--images={media / 'real.png'},{media / 'fake.png'}",
        f"--masks=,{media / 'mask.png'}",
        f"--output_dir={out}",
    )


def _evaluate_args(model, data_dir, workdir):
    evaluation_runs.write_run(workdir, data_dir, model, image_size=trained_run.IMAGE_SIZE, streams="two")
    return (f"--workdir={workdir}", "--noprogress", "--batch_size=2", *ROBUSTNESS)


@pytest.fixture(scope="module")
def on_tensorflow(model, media, data_dir, tmp_path_factory):
    """The folder of each script's outputs on TensorFlow: ``predict/``, ``visualize/``, ``evaluate/eval/``."""
    root = tmp_path_factory.mktemp("on_tensorflow")
    for script, arguments in (
        (PREDICT, _predict_args(model, media, root / "predict")),
        (VISUALIZE, _visualize_args(model, media, root / "visualize")),
        (EVALUATE, _evaluate_args(model, data_dir, root / "evaluate")),
    ):
        _exits_0(run_script(script, *arguments))
    return root


def _face_scores(document):
    """``[(input, frame, face box, probability)]`` of a predict.py JSON document, in its order."""
    return [
        (item["input"], frame["frame"], face["box"], face["probability"])
        for item in document["inputs"]
        for frame in item["frames"]
        for face in frame["faces"]
    ]


def _same_probabilities(document, reference):
    ours, theirs = _face_scores(document), _face_scores(reference)
    assert [row[:3] for row in ours] == [row[:3] for row in theirs] and ours
    np.testing.assert_allclose([row[3] for row in ours], [row[3] for row in theirs], atol=1e-5, rtol=0)


def _same_picture(path, reference):
    """The PNG at ``path`` is the reference but for colours a float rounding moves across a colour-map step."""
    drawn, expected = cv2.imread(str(path)).astype(int), cv2.imread(str(reference)).astype(int)
    assert drawn.shape == expected.shape, path
    assert np.mean(drawn != expected) < 1e-3 and np.abs(drawn - expected).max() <= 16, path


def _read_json(path):
    with open(path) as file:
        return json.load(file)


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_predict_gives_tensorflows_probabilities_and_heatmaps(backend, model, media, on_tensorflow, tmp_path):
    _exits_0(run_on_backend(backend, PREDICT, *_predict_args(model, media, tmp_path)))
    document = _read_json(tmp_path / "scores.json")
    _same_probabilities(document, _read_json(on_tensorflow / "predict" / "scores.json"))
    assert len(_face_scores(document)) == 3  # two video frames and the image, one face each
    expected = on_tensorflow / "predict" / "heatmaps"
    drawn = sorted(os.path.relpath(os.path.join(d, f), expected) for d, _, fs in os.walk(expected) for f in fs)
    assert len(drawn) == 3
    for name in drawn:
        _same_picture(tmp_path / "heatmaps" / name, expected / name)


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_visualize_draws_tensorflows_figures(backend, model, media, on_tensorflow, tmp_path):
    done = run_on_backend(backend, VISUALIZE, *_visualize_args(model, media, tmp_path))
    _exits_0(done)
    assert sorted(os.listdir(tmp_path)) == list(FIGURES), done.stdout
    for name in FIGURES:
        _same_picture(tmp_path / name, on_tensorflow / "visualize" / name)


def _frame_scores(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [row["path"] for row in rows], np.array([float(row["probability"]) for row in rows])


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_evaluate_writes_tensorflows_frame_scores_clean_and_perturbed(
    backend, model, data_dir, on_tensorflow, tmp_path
):
    arguments = _evaluate_args(model, data_dir, tmp_path / "run")
    _exits_0(run_on_backend(backend, EVALUATE, *arguments))
    expected = on_tensorflow / "evaluate" / "eval"
    stems = ["", "_gaussian_noise_1e-05", "_salt_and_pepper_0.0005", "_gaussian_blur_5"]
    names = [f"robustness_ffpp_c40{stem}_frames.csv" for stem in stems]
    assert sorted(n for n in os.listdir(expected) if n.endswith("_frames.csv")) == sorted(names)
    for name in names:
        paths, probabilities = _frame_scores(tmp_path / "run" / "eval" / name)
        expected_paths, expected_probabilities = _frame_scores(expected / name)
        assert paths == expected_paths and len(paths) == 4
        np.testing.assert_allclose(probabilities, expected_probabilities, atol=1e-5, rtol=0, err_msg=name)
        assert np.any((expected_probabilities > 0.01) & (expected_probabilities < 0.99)), name
    clean, noisy = (_frame_scores(expected / names[i])[1] for i in (0, 1))
    assert np.abs(clean - noisy).max() > 1e-3  # the perturbation reached the model


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_app_scoring_service_gives_tensorflows_probabilities(backend, model, media, on_tensorflow, tmp_path):
    _exits_0(run_on_backend(backend, "-c", SERVICE, model, media / "fake.mp4", tmp_path / "service.json"))
    predicted = _read_json(on_tensorflow / "predict" / "scores.json")
    video = [dict(item, input="fake.mp4") for item in predicted["inputs"] if item["input"] == str(media / "fake.mp4")]
    _same_probabilities(_read_json(tmp_path / "service.json"), {"inputs": video})


def test_without_tensorflow_finds_none(tmp_path):
    """The launcher of the other backends' processes: no TensorFlow to import or find, as on a host without it."""
    code = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('tensorflow') is None\n"
        "try:\n    import tensorflow.keras\nexcept ModuleNotFoundError as error:\n    print(error)\n"
        "assert 'tensorflow' not in sys.modules and sys.argv == ['-c', 'x'], sys.argv\n"
    )
    done = run_on_backend("jax", "-c", code, "x")
    _exits_0(done)
    assert done.stdout.strip() == "No module named 'tensorflow'"


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_a_savedmodel_without_tensorflow_is_refused_naming_what_to_use(backend, media, tmp_path):
    folder = tmp_path / "pel_savedmodel"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"")  # never read: the refusal comes first
    done = run_on_backend(backend, PREDICT, media / "real.png", f"--model={folder}", "--trust_model")
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"predict.py: {folder}: a SavedModel runs on TensorFlow, which is not installed here; score" in done.stderr
